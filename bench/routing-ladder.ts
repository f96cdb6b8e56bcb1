/**
 * The router choosing between a model's pruned, quantized and distilled variants (issue 23), a section of
 * `npm run bench:routing` that also runs alone (`npx tsx bench/routing-ladder.ts`): mnist-wide, whose variants
 * form a ladder from fp32 (agreement 1) through pruned50, pruned50-int8 to the distilled student, asked at
 * growing batch sizes under SLOs from loose to tight, no variant pinned, on a fast network (Client Hints
 * RTT 0, Downlink 1000). Each cell is the variant that answered most of its requests: where fp32 is predicted
 * to meet the SLO it answers (best agreement); where only a smaller variant is, that one does.
 */
import { isMain, runEntry } from './lib/entry.js';
import { gatewayConfig } from './lib/gateway-config.js';
import { timedRequest } from './lib/http.js';
import { inferBody } from './lib/inputs.js';
import { seedModels } from './lib/r2.js';
import { startGateway, startOrigin } from './lib/stack.js';
import { table } from './lib/stats.js';

const MODEL = 'mnist-wide';
const BATCHES = [1, 16, 64, 256];
const SLOS_MS = [400, 60, 25, 12, 6];
const PER_CELL = 5;
const FAST = { rtt: '0', downlink: '1000', ect: '4g' };

export interface LadderCell { batch: number; slo_ms: number; served: Record<string, number>; chosen: string; gateway_ms_p50: number }

/** Replays the grid against a running gateway at `url`; returns one cell per (batch, SLO). */
export async function routingLadder(url: string): Promise<LadderCell[]> {
  const cells: LadderCell[] = [];
  for (const batch of BATCHES) {
    const body = inferBody(MODEL, batch, 1);
    // Warm every variant's session first, so load time is not in the cells (a pin with a loose SLO).
    for (const v of ['fp32', 'pruned50', 'pruned50-int8', 'distilled']) await timedRequest(`${url}/v2/models/${MODEL}/infer`, { body, headers: { ...FAST, 'x-slo-ms': '5000', 'x-model-variant': v }, timeoutMs: 20_000 }).catch(() => undefined);
    for (const slo of SLOS_MS) {
      const served: Record<string, number> = {};
      const times: number[] = [];
      for (let k = 0; k < PER_CELL; k++) {
        const r = await timedRequest(`${url}/v2/models/${MODEL}/infer`, { body, headers: { ...FAST, 'x-slo-ms': String(slo) }, timeoutMs: 20_000 });
        const key = r.status === 200 ? `${String(r.headers['x-served-by'] ?? '')}:${String(r.headers['x-model-variant'] ?? '')}` : `${r.status}`;
        served[key] = (served[key] ?? 0) + 1;
        times.push(r.totalMs);
      }
      times.sort((a, b) => a - b);
      const chosen = Object.entries(served).sort((a, b) => b[1] - a[1])[0]![0];
      cells.push({ batch, slo_ms: slo, served, chosen, gateway_ms_p50: Math.round(times[Math.floor(times.length / 2)]! * 10) / 10 });
    }
  }
  table(`router on ${MODEL}'s variant ladder (fp32 > pruned50 > pruned50-int8 > distilled by agreement), no pin, fast network: the variant that answered (of ${PER_CELL})`, [
    ['batch', ...SLOS_MS.map((s) => `SLO ${s} ms`)],
    ...BATCHES.map((b) => [b, ...SLOS_MS.map((s) => {
      const c = cells.find((x) => x.batch === b && x.slo_ms === s)!;
      return `${c.chosen.replace(/^edge:/, '')} (${c.gateway_ms_p50} ms)`;
    })]),
  ]);
  return cells;
}

if (isMain(import.meta.url)) {
  await runEntry('routing-ladder', async () => {
    await seedModels();
    const origin = await startOrigin();
    const gw = await startGateway({ originUrl: origin.url, gatewayConfig: gatewayConfig() });
    const cells = await routingLadder(gw.url);
    const picked = new Set(cells.map((c) => c.chosen));
    console.log(`variants the router chose: ${[...picked].join(', ')}`);
  });
}
