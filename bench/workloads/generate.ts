/**
 * The replayable mixed workload for the routing bench: a seeded generator (same seed, same file) of
 * requests over mnist and transformer-small with SLOs 20-500 ms (log-uniform), batch 1-16 and a mix of
 * Client Hints (none, desktop 4g, mobile, 3g + Save-Data, explicit RTT/Downlink). Writes mixed.json.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMain } from '../lib/entry.js';
import { ROOT } from '../lib/stack.js';
import { Prng } from '../../tools/lib/prng.js';

export interface WorkloadRequest {
  i: number;
  model: 'mnist' | 'transformer-small';
  batch: number;
  slo_ms: number;
  hints: Record<string, string>;
  seed: number;
}

export const WORKLOAD_PATH = resolve(ROOT, 'bench/workloads/mixed.json');

export function generateWorkload(seed = 20261128, count = 80): { seed: number; count: number; requests: WorkloadRequest[] } {
  const prng = new Prng(seed);
  const next = () => prng.next();
  const pick = <T>(xs: T[]) => xs[prng.int(xs.length)]!;
  const requests: WorkloadRequest[] = [];
  for (let i = 0; i < count; i++) {
    const model = next() < 0.5 ? 'mnist' : 'transformer-small';
    const batch = next() < 0.4 ? 1 : 2 + Math.floor(next() * 15);
    const slo_ms = Math.round(20 * Math.pow(500 / 20, next()));
    const kind = pick(['none', 'desktop-4g', 'mobile', '3g-save-data', 'explicit', 'explicit']);
    const hints: Record<string, string> =
      kind === 'none' ? {}
      : kind === 'desktop-4g' ? { ECT: '4g', 'Sec-CH-UA-Mobile': '?0' }
      : kind === 'mobile' ? { 'Sec-CH-UA-Mobile': '?1', 'Device-Memory': pick(['1', '2', '4']) }
      : kind === '3g-save-data' ? { ECT: '3g', 'Save-Data': 'on', 'Sec-CH-UA-Mobile': '?1' }
      : { RTT: String(pick([0, 10, 25, 50, 100, 200])), Downlink: String(pick([0.5, 1.5, 5, 10, 50])) };
    requests.push({ i, model, batch, slo_ms, hints, seed: 1 + Math.floor(next() * 1e6) });
  }
  return { seed, count, requests };
}

if (isMain(import.meta.url)) {
  writeFileSync(WORKLOAD_PATH, JSON.stringify(generateWorkload(), null, 1) + '\n');
  console.log(`wrote ${WORKLOAD_PATH}`);
}
