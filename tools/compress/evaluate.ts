/**
 * Quick fidelity checks in onnxruntime-node (in process, single thread), used while choosing the INT8 form
 * and excluding sensitive nodes; the fidelity written to the manifest is measured again in onnxruntime-web
 * by the probe, which is the runtime the Worker runs.
 */
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../onnx/io.js';
import type { ModelProto } from '../onnx/types.js';
import { compareOutputs } from '../measure/stats.js';
import type { Feeds } from './feeds.js';
import { CompressInputError } from './source.js';

/** The metric the INT8 form must keep above a floor. */
export interface FidelityFloor {
  metric: 'top1' | 'cosine';
  value: number;
}

/** Parses `top1=0.99` / `cosine=0.995`. */
export function parseFloor(text: string): FidelityFloor {
  const m = /^(top1|cosine)=(0(\.\d+)?|1(\.0+)?)$/.exec(text.trim());
  if (!m) throw new CompressInputError(`--fidelity-floor '${text}': expected top1=<0..1> or cosine=<0..1>`);
  return { metric: m[1] as FidelityFloor['metric'], value: Number(m[2]) };
}

/** Runs a model on feeds in onnxruntime-node and returns its first output. */
export async function runNode(model: ModelProto | Uint8Array, feeds: Feeds): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(model instanceof Uint8Array ? model : encodeModel(model), { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    const input: Record<string, ort.Tensor> = {};
    for (const [name, f] of Object.entries(feeds)) input[name] = new ort.Tensor(f.type, f.data, f.dims);
    const out = await session.run(input);
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** Compares a candidate's first output to the reference; `score` is the floor's metric. */
export function score(reference: Float32Array, actual: Float32Array, width: number, classifier: boolean, floor: FidelityFloor) {
  const c = compareOutputs(reference, actual, width, undefined, classifier);
  const value = floor.metric === 'top1' ? (c.top1_agreement ?? 0) : c.cosine;
  return { ...c, value, passes: value >= floor.value };
}
