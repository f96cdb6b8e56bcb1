/**
 * The two ways to a smaller dense model, each ending in distillation from the unpruned teacher:
 * `pruneVariant` removes the least important channels of every open space (spaces.ts, importance.ts,
 * surgery.ts) and fine-tunes what is left; `distillVariant` builds a student (tools/train/student.ts) and
 * trains it from scratch. BatchNorm statistics are re-estimated on training rows before training, since
 * removing channels upstream changes what every later BatchNorm sees, and then held fixed.
 */
import { countMacs } from './macs.js';
import { activationImportance, chooseKeep } from './importance.js';
import { indexGraph } from './graph.js';
import { channelSpaces, type ChannelSpace } from './spaces.js';
import { applyKeep } from './surgery.js';
import { taylorImportance } from './taylor.js';
import { tensorDims, type Batch } from './taps.js';
import type { ModelProto } from '../onnx/types.js';
import { trainable } from '../train/executor.js';
import { finetune, gatherRows, type FinetuneOptions } from '../train/finetune.js';
import type { Tf } from '../train/tf.js';

/** Dims of every tensor and the multiply-adds at batch 1. */
export async function profileShapes(m: ModelProto, rows: Batch): Promise<{ dims: Map<string, number[]>; macs: number }> {
  const dims = await tensorDims(m, m.graph.node.flatMap((n) => n.output), rows);
  return { dims, macs: countMacs(m, dims).total };
}

/** The name of the logits: the graph's first output, or the input of the Softmax that makes it. */
export function logitsName(m: ModelProto): string {
  const out = m.graph.output[0]!.name;
  const last = m.graph.node.find((n) => n.output.includes(out));
  return last?.op_type === 'Softmax' ? last.input[0]! : out;
}

/** What pruning did, for the report. */
export interface PruneSummary {
  spaces: { id: number; channels: number; kept: number; residual: boolean; frozen?: string }[];
  macs_before: number;
  macs_after: number;
}

/** How channels are scored: activation statistics (onnxruntime) or first-order Taylor (the trainer). */
export type ImportanceKind = { kind: 'activation' } | { kind: 'taylor'; tf: Tf; labels?: ArrayLike<number> };

/** Removes `ratio` of the channels of every open space, scored on `calib`. */
export async function pruneChannels(m: ModelProto, calib: Batch, ratio: number, residual: 'joint' | 'skip', importance: ImportanceKind = { kind: 'activation' }): Promise<{ model: ModelProto; summary: PruneSummary; spaces: ChannelSpace[] }> {
  const before = await profileShapes(m, calib);
  const g = indexGraph(m);
  const spaces = channelSpaces(g, before.dims, residual);
  const scores = importance.kind === 'taylor' ? taylorImportance(importance.tf, m, spaces, calib, importance.labels) : await activationImportance(g, spaces, calib);
  const keep = chooseKeep(spaces, scores, ratio);
  const model = applyKeep(g, spaces, keep);
  const after = await profileShapes(model, calib);
  return {
    model,
    spaces,
    summary: {
      spaces: spaces.map((s) => ({ id: s.id, channels: s.size, kept: keep.get(s.id)?.length ?? s.size, residual: s.residual, ...(s.frozen ? { frozen: s.frozen } : {}) })),
      macs_before: before.macs,
      macs_after: after.macs,
    },
  };
}

/** Splits rows into tensors of at most `chunk` rows (for BatchNorm recalibration). */
function* chunks(tf: Tf, rows: Batch, chunk: number, limit: number): Generator<ReturnType<Tf['tensor']>> {
  const n = Math.min(rows.dims[0]!, limit);
  for (let at = 0; at < n; at += chunk) {
    const idx = Array.from({ length: Math.min(chunk, n - at) }, (_, i) => at + i);
    yield tf.tensor(gatherRows(rows, idx), [idx.length, ...rows.dims.slice(1)]);
  }
}

/** Trains `m` towards the teacher's logits on `train`; returns the trained model and what training took. */
export async function distil(tf: Tf, m: ModelProto, train: Batch, teacherLogits: Batch, o: FinetuneOptions): Promise<{ model: ModelProto; epochLoss: number[]; seconds: number }> {
  const g = trainable(tf, m);
  const hasBn = m.graph.node.some((n) => n.op_type === 'BatchNormalization');
  const recalibrate = () => { if (hasBn) { const it = [...chunks(tf, train, 64, 2048)]; g.recalibrate(it); tf.dispose(it); } };
  try {
    recalibrate();
    // Not again afterwards: training ran with these statistics fixed, so the weights fit them; statistics
    // re-estimated under the new weights changed the function (ppocr-cls: agreement 0.93 on its own training rows).
    const r = await finetune(g, train, teacherLogits, o);
    return { model: await g.write(), ...r };
  } finally {
    g.release();
  }
}
