/**
 * Child-process entry that measures the latency of several variants of one model interleaved: all
 * sessions loaded in one process, then rounds over the batch sizes in which each variant runs a short
 * block in turn (order rotated per round). Noise from the machine (another process, thermal, GC) then
 * lands on every variant alike instead of on whichever was being measured when it happened, and the
 * profile's ratios between variants stay true. Memory and load time stay with probe.ts (one process per
 * variant, since WASM memory only grows).
 * Usage: node --import tsx interleave.ts '<InterleaveRequest JSON>'  -> InterleaveResult JSON on the last line.
 */
import { readFileSync } from 'node:fs';
import { Prng } from '../lib/prng.js';
import type { FeedSpec } from './probe-feeds.js';
import { probeFeeds } from './probe-feeds.js';
import { roundOrder, summarise } from './profile.js';
import { sessionOptionsFor } from '../../src/engine/ort-session.js';
import type { VariantLoad } from '../../src/registry/manifest.js';

/** What to measure: variant files by name, and the points (see ProbeRequest for the shared fields). */
export interface InterleaveRequest extends FeedSpec {
  /** `load`: the variant's manifest `load`, so each session is opened as the gateway opens it. */
  variants: { name: string; model: string; load?: VariantLoad }[];
  batches: number[];
  warmup: number;
  /** Timed runs per variant and point, over all rounds. */
  runs: number;
  rounds: number;
  /** Stop adding runs to a variant's point after this many ms (large models). */
  budgetMsPerPoint: number;
}

export type InterleaveResult = Record<string, ReturnType<typeof summarise>[]>;

const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;

const req = JSON.parse(process.argv[2]!) as InterleaveRequest;
const sessions = new Map<string, Awaited<ReturnType<typeof ort.InferenceSession.create>>>();
for (const v of req.variants) sessions.set(v.name, await ort.InferenceSession.create(readFileSync(v.model), sessionOptionsFor(v.load, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' })));
const prng = new Prng(7);
const inputs = new Map(req.batches.map((b) => [b, probeFeeds(ort, req, b, prng)]));
const samples = new Map(req.variants.map((v) => [v.name, new Map(req.batches.map((b) => [b, [] as number[]]))]));
const spent = new Map<string, number>();

for (const session of sessions.values()) for (const b of req.batches) for (let i = 0; i < req.warmup; i++) await session.run(inputs.get(b)!);
const perBlock = Math.max(1, Math.ceil(req.runs / req.rounds));
for (let round = 0; round < req.rounds; round++) {
  for (const b of roundOrder(req.batches, round)) {
    for (const v of roundOrder(req.variants, round)) {
      const key = `${v.name}@${b}`;
      const times = samples.get(v.name)!.get(b)!;
      if (times.length >= 3 && (spent.get(key) ?? 0) >= req.budgetMsPerPoint) continue;
      const session = sessions.get(v.name)!;
      const f = inputs.get(b)!;
      // One untimed run after switching variants: the switch's cache misses are not the variant's cost.
      await session.run(f);
      for (let i = 0; i < perBlock; i++) {
        const s = performance.now();
        await session.run(f);
        const ms = performance.now() - s;
        times.push(ms);
        spent.set(key, (spent.get(key) ?? 0) + ms);
      }
    }
  }
}
for (const session of sessions.values()) await session.release();
const result: InterleaveResult = Object.fromEntries([...samples].map(([name, byBatch]) => [name, req.batches.map((b) => summarise(b, byBatch.get(b)!))]));
process.stdout.write(`\n${JSON.stringify(result)}\n`);
