/**
 * A learner no caller can steer: adversarial traces replayed through the feedback Tail Worker (in-memory KV,
 * publish every simulated minute) next to honest traffic of several callers, and every published fit checked
 * against the configured bound. The attacks are the ones seen: CPU inflated by a padded body, a hostile
 * share of an honest bucket, an otherwise unused item-count bucket, a flood that would push honest samples out
 * of the window, and a lone caller replaying its own inflated runs publish after publish (which once doubled
 * the published cost every minute: 0.34 ms to 1,300 ms in 12 minutes).
 */
import { describe, expect, it } from 'vitest';
import { at } from '../../src/latency/line.js';
import type { ModelManifest } from '../../src/registry/manifest.js';
import { PolicySource } from '../../src/policy-source.js';
import { FeedbackCollector, STATE_KEY } from '../../tail/collector.js';
import type { TraceEvent } from '../../tail/events.js';
import { traffic, type Truth } from './traffic.js';

/** What the manifest says of the model (the prior), and what the fleet truly runs at: 1.5x slower. */
const PRIOR = { fixed_ms: 4, per_item_ms: 1 };
const honest: Truth = { colo: 'SJC', model: 'm', variant: 'fp32', fixed_ms: 6, per_item_ms: 1.5 };
const manifests = [{ name: 'm', variants: { fp32: { latency: { fit: PRIOR } } } }] as unknown as ModelManifest[];
const MAX_DRIFT = 4;

/** `events` as sent by `caller`: bodies of `bodyRatio` x their tensors (one item: 3,136 bytes), CPU x `inflate`. */
function as(caller: string, events: TraceEvent[], opts: { inflate?: number; bodyRatio?: number } = {}): TraceEvent[] {
  return events.map((e) => {
    const line = JSON.parse((e.logs[0]!.message as string[])[0]!);
    const tensor = 3136 * line.items;
    const tagged = { ...line, caller, tensor_bytes: tensor, body_bytes: Math.round(tensor * (opts.bodyRatio ?? 2.5)) };
    return { ...e, cpuTime: Math.round(e.cpuTime * (opts.inflate ?? 1)), logs: [{ level: 'log', message: [JSON.stringify(tagged)] }] };
  });
}

/** Honest traffic of five callers, `n` runs each. */
const honestCallers = (n: number, seed: number, items?: number[]) => [1, 2, 3, 4, 5].flatMap((c) => as(`honest${c}`.padEnd(16, '0'), traffic([honest], n, items, seed * 10 + c)));

/** Replays `minutes` of `perMinute(i)` through one collector, a publish each minute; every published fit. */
async function replay(minutes: number, perMinute: (minute: number) => TraceEvent[], env: Record<string, string> = {}) {
  const data = new Map<string, string>();
  const kv = { get: async (k: string) => data.get(k) ?? null, put: async (k: string, v: string) => void data.set(k, v) } as unknown as KVNamespace;
  let now = 0;
  const collector = new FeedbackCollector({ POLICY: kv, MIN_SAMPLES: '30', MAX_CHANGE: '2', MAX_DRIFT: String(MAX_DRIFT), FLUSH_INTERVAL_MS: '60000', ...env }, () => now, manifests);
  const lines: string[] = [];
  const published: { fixed_ms: number; per_item_ms: number; items?: [number, number] | undefined }[] = [];
  for (let minute = 0; minute < minutes; minute++) {
    now = minute * 60_001;
    lines.push(...((await collector.take(perMinute(minute))) ?? []));
    const fit = (await new PolicySource({ policy_ttl_ms: 0 }, undefined, kv).get()).learned?.models.m?.fp32;
    if (fit) published.push(fit);
  }
  return { published, state: JSON.parse(data.get(STATE_KEY)!), lines };
}

/** How far a published fit stands from `line` at `items` (a factor >= 1). */
const off = (fit: { fixed_ms: number; per_item_ms: number }, line: { fixed_ms: number; per_item_ms: number }, items: number) => {
  const a = at(fit, items);
  const b = at(line, items);
  return Math.max(a / b, b / a);
};

describe('a learner no caller can steer', () => {
  it('learns the honest fleet: the baseline every attack is measured against', async () => {
    const { published } = await replay(6, (m) => honestCallers(40, m));
    for (const items of [1, 16]) expect(off(published.at(-1)!, honest, items)).toBeLessThan(1.15);
  });

  it('skips runs whose body is padded far past its tensors: their parse CPU is the sender’s', async () => {
    const { published, state } = await replay(6, (m) => [...honestCallers(40, m), ...as('hostile0000000000', traffic([honest], 400, undefined, 900 + m), { inflate: 50, bodyRatio: 300 })]);
    expect(state.skipped.padded_body).toBe(6 * 400);
    for (const items of [1, 16]) expect(off(published.at(-1)!, honest, items)).toBeLessThan(1.15);
  });

  it('gives a caller one vote in a bucket: a hostile 40% share inflated 3x within honest body sizes moves nothing', async () => {
    const { published } = await replay(6, (m) => [...honestCallers(40, m), ...as('hostile0000000000', traffic([honest], 130, undefined, 900 + m), { inflate: 3 })]);
    for (const items of [1, 16]) expect(off(published.at(-1)!, honest, items)).toBeLessThan(1.15);
  });

  it('leaves out an item-count bucket only the hostile caller fills', async () => {
    // Honest callers send 1 to 4 items; the hostile alone sends 64, its CPU 20x.
    const { published } = await replay(6, (m) => [...honestCallers(40, m, [1, 2, 4]), ...as('hostile0000000000', traffic([honest], 10, [64], 900 + m), { inflate: 20 })]);
    const fit = published.at(-1)!;
    for (const items of [1, 4, 64]) expect(off(fit, honest, items)).toBeLessThan(1.2);
    expect(fit.items).toEqual([1, 4]);
  });

  it("keeps honest samples in the window through a flood: a full window gives up the flooder's own oldest", async () => {
    const { state } = await replay(3, (m) => [...honestCallers(20, m), ...as('hostile0000000000', traffic([honest], 2000, undefined, 900 + m), { inflate: 3 })]);
    const samples: [number, number, number | null, string?][] = state.series['m/fp32@SJC'];
    const honestShare = samples.filter((s) => s[3]?.startsWith('honest')).length / samples.length;
    expect(honestShare).toBeGreaterThan(0.5);
  });

  it('never lets a lone caller walk a fit past the drift bound, however many publishes it replays', async () => {
    // The only caller: each minute it sends runs 2x slower than what was published last (its own aggregation
    // replayed), honest body sizes, across every item count.
    let factor = 1;
    const { published, lines } = await replay(12, (m) => {
      factor = m === 0 ? 2 : factor * 2;
      return as('hostile0000000000', traffic([honest], 100, undefined, 900 + m), { inflate: factor });
    });
    expect(published.length).toBe(12);
    for (const fit of published) for (const items of [1, 16]) expect(off(fit, PRIOR, items)).toBeLessThanOrEqual(MAX_DRIFT * 1.001);
    expect(at(published.at(-1)!, 1)).toBeLessThanOrEqual(MAX_DRIFT * at(PRIOR, 1) * 1.001);
    expect(lines.at(-1)).toMatch(/held at the drift bound/);
    console.log(`lone caller, 12 publishes of runs 2x slower each: 1 item ${at(published.at(-1)!, 1)} ms (manifest ${at(PRIOR, 1)} ms, bound ${MAX_DRIFT}x)`);
  });
});
