/**
 * Question 3 — dynamic batching: requests/s and latency at concurrency 64 with batching on (the default
 * policy) vs off (`models.<m>.batching: false`), two gateways side by side in one run, on
 * transformer-small int8 (compute outweighs HTTP) and mnist (HTTP outweighs compute). Target: >= 3x
 * requests/s on transformer-small with p99 inside the SLO.
 */
import { cell } from './lib/cannon.js';
import type { Cell } from './lib/cannon.js';
import { isMain, runEntry } from './lib/entry.js';
import { gatewayConfig } from './lib/gateway-config.js';
import { timedRequest } from './lib/http.js';
import { inferBody } from './lib/inputs.js';
import { seedModels } from './lib/r2.js';
import { writeResult } from './lib/results.js';
import { startGateway } from './lib/stack.js';
import { r2, table } from './lib/stats.js';

export interface BatchingOptions {
  cases?: { model: string; variant: string; sloMs: number; seconds: number }[];
  connections?: number[];
  write?: boolean;
}

const DEFAULT_CASES = [
  { model: 'transformer-small', variant: 'int8', sloMs: 2000, seconds: 6 },
  { model: 'mnist', variant: 'fp32', sloMs: 100, seconds: 3 },
];


export async function runBatching(opts: BatchingOptions = {}) {
  await seedModels();
  const cases = opts.cases ?? DEFAULT_CASES;
  const connections = opts.connections ?? [64];
  const off = Object.fromEntries(cases.map((c) => [c.model, { batching: false }]));
  const [on, offGw] = await Promise.all([startGateway({ gatewayConfig: gatewayConfig() }), startGateway({ gatewayConfig: gatewayConfig({ models: off }) })]);
  const gws = [
    { batching: 'on', url: on.url },
    { batching: 'off', url: offGw.url },
  ];
  const rows: (Cell & { model: string; variant: string; batching: string; mean_batch: number })[] = [];
  for (const c of cases) {
    const body = inferBody(c.model, 1, 5);
    const headers = { 'x-model-variant': c.variant };
    for (const g of gws) {
      const url = `${g.url}/v2/models/${c.model}/infer`;
      const r = await timedRequest(url, { body, headers, timeoutMs: 60_000 });
      if (r.status !== 200) throw new Error(`${c.model}: ${r.status} ${r.body.slice(0, 200)}`);
    }
    for (const conn of connections) {
      for (const g of gws) {
        const url = `${g.url}/v2/models/${c.model}/infer`;
        const before = await meanBatchRaw(g.url, c.model);
        const res = await cell({ url, body, headers, connections: conn, seconds: c.seconds, sloMs: c.sloMs });
        const after = await meanBatchRaw(g.url, c.model);
        rows.push({ model: c.model, variant: c.variant, batching: g.batching, mean_batch: r2((after.sum - before.sum) / Math.max(1, after.count - before.count)), ...res });
      }
    }
  }
  const ratios = rows.filter((r) => r.batching === 'on').map((r) => {
    const o = rows.find((x) => x.batching === 'off' && x.model === r.model && x.connections === r.connections)!;
    return { model: r.model, connections: r.connections, rps_ratio: r2(r.rps / o.rps), p99_on: r.p99, slo_ms: r.slo_ms, p99_within_slo: r.p99 <= r.slo_ms, target_met: r.model !== 'transformer-small' ? undefined : r.rps / o.rps >= 3 && r.p99 <= r.slo_ms };
  });
  table('batching: on vs off (pinned variant, batch-1 requests)', [
    ['model', 'variant', 'conc', 'batching', 'req/s', 'mean batch', 'p50 ms', 'p95 ms', 'p99 ms', 'SLO ms', 'SLO attain', 'errors, statuses'],
    ...rows.map((r) => [r.model, r.variant, r.connections, r.batching, r.rps, r.mean_batch, r.p50, r.p95, r.p99, r.slo_ms, `${(r.slo_attainment * 100).toFixed(1)}%`, `${r.errors} ${Object.entries(r.statuses).map(([k, v]) => `${k}:${v}`).join(' ')}`]),
  ]);
  table('batching: ratio on/off', [['model', 'conc', 'req/s on/off', 'p99 on (ms)', 'SLO', 'target (>=3x, p99 in SLO)'], ...ratios.map((r) => [r.model, r.connections, r.rps_ratio, r.p99_on, r.slo_ms, r.target_met === undefined ? '(report only)' : r.target_met ? 'met' : 'missed'])]);
  if (opts.write !== false) writeResult('batching', { policy: 'max_batch_size 32, max_queue_delay_ms 2 (defaults)', cells: rows, ratios });
  return { rows, ratios };
}

async function meanBatchRaw(url: string, model: string): Promise<{ sum: number; count: number }> {
  const text = (await timedRequest(`${url}/metrics`)).body;
  const sum = (suffix: string) =>
    text.split('\n').filter((l) => l.startsWith(`nv_inference_batch_size_${suffix}{`) && l.includes(`model="${model}"`)).reduce((a, l) => a + Number(l.trim().split(/\s+/).pop()), 0);
  return { sum: sum('sum'), count: sum('count') };
}

if (isMain(import.meta.url)) await runEntry('batching', () => runBatching());
