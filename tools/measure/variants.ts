/**
 * Measures every variant file of a model (latency, edge memory, fidelity against fp32, size, sha256) and
 * returns the manifest's `variants` record. fp32 is probed first: its outputs are the reference. Latency
 * is measured for all variants together, interleaved (interleave.ts), so load on the machine cannot make
 * one variant look faster than another.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LatencyProfile } from '../../src/registry/manifest.js';
import type { Fidelity, OutputKind, Variant, VariantFacts, VariantLoad, VariantName } from '../../src/registry/manifest.js';
import type { TensorSpec } from '../../src/protocol/datatypes.js';
import { sha256 } from '../lib/sha256.js';
import type { EvalOutputs, EvalPlan } from './eval-run.js';
import { compareChained, type Downstream } from './chain.js';
import { describeFidelity } from './fidelity.js';
import type { Reading } from './reading.js';
import type { InterleaveRequest, InterleaveResult } from './interleave.js';
import type { EncodedFeeds, EncodedOutputs, ProbeRequest, ProbeResult } from './probe.js';
import { latencyProfile, runInterleaved, runProbe } from './probe-client.js';

/** What to measure for one model. */
export interface MeasurePlan {
  dir: string;
  inputs: TensorSpec[];
  /** Variants in order; fp32 must be first. `method` and `load` go into the manifest as they are. */
  variants: { name: VariantName; method: string; bytesOverride?: number; file?: string; load?: VariantLoad; made?: VariantFacts }[];
  evalFeeds: EncodedFeeds;
  evalSet: string;
  /** Last-axis width of the first output (classes or hidden size) for row-wise comparison. */
  width: number;
  labels?: ArrayLike<number>;
  /** False when outputs are not class scores (top-1 agreement is then meaningless and left out). Used without `kinds`: first output only. */
  classifier?: boolean;
  /** Kind of every output compared (kinds.ts); absent: the first output, by `classifier`. */
  kinds?: Record<string, OutputKind>;
  /** Thresholds and box pairs of the outputs (reading.ts), with `kinds`. */
  reading?: Omit<Reading, 'kinds'>;
  /** The model the outputs feed (chain.ts): each variant is also judged by its outputs. */
  downstream?: Downstream;
  /** How the evaluation set is run (chunks, state fed back); absent: all samples in one run. */
  evalPlan?: EvalPlan;
  /** `random` when the evaluation inputs are seeded random (fidelity unverified); absent: not recorded. */
  evalSetKind?: 'data' | 'random';
  batches: number[];
  /** Explicit input shapes per latency point (see ProbeRequest.shapes). */
  shapes?: ProbeRequest['shapes'];
  warmup: number;
  runs: number;
  budgetMsPerPoint: number;
  seq: number;
  intHigh: number;
  /** Each named input's values and the float range of the others, for the latency feeds (probe-feeds.ts). */
  domains?: ProbeRequest['domains'];
  floatRange?: ProbeRequest['floatRange'];
  runtimeNote?: string;
  /** What one latency item is (see LatencyProfile.item). */
  item?: LatencyProfile['item'];
  log?: (line: string) => void;
}

/** The part of a plan that says how latency is measured (shared with reprofile.ts, which re-measures only that). */
export type LatencyPlan = Pick<MeasurePlan, 'inputs' | 'batches' | 'shapes' | 'warmup' | 'runs' | 'budgetMsPerPoint' | 'seq' | 'intHigh' | 'domains' | 'floatRange'>;

/** The feed fields of a latency plan that are set, for a probe request. */
const feedValues = (plan: LatencyPlan) => ({ ...(plan.domains ? { domains: plan.domains } : {}), ...(plan.floatRange ? { floatRange: plan.floatRange } : {}) });

/**
 * Probes one variant file in its own process with one short point at the plan's first item count: its load
 * time and WASM heap after a run (and, given `extra` evaluation files, its outputs). Its latency points are
 * not the profile's: those come from interleavedLatency.
 */
export function probeVariant(plan: LatencyPlan, model: string, load: VariantLoad | undefined, extra: Pick<ProbeRequest, 'evalIn' | 'evalOut' | 'evalPlan'> = {}): ProbeResult {
  const first = plan.batches[0]!;
  const shapes = plan.shapes?.filter((s) => s.items === first);
  return runProbe({ model, inputs: plan.inputs, batches: [first], warmup: 1, runs: 3, budgetMsPerPoint: 0, ...(shapes ? { shapes } : {}), seq: plan.seq, intHigh: plan.intHigh, ...feedValues(plan), ...extra, ...(load ? { load } : {}) });
}

/** Every variant's latency points, measured together interleaved in one process (interleave.ts). */
export function interleavedLatency(plan: LatencyPlan, variants: InterleaveRequest['variants']): InterleaveResult {
  return runInterleaved({
    variants,
    inputs: plan.inputs,
    batches: plan.batches,
    shapes: plan.shapes,
    warmup: plan.warmup,
    runs: plan.runs,
    rounds: Math.min(5, Math.max(1, Math.floor(plan.runs / 4))),
    budgetMsPerPoint: plan.budgetMsPerPoint,
    seq: plan.seq,
    intHigh: plan.intHigh,
    ...feedValues(plan),
  });
}

/** Encodes typed arrays as the probe's evaluation feeds file format. */
export function encodeFeeds(feeds: Record<string, { data: Float32Array | BigInt64Array; dims: number[]; fixed?: boolean; perRun?: boolean }>): EncodedFeeds {
  const out: EncodedFeeds = {};
  for (const [name, f] of Object.entries(feeds)) {
    out[name] = { type: f.data instanceof Float32Array ? 'float32' : 'int64', dims: f.dims, data: Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).toString('base64'), ...(f.fixed ? { fixed: true } : {}), ...(f.perRun ? { perRun: true } : {}) };
  }
  return out;
}

function decodeOutputs(text: string): EvalOutputs {
  const enc = JSON.parse(text) as EncodedOutputs;
  const out: EvalOutputs = {};
  for (const [name, o] of Object.entries(enc)) {
    const buf = Buffer.from(o.data, 'base64');
    out[name] = { width: o.width, last: o.last, data: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) };
  }
  return out;
}

/**
 * Probes each variant in its own process (memory, load time, outputs), then measures all variants' latency
 * interleaved in one process (interleave.ts): repeated rounds, outliers rejected, dispersion recorded.
 */
export async function measureVariants(plan: MeasurePlan): Promise<Partial<Record<VariantName, Variant>>> {
  const work = mkdtempSync(join(tmpdir(), 'modelgen-'));
  const evalIn = join(work, 'feeds.json');
  writeFileSync(evalIn, JSON.stringify(plan.evalFeeds));
  const result: Partial<Record<VariantName, Variant>> = {};
  let reference: EvalOutputs | undefined;
  try {
    const probed: { v: MeasurePlan['variants'][number]; file: string; bytes: Buffer; probe: ProbeResult; fidelity: Fidelity }[] = [];
    const first = plan.batches[0]!;
    const samples = Object.values(plan.evalFeeds).find((f) => !f.fixed)?.dims[0] ?? 1;
    for (const v of plan.variants) {
      const file = v.file ?? `${v.name}.onnx`;
      const path = join(plan.dir, file);
      const bytes = readFileSync(path);
      const evalOut = join(work, `${v.name}.f32`);
      // Latency comes from the interleaved run below: here one short point, for memory after a run.
      const probe = probeVariant(plan, path, v.load, { evalIn, evalOut, ...(plan.evalPlan ? { evalPlan: plan.evalPlan } : {}) });
      const outputs = decodeOutputs(readFileSync(evalOut, 'utf8'));
      reference ??= outputs;
      const kinds = plan.kinds ?? { [Object.keys(outputs)[0]!]: plan.classifier === false ? 'regression' : 'classification' };
      const fidelity = await compareChained(reference, outputs, { ...plan.reading, kinds }, {
        evalSet: plan.evalSet,
        kind: plan.evalSetKind,
        runtime: `onnxruntime-web ${probe.ortVersion} wasm`,
        samples,
        ...(plan.labels ? { labels: plan.labels } : {}),
        ...(plan.evalPlan?.state.length ? { steps: Math.min(plan.evalPlan.steps, samples) } : {}),
      }, plan.downstream);
      probed.push({ v, file, bytes, probe, fidelity });
    }
    const latency = interleavedLatency(plan, probed.map((p) => ({ name: p.v.name, model: join(plan.dir, p.file), ...(p.v.load ? { load: p.v.load } : {}) })));
    for (const { v, file, bytes, probe, fidelity } of probed) {
      const points = latency[v.name]!;
      result[v.name] = {
        file,
        bytes: bytes.length,
        sha256: sha256(bytes),
        edge_memory_bytes: probe.edge_memory_bytes,
        latency: latencyProfile({ ...probe, points }, plan.runtimeNote, plan.item),
        fidelity,
        method: v.method,
        ...(v.made ? { made: v.made } : {}),
        ...(v.load ? { load: v.load } : {}),
      };
      plan.log?.(`${v.name}: ${bytes.length} bytes, wasm heap ${(probe.edge_memory_bytes / 2 ** 20).toFixed(1)} MiB, load ${probe.load_ms} ms, p50@${first} ${points[0]?.p50_ms} ms (MAD ${points[0]?.mad_ms}), ${describeFidelity(fidelity)}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return result;
}
