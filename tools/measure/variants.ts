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
import type { Fidelity, Variant, VariantLoad, VariantName } from '../../src/registry/manifest.js';
import type { TensorSpec } from '../../src/protocol/datatypes.js';
import { sha256 } from '../lib/sha256.js';
import type { EncodedFeeds, ProbeRequest, ProbeResult } from './probe.js';
import { latencyProfile, runInterleaved, runProbe } from './probe-client.js';
import { compareOutputs } from './stats.js';

/** What to measure for one model. */
export interface MeasurePlan {
  dir: string;
  inputs: TensorSpec[];
  /** Variants in order; fp32 must be first. `method` and `load` go into the manifest as they are. */
  variants: { name: VariantName; method: string; bytesOverride?: number; file?: string; load?: VariantLoad }[];
  evalFeeds: EncodedFeeds;
  evalSet: string;
  /** Last-axis width of the first output (classes or hidden size) for row-wise comparison. */
  width: number;
  labels?: ArrayLike<number>;
  /** False when outputs are not class scores (top-1 agreement is then meaningless and left out). */
  classifier?: boolean;
  batches: number[];
  /** Explicit input shapes per latency point (see ProbeRequest.shapes). */
  shapes?: ProbeRequest['shapes'];
  warmup: number;
  runs: number;
  budgetMsPerPoint: number;
  seq: number;
  intHigh: number;
  runtimeNote?: string;
  /** What one latency item is (see LatencyProfile.item). */
  item?: LatencyProfile['item'];
  log?: (line: string) => void;
}

/** Encodes typed arrays as the probe's evaluation feeds file format. */
export function encodeFeeds(feeds: Record<string, { data: Float32Array | BigInt64Array; dims: number[] }>): EncodedFeeds {
  const out: EncodedFeeds = {};
  for (const [name, f] of Object.entries(feeds)) {
    out[name] = { type: f.data instanceof Float32Array ? 'float32' : 'int64', dims: f.dims, data: Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength).toString('base64') };
  }
  return out;
}

/**
 * Probes each variant in its own process (memory, load time, outputs), then measures all variants' latency
 * interleaved in one process (interleave.ts): repeated rounds, outliers rejected, dispersion recorded.
 */
export function measureVariants(plan: MeasurePlan): Partial<Record<VariantName, Variant>> {
  const work = mkdtempSync(join(tmpdir(), 'modelgen-'));
  const evalIn = join(work, 'feeds.json');
  writeFileSync(evalIn, JSON.stringify(plan.evalFeeds));
  const result: Partial<Record<VariantName, Variant>> = {};
  let reference: Float32Array | undefined;
  try {
    const probed: { v: MeasurePlan['variants'][number]; file: string; bytes: Buffer; probe: ProbeResult; fidelity: Fidelity }[] = [];
    const first = plan.batches[0]!;
    for (const v of plan.variants) {
      const file = v.file ?? `${v.name}.onnx`;
      const path = join(plan.dir, file);
      const bytes = readFileSync(path);
      const evalOut = join(work, `${v.name}.f32`);
      // Latency comes from the interleaved run below: here one short point, for memory after a run.
      const shapes = plan.shapes?.filter((s) => s.items === first);
      const probe = runProbe({ model: path, inputs: plan.inputs, batches: [first], warmup: 1, runs: 3, budgetMsPerPoint: 0, ...(shapes ? { shapes } : {}), seq: plan.seq, intHigh: plan.intHigh, evalIn, evalOut, ...(v.load ? { load: v.load } : {}) });
      const raw = readFileSync(evalOut);
      const outputs = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
      reference ??= outputs;
      probed.push({ v, file, bytes, probe, fidelity: { eval_set: plan.evalSet, ...compareOutputs(reference, outputs, plan.width, plan.labels, plan.classifier ?? true) } });
    }
    const latency = runInterleaved({
      variants: probed.map((p) => ({ name: p.v.name, model: join(plan.dir, p.file), ...(p.v.load ? { load: p.v.load } : {}) })),
      inputs: plan.inputs,
      batches: plan.batches,
      shapes: plan.shapes,
      warmup: plan.warmup,
      runs: plan.runs,
      rounds: Math.min(5, Math.max(1, Math.floor(plan.runs / 4))),
      budgetMsPerPoint: plan.budgetMsPerPoint,
      seq: plan.seq,
      intHigh: plan.intHigh,
    });
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
        ...(v.load ? { load: v.load } : {}),
      };
      plan.log?.(`${v.name}: ${bytes.length} bytes, wasm heap ${(probe.edge_memory_bytes / 2 ** 20).toFixed(1)} MiB, load ${probe.load_ms} ms, p50@${first} ${points[0]?.p50_ms} ms (MAD ${points[0]?.mad_ms}), agreement ${fidelity.top1_agreement ?? '-'}, max err ${fidelity.max_abs_err}, cosine ${fidelity.cosine}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return result;
}
