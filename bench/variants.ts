/**
 * Latency vs batch size per variant (one request at a time, pinned with x-model-variant, no origin):
 * client-side p50/p95 and the edge run alone (server-timing infer), for mnist and transformer-small.
 * Feeds the latency-vs-batch chart.
 */
import { bounded, isMain, runEntry } from './lib/entry.js';
import { gatewayConfig } from './lib/gateway-config.js';
import { timedRequest } from './lib/http.js';
import { inferBody } from './lib/inputs.js';
import { seedModels } from './lib/r2.js';
import { writeResult } from './lib/results.js';
import { startGateway } from './lib/stack.js';
import { percentile } from '../tools/lib/percentile.js';
import { r3, serverTiming, table } from './lib/stats.js';

export interface VariantsOptions {
  models?: { model: string; reps: number; seconds: number }[];
  batches?: number[];
  write?: boolean;
}

export async function runVariants(opts: VariantsOptions = {}) {
  await seedModels();
  const models = opts.models ?? [
    { model: 'mnist', reps: 20, seconds: 4 },
    { model: 'transformer-small', reps: 5, seconds: 6 },
  ];
  const batches = opts.batches ?? [1, 2, 4, 8, 16];
  const gw = await startGateway({ gatewayConfig: gatewayConfig() });
  const rows = [];
  for (const { model, reps, seconds } of models) {
    for (const variant of ['fp32', 'fp16', 'int8']) {
      for (const batch of batches) {
        const body = inferBody(model, batch, batch);
        const send = () => timedRequest(`${gw.url}/v2/models/${model}/infer`, { body, headers: { 'x-model-variant': variant, 'x-slo-ms': '10000' }, timeoutMs: 60_000 });
        const warm = await send();
        if (warm.status !== 200) throw new Error(`${model}/${variant} b${batch}: ${warm.status} ${warm.body.slice(0, 200)}`);
        const client: number[] = [];
        const infer: number[] = [];
        await bounded(reps, seconds, async () => {
          const r = await send();
          client.push(r.totalMs);
          infer.push(serverTiming(String(r.headers['server-timing'])).infer ?? NaN);
        });
        rows.push({ model, variant, batch, n: client.length, client_p50: r3(percentile(client, 0.5)), client_p95: r3(percentile(client, 0.95)), infer_p50: r3(percentile(infer, 0.5)), infer_p95: r3(percentile(infer, 0.95)) });
      }
    }
  }
  table('latency vs batch per variant (ms; one request at a time)', [
    ['model', 'variant', 'batch', 'n', 'client p50', 'client p95', 'infer p50', 'infer p95', 'client p50 per item'],
    ...rows.map((r) => [r.model, r.variant, r.batch, r.n, r.client_p50, r.client_p95, r.infer_p50, r.infer_p95, r3(r.client_p50 / r.batch)]),
  ]);
  if (opts.write !== false) writeResult('variants', { note: 'infer = server-timing infer (workerd clock, ms granularity locally)', rows });
  await gw.stop();
  return rows;
}

if (isMain(import.meta.url)) await runEntry('variants', () => runVariants());
