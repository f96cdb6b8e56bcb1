/**
 * Question 2 — the side-by-side table (issue #12): for mnist fp32 and a heavier model (transformer-small
 * int8), at concurrency 1, 8 and 64, requests/s and p50/p99 of
 *   gateway         the whole gateway in workerd, serving at the edge (variant pinned)
 *   bare Worker     POST /__bare in the same isolate: JSON.parse, tensors, session.run, JSON.stringify
 *   origin direct   the origin (onnxruntime-node) called as any v2 client would
 *   origin via gw   a second gateway whose config sends the model to the origin (edge budget of one byte)
 * Cells run one after another (never two loads at once) and the sides alternate inside each concurrency, so
 * drift in the machine's load spreads over all four. Everything is on 127.0.0.1: the origin sides pay no
 * real edge-to-origin round trip, which is the reason the edge exists; read them as the origin's compute
 * and protocol cost, not as what a remote client would see.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { cell } from './lib/cannon.js';
import type { Cell } from './lib/cannon.js';
import { isMain, runEntry } from './lib/entry.js';
import { gatewayConfig, originOnly } from './lib/gateway-config.js';
import { timedRequest } from './lib/http.js';
import { inferBody } from './lib/inputs.js';
import { seedModels } from './lib/r2.js';
import { RESULTS_DIR, writeResult } from './lib/results.js';
import { BENCH_ORIGIN_TOKEN, startGateway, startOrigin } from './lib/stack.js';
import { r2, table } from './lib/stats.js';
import { lineChart } from './lib/svg.js';

export interface LoadOptions {
  cases?: { model: string; variant: string; seconds: number }[];
  concurrency?: number[];
  write?: boolean;
}

const DEFAULT_CASES = [
  { model: 'mnist', variant: 'fp32', seconds: 3 },
  { model: 'transformer-small', variant: 'int8', seconds: 4 },
];

const SIDES = ['gateway', 'bare Worker', 'origin direct', 'origin via gateway'] as const;
type Side = (typeof SIDES)[number];
type Row = Cell & { model: string; variant: string; side: Side; served_by: string };

export async function runLoad(opts: LoadOptions = {}) {
  const concurrency = opts.concurrency ?? [1, 8, 64];
  const cases = opts.cases ?? DEFAULT_CASES;
  await seedModels();
  const origin = await startOrigin();
  const [edge, viaOrigin] = await Promise.all([
    startGateway({ config: 'bench/wrangler.bench.toml', originUrl: origin.url, gatewayConfig: gatewayConfig() }),
    startGateway({ config: 'bench/wrangler.bench.toml', originUrl: origin.url, gatewayConfig: originOnly(cases.map((c) => c.model)) }),
  ]);
  const rows: Row[] = [];
  try {
    for (const c of cases) {
      const body = inferBody(c.model, 1, 3);
      const pin = { 'x-model-variant': c.variant, 'x-slo-ms': '60000' };
      const targets: Record<Side, { url: string; headers: Record<string, string> }> = {
        gateway: { url: `${edge.url}/v2/models/${c.model}/infer`, headers: pin },
        'bare Worker': { url: `${edge.url}/__bare?model=${c.model}&variant=${c.variant}`, headers: {} },
        'origin direct': { url: `${origin.url}/v2/models/${c.model}/infer`, headers: { ...pin, authorization: `Bearer ${BENCH_ORIGIN_TOKEN}` } },
        'origin via gateway': { url: `${viaOrigin.url}/v2/models/${c.model}/infer`, headers: pin },
      };
      const servedBy = {} as Record<Side, string>;
      for (const side of SIDES) {
        const t = targets[side];
        const r = await timedRequest(t.url, { body, headers: t.headers });
        if (r.status !== 200) throw new Error(`${c.model} ${side}: ${r.status} ${r.body.slice(0, 200)}`);
        servedBy[side] = side === 'bare Worker' ? `edge ${c.variant}` : `${r.headers['x-served-by'] ?? 'origin'} ${r.headers['x-model-variant'] ?? ''}`.trim();
        await cell({ url: t.url, body, headers: t.headers, connections: 8, seconds: 1, sloMs: 60000 });
      }
      for (const conn of concurrency) {
        const order = conn % 2 === 0 ? SIDES : [...SIDES].reverse();
        for (const side of order) {
          const t = targets[side];
          rows.push({ model: c.model, variant: c.variant, side, served_by: servedBy[side], ...(await cell({ url: t.url, body, headers: t.headers, connections: conn, seconds: c.seconds, sloMs: 60000 })) });
        }
      }
    }
  } finally {
    await Promise.all([edge.stop(), viaOrigin.stop(), origin.stop()]);
  }
  const at = (model: string, side: Side, conn: number) => rows.find((r) => r.model === model && r.side === side && r.connections === conn)!;
  table('side by side: req/s, p50 and p99 (ms) per side, one load at a time on 127.0.0.1', [
    ['model', 'conc', ...SIDES.flatMap((s) => [`${s} req/s`, 'p50', 'p99']), 'gateway / bare req/s', 'errors'],
    ...cases.flatMap((c) =>
      concurrency.map((conn) => [
        `${c.model} ${c.variant}`,
        conn,
        ...SIDES.flatMap((s) => { const r = at(c.model, s, conn); return [r.rps, r.p50, r.p99]; }),
        r2(at(c.model, 'gateway', conn).rps / at(c.model, 'bare Worker', conn).rps),
        SIDES.map((s) => at(c.model, s, conn).errors + at(c.model, s, conn).non2xx).join('/'),
      ]),
    ),
  ]);
  if (opts.write !== false) {
    writeResult('load', {
      concurrency,
      note: 'all four sides on 127.0.0.1: the origin sides pay no real edge-to-origin round trip',
      served_by: Object.fromEntries(cases.map((c) => [c.model, Object.fromEntries(SIDES.map((s) => [s, at(c.model, s, concurrency[0]!).served_by]))])),
      cells: rows,
    });
    const panels = cases.flatMap((c) => [
      { title: `${c.model} ${c.variant}: requests/s`, xLabel: 'concurrency', yLabel: 'req/s', logX: true, series: SIDES.map((s) => ({ name: s, points: concurrency.map((n) => [n, at(c.model, s, n).rps] as [number, number]) })) },
      { title: `${c.model} ${c.variant}: p99 latency`, xLabel: 'concurrency', yLabel: 'ms', logX: true, series: SIDES.map((s) => ({ name: s, points: concurrency.map((n) => [n, at(c.model, s, n).p99] as [number, number]) })) },
    ]);
    writeFileSync(resolve(RESULTS_DIR, 'side-by-side.svg'), lineChart(panels));
  }
  return rows;
}

if (isMain(import.meta.url)) await runEntry('load', () => runLoad());
