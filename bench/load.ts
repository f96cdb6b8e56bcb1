/**
 * Question 2 — load: autocannon against the running stack at concurrency 1, 8, 64 on mnist, edge vs
 * origin side by side (a second gateway whose config makes mnist origin-only). Throughput, p50/p95/p99,
 * errors and SLO attainment (each response's time against the x-slo-ms sent). Each cell a few seconds.
 */
import { cell } from './lib/cannon.js';
import type { Cell } from './lib/cannon.js';
import { isMain, runEntry } from './lib/entry.js';
import { gatewayConfig, originOnly } from './lib/gateway-config.js';
import { timedRequest } from './lib/http.js';
import { inferBody } from './lib/inputs.js';
import { writeResult } from './lib/results.js';
import { startGateway, startOrigin } from './lib/stack.js';
import { table } from './lib/stats.js';

export interface LoadOptions {
  concurrency?: number[];
  seconds?: number;
  sloMs?: number;
  write?: boolean;
}

export async function runLoad(opts: LoadOptions = {}) {
  const concurrency = opts.concurrency ?? [1, 8, 64];
  const seconds = opts.seconds ?? 3;
  const sloMs = opts.sloMs ?? 100;
  const origin = await startOrigin();
  const [edge, viaOrigin] = await Promise.all([
    startGateway({ originUrl: origin.url, gatewayConfig: gatewayConfig() }),
    startGateway({ originUrl: origin.url, gatewayConfig: originOnly(['mnist']) }),
  ]);
  const body = inferBody('mnist', 1, 3);
  const sides = [
    { side: 'edge', url: `${edge.url}/v2/models/mnist/infer` },
    { side: 'origin', url: `${viaOrigin.url}/v2/models/mnist/infer` },
  ];
  const servedBy: Record<string, string> = {};
  for (const s of sides) {
    const r = await timedRequest(s.url, { body, headers: { 'x-slo-ms': String(sloMs) } });
    if (r.status !== 200) throw new Error(`${s.side}: ${r.status} ${r.body.slice(0, 200)}`);
    servedBy[s.side] = `${r.headers['x-served-by']} ${r.headers['x-model-variant']}`;
    await cell({ url: s.url, body, headers: {}, connections: 8, seconds: 1, sloMs });
  }
  const rows: (Cell & { side: string; served_by: string })[] = [];
  for (const c of concurrency) {
    for (const s of sides) rows.push({ side: s.side, served_by: servedBy[s.side]!, ...(await cell({ url: s.url, body, headers: {}, connections: c, seconds, sloMs })) });
  }
  table(`load: mnist, ${seconds} s per cell, SLO ${sloMs} ms, edge vs origin (via an origin-only gateway)`, [
    ['side', 'served by', 'conc', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'errors', 'statuses', 'SLO attain'],
    ...rows.map((r) => [r.side, r.served_by, r.connections, r.rps, r.p50, r.p95, r.p99, r.errors, Object.entries(r.statuses).map(([k, v]) => `${k}:${v}`).join(' '), `${(r.slo_attainment * 100).toFixed(1)}%`]),
  ]);
  const ratios = concurrency.map((c) => {
    const e = rows.find((r) => r.side === 'edge' && r.connections === c)!;
    const o = rows.find((r) => r.side === 'origin' && r.connections === c)!;
    return { connections: c, edge_over_origin_rps: o.rps > 0 ? Math.round((e.rps / o.rps) * 100) / 100 : null, origin_over_edge_p50: Math.round((o.p50 / e.p50) * 100) / 100 };
  });
  table('load: edge / origin', [['conc', 'req/s ratio edge/origin', 'p50 ratio origin/edge'], ...ratios.map((r) => [r.connections, r.edge_over_origin_rps, r.origin_over_edge_p50])]);
  if (opts.write !== false) writeResult('load', { model: 'mnist', slo_ms: sloMs, seconds_per_cell: seconds, note: 'origin side = gateway in workerd forwarding to the origin on loopback (no real edge-origin RTT)', cells: rows, ratios });
  return rows;
}

if (isMain(import.meta.url)) await runEntry('load', () => runLoad());
