/**
 * What a pruned or distilled variant is worth next to its base: accuracy and top-1 agreement with the fp32
 * outputs on held-out rows (onnxruntime-node), and onnxruntime-web latency at batch 1 and 8 measured with
 * the base in one process, interleaved (tools/measure/interleave.ts), so load from other processes lands
 * on both alike and the ratio stays true.
 */
import { runInterleaved } from '../measure/probe-client.js';
import { compareOutputs } from '../measure/stats.js';
import type { ModelProto } from '../onnx/types.js';
import { collect, type Batch } from './taps.js';

/** Held-out fidelity of a variant. */
export interface Fidelity {
  accuracy?: number;
  top1_agreement: number;
  samples: number;
}

/** Outputs of the graph's first output over the held-out rows. */
export async function outputs(m: ModelProto, rows: Batch): Promise<Batch> {
  return collect(m, m.graph.output[0]!.name, rows);
}

/** Accuracy (with labels) and top-1 agreement of `variant`'s outputs with `base`'s. */
export function fidelity(base: Batch, variant: Batch, labels?: ArrayLike<number>): Fidelity {
  const width = base.dims.slice(1).reduce((a, b) => a * b, 1);
  const c = compareOutputs(base.data, variant.data, width, labels);
  return { ...(c.accuracy !== undefined ? { accuracy: c.accuracy } : {}), top1_agreement: c.top1_agreement ?? 0, samples: c.samples };
}

/** p50 per batch size of each file, measured interleaved in onnxruntime-web (WASM, one thread). */
export function latency(files: { name: string; path: string }[], input: string, sample: number[], batches: number[], runs: number): Record<string, Record<number, number>> {
  const result = runInterleaved({
    variants: files.map((f) => ({ name: f.name, model: f.path })),
    inputs: [{ name: input, datatype: 'FP32', shape: [-1, ...sample] }],
    shapes: batches.map((b) => ({ items: b, dims: { [input]: [b, ...sample] } })),
    seq: 1, intHigh: 1, batches, warmup: 5, runs, rounds: Math.min(10, Math.max(2, Math.floor(runs / 10))), budgetMsPerPoint: 20_000,
  });
  return Object.fromEntries(Object.entries(result).map(([name, points]) => [name, Object.fromEntries(points.map((p) => [p.items, p.p50_ms]))]));
}
