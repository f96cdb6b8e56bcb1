/**
 * Fine-tuning with distillation: Adam on minibatches of the training rows in a seeded order, each step the
 * loss of loss.ts against the teacher's logits (computed once beforehand, see tools/prune/taps.ts), labels
 * used when given. Deterministic for a seed: the order comes from the integer PRNG and TensorFlow.js's CPU
 * and WASM kernels run single-threaded, so the same inputs give the same weights. The learning rate is
 * constant by default or follows a cosine from `lr` down to 0 over all the steps (`lrSchedule: 'cosine'`).
 */
import { Prng } from '../lib/prng.js';
import type { TrainableGraph } from './executor.js';
import { distillLoss, type DistillSettings } from './loss.js';
import { quietTraining, type TrainProgress } from './progress.js';

/** Rows in ONNX layout, first axis the samples. */
export interface Rows {
  dims: number[];
  data: Float32Array;
}

/** How the learning rate moves over the run: held at `lr`, or a cosine from `lr` to 0 (Loshchilov and Hutter 2017). */
export type LrSchedule = 'constant' | 'cosine';

/** How to fine-tune. */
export interface FinetuneOptions extends DistillSettings {
  epochs: number;
  batch: number;
  lr: number;
  /** Default 'constant': the weights a seed gave before schedules existed stay byte-identical. */
  lrSchedule?: LrSchedule;
  seed: number;
  labels?: ArrayLike<number>;
  progress?: TrainProgress;
  label?: string;
}

/** Copies rows `idx` of `r` into one tensor-ready array. */
export function gatherRows(r: Rows, idx: readonly number[]): Float32Array {
  const per = r.data.length / r.dims[0]!;
  const out = new Float32Array(idx.length * per);
  idx.forEach((row, i) => out.set(r.data.subarray(row * per, (row + 1) * per), i * per));
  return out;
}

/** The learning rate of step `step` (from 0) of `total` steps. */
export function learningRate(schedule: LrSchedule, lr: number, step: number, total: number): number {
  return schedule === 'cosine' ? (lr * (1 + Math.cos((Math.PI * step) / total))) / 2 : lr;
}

/** Trains `g` in place; returns the mean loss of each epoch and the seconds spent. */
export async function finetune(g: TrainableGraph, x: Rows, teacher: Rows, o: FinetuneOptions): Promise<{ epochLoss: number[]; seconds: number }> {
  const { tf } = g;
  const started = performance.now();
  const rows = x.dims[0]!;
  const prng = new Prng(o.seed);
  const order = Array.from({ length: rows }, (_, i) => i);
  const optimizer = tf.train.adam(o.lr);
  const progress = o.progress ?? quietTraining;
  const steps = Math.ceil(rows / o.batch);
  const epochLoss: number[] = [];
  const schedule = o.lrSchedule ?? 'constant';
  // Adam reads its learningRate field on every step; the public API has no setter for it.
  const adam = optimizer as unknown as { learningRate: number };
  let step = 0;
  const vars = [...g.variables.values()];
  for (let epoch = 0; epoch < o.epochs; epoch++) {
    prng.shuffle(order);
    progress.start(`${o.label ?? 'fine-tune'} epoch ${epoch + 1}/${o.epochs}`, steps);
    let sum = 0;
    for (let at = 0; at < rows; at += o.batch) {
      const idx = order.slice(at, at + o.batch);
      if (schedule !== 'constant') adam.learningRate = learningRate(schedule, o.lr, step++, steps * o.epochs);
      const loss = tf.tidy(() => {
        const xb = tf.tensor(gatherRows(x, idx), [idx.length, ...x.dims.slice(1)]);
        const tb = tf.tensor(gatherRows(teacher, idx), [idx.length, ...teacher.dims.slice(1)]);
        const yb = o.labels ? tf.tensor1d(idx.map((i) => o.labels![i]!), 'int32') : undefined;
        return optimizer.minimize(() => distillLoss(tf, g.run(xb).logits, tb, yb, o), true, vars)!;
      });
      const value = (await loss.data())[0]!;
      loss.dispose();
      sum += value * idx.length;
      progress.step(value);
    }
    progress.stop();
    epochLoss.push(sum / rows);
  }
  optimizer.dispose();
  return { epochLoss, seconds: (performance.now() - started) / 1000 };
}
