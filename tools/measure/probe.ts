/**
 * Child-process entry that measures one variant in onnxruntime-web (WASM, 1 thread): session load time,
 * WASM heap size after one batch-1 run, p50/p95 latency per batch size, and optionally the outputs for an
 * evaluation input. A fresh process per variant because WASM memory only grows: a second session in the
 * same isolate would report the first one's high-water mark.
 * Usage: node --import tsx probe.ts '<ProbeRequest JSON>'  -> prints ProbeResult JSON on the last line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { model, node, valueInfo } from '../onnx/build.js';
import { encodeModel } from '../onnx/io.js';
import { Prng } from '../lib/prng.js';
import { percentile } from '../lib/percentile.js';
import { runEval, type EvalOutputs, type EvalPlan, type Feeds, type RunOutputs } from './eval-run.js';
import { probeFeeds, type FeedSpec } from './probe-feeds.js';
import { round } from './stats.js';
import { sessionOptionsFor } from '../../src/engine/ort-session.js';
import type { VariantLoad } from '../../src/registry/manifest.js';

/** What to measure; see `runProbe` in probe-client.ts. */
export interface ProbeRequest {
  model: string;
  inputs: { name: string; datatype: string; shape: number[] }[];
  batches: number[];
  warmup: number;
  runs: number;
  /** Stop adding runs to a point after this many ms (large models). */
  budgetMsPerPoint: number;
  /** Length given to dynamic dims other than the batch axis (sequence length). */
  seq: number;
  /** INT64 inputs are random in [0, intHigh), except names containing "mask", which are all 1. */
  intHigh: number;
  /** Each named input's values, and the float range of the others (probe-feeds.ts). */
  domains?: FeedSpec['domains'];
  floatRange?: FeedSpec['floatRange'];
  /**
   * Explicit input shapes per latency point (overrides `batches`/`seq`): for models whose cost grows with
   * an input size rather than the batch (an OCR detector at several image sizes). `items` is what the point
   * is reported as.
   */
  shapes?: { items: number; dims: Record<string, number[]> }[];
  /** Evaluation feeds (JSON file, see encodeFeeds), run as `evalPlan` says; every output goes to evalOut (see encodeOutputs). */
  evalIn?: string;
  evalOut?: string;
  evalPlan?: EvalPlan;
  /** The variant's manifest `load`: the session is opened as the gateway opens it. */
  load?: VariantLoad;
}

/** What the probe reports. */
export interface ProbeResult {
  load_ms: number;
  edge_memory_bytes: number;
  points: { items: number; p50_ms: number; p95_ms: number; runs: number }[];
  ortVersion: string;
  simd: boolean;
}

// Keep every WebAssembly.Memory the runtime creates or exports; must be installed before importing ort.
const memories: WebAssembly.Memory[] = [];
const OriginalMemory = WebAssembly.Memory;
(WebAssembly as { Memory: unknown }).Memory = new Proxy(OriginalMemory, {
  construct(target, args) {
    const mem = Reflect.construct(target, args) as WebAssembly.Memory;
    memories.push(mem);
    return mem;
  },
});
const originalInstantiate = WebAssembly.instantiate;
(WebAssembly as { instantiate: unknown }).instantiate = async (...args: Parameters<typeof WebAssembly.instantiate>) => {
  const result = (await originalInstantiate(...args)) as unknown as { instance: WebAssembly.Instance } | WebAssembly.Instance;
  const instance = 'instance' in result ? result.instance : result;
  for (const v of Object.values(instance.exports)) if (v instanceof OriginalMemory) memories.push(v);
  return result;
};
const wasmHeapBytes = () => Math.max(0, ...memories.map((m) => m.buffer.byteLength));

const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;

const feeds = (req: ProbeRequest, batch: number, prng: Prng) => probeFeeds(ort, req, batch, prng);

/** Serialised evaluation feeds: name -> {type, dims, base64 of raw little-endian data, fixed, perRun}. */
export type EncodedFeeds = Record<string, { type: 'float32' | 'int64'; dims: number[]; data: string; fixed?: boolean; perRun?: boolean }>;
/** Serialised outputs of an evaluation run: name -> {width, last, base64 of raw f32}. */
export type EncodedOutputs = Record<string, { width: number; last: number; data: string }>;

function decodeFeeds(file: string): Feeds {
  const enc = JSON.parse(readFileSync(file, 'utf8')) as EncodedFeeds;
  const out: Feeds = {};
  for (const [name, f] of Object.entries(enc)) {
    const buf = Buffer.from(f.data, 'base64');
    const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    out[name] = { type: f.type, dims: f.dims, data: f.type === 'float32' ? new Float32Array(ab) : new BigInt64Array(ab), ...(f.fixed ? { fixed: true } : {}), ...(f.perRun ? { perRun: true } : {}) };
  }
  return out;
}

const encodeOutputs = (outs: EvalOutputs): EncodedOutputs =>
  Object.fromEntries(Object.entries(outs).map(([name, o]) => [name, { width: o.width, last: o.last, data: Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength).toString('base64') }]));

const req = JSON.parse(process.argv[2]!) as ProbeRequest;
// Initialise the WASM backend with a one-node model first, so load_ms is this variant's session creation
// in a warm isolate rather than the one-off WebAssembly compile every isolate pays once.
const warmup = await ort.InferenceSession.create(encodeModel(model({ name: 'warmup', node: [node('Identity', ['x'], ['y'], 'id')], initializer: [], input: [valueInfo('x', 1, [1])], output: [valueInfo('y', 1, [1])] }, 'warm-up')));
await warmup.release();
const bytes = readFileSync(req.model);
const t0 = performance.now();
const session = await ort.InferenceSession.create(bytes, sessionOptionsFor(req.load, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }));
const load_ms = performance.now() - t0;
const prng = new Prng(7);
const batches = req.shapes?.map((s) => s.items) ?? req.batches;
await session.run(feeds(req, batches[0]!, prng));
const edge_memory_bytes = wasmHeapBytes();

// Rounds over the whole batch sweep: p95 is the lowest round's p95, so a burst of load from another
// process during one round does not become the variant's profile; p50 is over all runs. Only with
// enough runs per round for a p95 to mean something (small models); large models get one round.
const ROUNDS = req.runs >= 60 ? 3 : 1;
const times = new Map<number, number[][]>(batches.map((b) => [b, []]));
const inputsFor = new Map(batches.map((b) => [b, feeds(req, b, prng)]));
for (let round = 0; round < ROUNDS; round++) {
  for (const batch of batches) {
    const f = inputsFor.get(batch)!;
    (globalThis as { gc?: () => void }).gc?.();
    for (let i = 0; i < (round === 0 ? req.warmup : 2); i++) await session.run(f);
    const t: number[] = [];
    const started = performance.now();
    while (t.length < Math.ceil(req.runs / ROUNDS) && (t.length < 3 || performance.now() - started < req.budgetMsPerPoint / ROUNDS)) {
      const s = performance.now();
      await session.run(f);
      t.push(performance.now() - s);
    }
    times.get(batch)!.push(t);
  }
}
const points: ProbeResult['points'] = batches.map((batch) => {
  const rounds = times.get(batch)!;
  const all = rounds.flat();
  return { items: batch, p50_ms: round(percentile(all, 0.5)), p95_ms: round(Math.min(...rounds.map((t) => percentile(t, 0.95)))), runs: all.length };
});

if (req.evalIn && req.evalOut) {
  const run = async (part: Feeds) => {
    const input: Record<string, InstanceType<typeof ort.Tensor>> = {};
    for (const [name, f] of Object.entries(part)) input[name] = new ort.Tensor(f.type, f.data, f.dims);
    return (await session.run(input)) as unknown as RunOutputs;
  };
  const outs = await runEval(run, decodeFeeds(req.evalIn), req.evalPlan ?? { chunk: 1 << 30, state: [], steps: 1 });
  writeFileSync(req.evalOut, JSON.stringify(encodeOutputs(outs)));
}
await session.release();
const result: ProbeResult = { load_ms: round(load_ms, 1), edge_memory_bytes, points, ortVersion: ort.env.versions.web ?? '', simd: ort.env.wasm.simd !== false };
process.stdout.write(`\n${JSON.stringify(result)}\n`);
