/**
 * The wide MNIST classifier (MLP 784-1024-1024-10, 1.8M weights, 7.5 MB fp32), trained at setup time by
 * `npm run models` from the config in its committed manifest, so its bytes are never committed. Wide on
 * purpose: a batch-1 run reads every weight for one digit (memory-bound), a batch-16 run reads them once
 * for sixteen, so it is the bundled model where dynamic batching can pay (issue #12).
 * Bit-for-bit reproducible on any machine and Node version: the data order and initial weights come from
 * the integer PRNG, and training uses only + - * / and Math.sqrt (IEEE correctly rounded): a squared hinge
 * loss instead of softmax (no Math.exp/Math.log) and Adam's bias corrections as running products (no `**`).
 */
import { Prng } from '../../lib/prng.js';
import type { ModelProto } from '../../onnx/types.js';
import { loadAllDigits, MNIST_SPLIT, splitDigits, PIXELS, type DigitSet } from '../../lib/digits.js';
import { argmaxRows, backward, denseForward, forward, initMlp, parameters, type Dense } from '../mnist/mlp.js';
import { exportMlp } from '../mnist/export.js';

/** What `npm run models` retrains from (recorded as provenance.source.config). */
export interface WideConfig {
  hidden: number[];
  seed: number;
  epochs: number;
  batch: number;
  lr: number;
  trainCount: number;
  /** Digits of the training split actually seen (the first ones of each epoch's shuffle): training time. */
  seen: number;
}

/**
 * The committed config: mnist's split (same seed, same 2,000 test digits), one pass over 2,400 training
 * digits, which keeps setup training near 20 s of CPU (pure-JS dense math, ~0.2 GMAC/s).
 */
export const MNIST_WIDE: WideConfig = { hidden: [1024, 1024], seed: MNIST_SPLIT.seed, epochs: 1, batch: 32, lr: 1e-3, trainCount: MNIST_SPLIT.trainCount, seen: 2400 };

const CLASSES = 10;

/** Adam with bias corrections kept as running products b1^t, b2^t (exact arithmetic only). */
function adam(params: Float32Array[], lr: number, b1 = 0.9, b2 = 0.999, eps = 1e-8) {
  const m = params.map((p) => new Float32Array(p.length));
  const v = params.map((p) => new Float32Array(p.length));
  let b1t = 1;
  let b2t = 1;
  return (grads: Float32Array[]) => {
    b1t *= b1;
    b2t *= b2;
    const c1 = 1 - b1t;
    const c2 = 1 - b2t;
    params.forEach((p, n) => {
      const [g, mn, vn] = [grads[n]!, m[n]!, v[n]!];
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        if (gi === 0 && mn[i] === 0) continue; // untouched weights of pixels that are 0 in every digit so far
        mn[i] = b1 * mn[i]! + (1 - b1) * gi;
        vn[i] = b2 * vn[i]! + (1 - b2) * gi * gi;
        p[i]! -= (lr * (mn[i]! / c1)) / (Math.sqrt(vn[i]! / c2) + eps);
      }
    });
  };
}

/** One-vs-rest squared hinge: sum over classes of max(0, 1 - t z)^2, t = +1 for the label, -1 otherwise. */
function hingeStep(layers: Dense[], x: Float32Array, labels: Uint8Array, rows: number): { grads: Float32Array[]; loss: number } {
  const acts: Float32Array[] = [x];
  layers.forEach((layer, l) => acts.push(denseForward(layer, acts[l]!, rows, l < layers.length - 1)));
  const z = acts[acts.length - 1]!;
  const delta = new Float32Array(rows * CLASSES);
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    for (let c = 0; c < CLASSES; c++) {
      const t = c === labels[i] ? 1 : -1;
      const margin = 1 - t * z[i * CLASSES + c]!;
      if (margin <= 0) continue;
      loss += margin * margin;
      delta[i * CLASSES + c] = (-2 * t * margin) / rows;
    }
  }
  return { grads: backward(layers, acts, delta, rows), loss: loss / rows };
}

/** Fraction of rows whose argmax matches the label. */
export function wideAccuracy(layers: Dense[], set: DigitSet): number {
  const pred = argmaxRows(forward(layers, set.pixels, set.count), CLASSES);
  return pred.filter((p, i) => p === set.labels[i]).length / set.count;
}

/** Trains the model; returns its ONNX graph and what the manifest records about the run. */
export function trainWide(config: WideConfig = MNIST_WIDE, log: (line: string) => void = () => {}): { model: ModelProto; layers: Dense[]; test: DigitSet; record: Record<string, unknown> } {
  const started = performance.now();
  const { train, test } = splitDigits(loadAllDigits(), config.trainCount, config.seed);
  const prng = new Prng(config.seed + 1);
  const sizes = [PIXELS, ...config.hidden, CLASSES];
  const layers = initMlp(sizes, prng);
  const step = adam(parameters(layers), config.lr);
  const order = Array.from({ length: train.count }, (_, i) => i);
  const x = new Float32Array(config.batch * PIXELS);
  const y = new Uint8Array(config.batch);
  for (let epoch = 0; epoch < config.epochs; epoch++) {
    prng.shuffle(order);
    let loss = 0;
    let batches = 0;
    const seen = Math.min(config.seen, order.length);
    for (let start = 0; start < seen; start += config.batch) {
      const rows = Math.min(config.batch, seen - start);
      for (let i = 0; i < rows; i++) {
        const r = order[start + i]!;
        x.set(train.pixels.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
        y[i] = train.labels[r]!;
      }
      const out = hingeStep(layers, x.subarray(0, rows * PIXELS), y, rows);
      step(out.grads);
      loss += out.loss;
      batches++;
    }
    log(`epoch ${epoch + 1}/${config.epochs} loss ${(loss / batches).toFixed(4)}`);
  }
  const architecture = `MLP ${sizes.join('-')} ReLU, Adam, one-vs-rest squared hinge loss`;
  const record = {
    architecture,
    data: `mnist npm package 1.1.0 (${train.count + test.count} real MNIST digits, pixels 0..1)`,
    split: `seeded shuffle (seed ${config.seed}) of all digits in file order; first ${train.count} train, last ${test.count} test (the mnist model's split); ${config.epochs} pass(es) over the first ${Math.min(config.seen, train.count)} of the training digits`,
    training_test_accuracy: wideAccuracy(layers, test),
    train_seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  return { model: exportMlp(layers, `Wide MNIST digit classifier, ${architecture}, trained by tools/models/mnist-wide/train.ts`), layers, test, record };
}
