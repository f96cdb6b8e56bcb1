/**
 * Trace events of a synthetic fleet with a known truth, in the shape the Tail Worker receives (see
 * trace-events.json): the gateway's request line in `logs`, integer-ms `cpuTime` as Workers report it,
 * noise, and bursts (another tenant's work, GC) on a share of the runs.
 */
import type { TraceEvent } from '../../tail/events.js';
import { Prng } from '../../tools/lib/prng.js';

export interface Truth {
  colo: string;
  model: string;
  variant: string;
  fixed_ms: number;
  per_item_ms: number;
}

/** `n` solo edge runs per truth, items drawn from `items`, 10% of them 5x slower. */
export function traffic(truths: readonly Truth[], n: number, items: readonly number[] = [1, 2, 4, 8, 16], seed = 1): TraceEvent[] {
  const prng = new Prng(seed);
  const out: TraceEvent[] = [];
  for (let i = 0; i < n; i++) {
    for (const t of truths) {
      const k = items[prng.int(items.length)]!;
      const exact = (t.fixed_ms + t.per_item_ms * k) * (0.9 + 0.2 * prng.next()) * (prng.next() < 0.1 ? 5 : 1);
      const line = { event: 'request', request_id: `r${i}`, method: 'POST', path: `/v2/models/${t.model}/infer`, model: t.model, status: 200, variant: t.variant, target: 'edge', reason: `${t.variant} at edge`, server_timing: 'select;dur=0.10, infer;dur=0.00', items: k, batch: k, predicted_ms: 2 * (t.fixed_ms + t.per_item_ms * k), ms: 0 };
      out.push({
        scriptName: 'edge-inference-gateway',
        outcome: 'ok',
        cpuTime: Math.round(exact),
        wallTime: Math.round(exact) + 1,
        event: { request: { url: `https://gw.example.com/v2/models/${t.model}/infer`, method: 'POST', headers: {}, cf: { colo: t.colo } }, response: { status: 200 } },
        logs: [{ level: 'log', message: [JSON.stringify(line)] }],
      });
    }
  }
  return out;
}
