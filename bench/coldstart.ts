/**
 * Questions 5 and 4 — cold start and memory. For each model and variant a fresh workerd (wrangler dev):
 * once the isolate answers its liveness probe, the first pinned inference request is timed to its first
 * byte and split with `server-timing` (load = fetch bytes + WASM runtime instantiation on an isolate's
 * first session + session create; infer; the rest). A second, "warm runtime" isolate first loads an
 * unrelated model (ppocr-cls) so the runtime is up, then loads each variant: load there is session load
 * alone, so runtime init = cold load - warm load. After each load the gateway's /metrics gauges
 * (gateway_edge_resident_bytes, gateway_edge_sessions) give memory next to the manifests' edge_memory_bytes.
 * Target: first answer <= 300 ms for the ~5 MB transformer-small int8.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMain, runEntry } from './lib/entry.js';
import { gatewayConfig } from './lib/gateway-config.js';
import { metricValue, timedRequest } from './lib/http.js';
import { inferBody } from './lib/inputs.js';
import { seedModels } from './lib/r2.js';
import { writeResult } from './lib/results.js';
import { ROOT, startGateway } from './lib/stack.js';
import { percentile } from '../tools/lib/percentile.js';
import { r2, serverTiming, table } from './lib/stats.js';

export interface ColdstartOptions {
  cases?: { model: string; variant: string }[];
  write?: boolean;
}

const VARIANTS = ['fp32', 'fp16', 'int8'];
const DEFAULT_CASES = ['mnist', 'transformer-small'].flatMap((model) => VARIANTS.map((variant) => ({ model, variant })));

function manifest(model: string): { variants: Record<string, { bytes: number; edge_memory_bytes: number; latency: { load_ms?: number } }> } {
  return JSON.parse(readFileSync(resolve(ROOT, 'models', model, 'manifest.json'), 'utf8'));
}

async function firstAnswer(url: string, model: string, variant: string) {
  const r = await timedRequest(`${url}/v2/models/${model}/infer`, { body: inferBody(model, 1, 11), headers: { 'x-model-variant': variant, 'x-slo-ms': '10000' }, timeoutMs: 60_000 });
  if (r.status !== 200) throw new Error(`${model}/${variant}: ${r.status} ${r.body.slice(0, 200)}`);
  const t = serverTiming(String(r.headers['server-timing'] ?? ''));
  return { ttfb_ms: r2(r.ttfbMs), total_ms: r2(r.totalMs), load_ms: t.load ?? 0, infer_ms: t.infer ?? 0, select_ms: t.select ?? 0, queue_ms: t.queue ?? 0, served_by: String(r.headers['x-served-by']) };
}

async function memory(url: string) {
  return { resident_bytes: (await metricValue(url, 'gateway_edge_resident_bytes')) ?? NaN, sessions: (await metricValue(url, 'gateway_edge_sessions')) ?? NaN };
}

export async function runColdstart(opts: ColdstartOptions = {}) {
  await seedModels();
  const cases = opts.cases ?? DEFAULT_CASES;
  const cold = [];
  for (const c of cases) {
    const gw = await startGateway({ gatewayConfig: gatewayConfig() });
    const first = await firstAnswer(gw.url, c.model, c.variant);
    const mem = await memory(gw.url);
    const m = manifest(c.model).variants[c.variant]!;
    cold.push({ ...c, file_bytes: m.bytes, edge_memory_bytes: m.edge_memory_bytes, process_start_ms: r2(gw.startMs), ...first, ...mem });
    await gw.stop();
  }
  // One isolate whose runtime is already up: loads here are session loads alone.
  const gw = await startGateway({ gatewayConfig: gatewayConfig() });
  const primer = await firstAnswer(gw.url, 'ppocr-cls', 'int8').catch(() => firstAnswer(gw.url, 'mnist', 'int8'));
  const warm: (Awaited<ReturnType<typeof firstAnswer>> & Awaited<ReturnType<typeof memory>> & { model: string; variant: string })[] = [];
  for (const c of cases) {
    const w = await firstAnswer(gw.url, c.model, c.variant);
    warm.push({ ...c, ...w, ...(await memory(gw.url)) });
  }
  await gw.stop();
  const rows = cold.map((c) => {
    const w = warm.find((x) => x.model === c.model && x.variant === c.variant)!;
    const runtime = r2(c.load_ms - w.load_ms);
    return { ...c, warm_load_ms: w.load_ms, runtime_init_ms: runtime, other_ms: r2(c.ttfb_ms - c.load_ms - c.infer_ms), manifest_load_ms: manifest(c.model).variants[c.variant]!.latency.load_ms ?? null };
  });
  const runtimeInit = r2(percentile(rows.map((r) => r.runtime_init_ms), 0.5));
  const tsInt8 = rows.find((r) => r.model === 'transformer-small' && r.variant === 'int8');
  table('cold start: fresh workerd per row, first pinned request (ms)', [
    ['model', 'variant', 'file MB', 'first byte', 'load (cold)', 'load (warm rt)', '= runtime init', 'infer', 'other', 'wrangler+workerd up'],
    ...rows.map((r) => [r.model, r.variant, r.file_bytes / 1e6, r.ttfb_ms, r.load_ms, r.warm_load_ms, r.runtime_init_ms, r.infer_ms, r.other_ms, r.process_start_ms]),
  ]);
  console.log(`runtime init (median of cold - warm load): ${runtimeInit} ms; transformer-small int8 first answer ${tsInt8?.ttfb_ms ?? '-'} ms (target <= 300 ms: ${tsInt8 && tsInt8.ttfb_ms <= 300 ? 'met' : 'missed'})`);
  table('memory per variant (one session in a fresh isolate; then all loaded in turn into one isolate, 80 MiB session budget)', [
    ['model', 'variant', 'manifest edge_memory MB', 'resident (fresh) MB', 'sessions', 'resident after loading in turn MB', 'sessions'],
    ...rows.map((r) => {
      const w = warm.find((x) => x.model === r.model && x.variant === r.variant)!;
      return [r.model, r.variant, r.edge_memory_bytes / 1048576, r.resident_bytes / 1048576, r.sessions, w.resident_bytes / 1048576, w.sessions];
    }),
  ]);
  if (opts.write !== false) {
    writeResult('coldstart', {
      runtime_init_ms: runtimeInit,
      runtime_init_method: 'median over variants of (server-timing load in a fresh isolate) - (load of the same variant in an isolate whose runtime was already instantiated)',
      target: { model: 'transformer-small', variant: 'int8', first_answer_ms: tsInt8?.ttfb_ms ?? null, limit_ms: 300, met: !!tsInt8 && tsInt8.ttfb_ms <= 300 },
      primer,
      rows,
    });
    writeResult('memory', {
      source: 'manifest edge_memory_bytes (WASM memory measured when the variant was built, including the 16 MiB runtime base) and /metrics gauges after loading',
      fresh: rows.map((r) => ({ model: r.model, variant: r.variant, manifest_edge_memory_bytes: r.edge_memory_bytes, resident_bytes: r.resident_bytes, sessions: r.sessions })),
      loaded_in_turn: warm.map((w) => ({ model: w.model, variant: w.variant, resident_bytes: w.resident_bytes, sessions: w.sessions })),
    });
  }
  return { rows, runtimeInit };
}

if (isMain(import.meta.url)) await runEntry('coldstart', () => runColdstart());
