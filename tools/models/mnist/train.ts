/**
 * `npm run train:mnist`: trains the MNIST digit classifier reproducibly and writes
 * `models/mnist/fp32.onnx`, the fixture `models/mnist/samples.json` (first test digits with labels) and
 * `models/mnist/training.json` (accuracy and provenance, read by the manifest step).
 * Same seed + same Node version -> same bytes: fixed data order, seeded init and shuffles, no threads.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { writeModel } from '../../onnx/io.js';
import { sha256 } from '../../lib/sha256.js';
import { Prng } from '../../lib/prng.js';
import { loadAllDigits, splitDigits, PIXELS, type DigitSet } from '../../lib/digits.js';
import { Adam, argmaxRows, forward, initMlp, parameters, trainBatch, type Dense } from './mlp.js';
import { exportMlp } from './export.js';

/** Options of one training run; defaults are the committed model's. */
export interface TrainOptions {
  seed: number;
  epochs: number;
  batch: number;
  lr: number;
  hidden: number[];
  trainCount: number;
  samples: number;
  outDir: string;
}

export const DEFAULT_TRAIN: TrainOptions = { seed: 20240917, epochs: 8, batch: 32, lr: 1e-3, hidden: [128, 64], trainCount: 8000, samples: 200, outDir: 'models/mnist' };

/** What the manifest step needs to know about the training run. */
export interface TrainingRecord {
  test_accuracy: number;
  train_accuracy: number;
  seed: number;
  epochs: number;
  batch: number;
  lr: number;
  architecture: string;
  data: string;
  split: string;
  train_seconds: number;
}

/** The package stores pixels with 3 decimals; writing them back that way keeps the fixture small and exact. */
const roundPixel = (v: number) => Math.round(v * 1000) / 1000;

/** Fraction of rows whose argmax matches the label. */
export function accuracy(layers: Dense[], set: DigitSet): number {
  const pred = argmaxRows(forward(layers, set.pixels, set.count), 10);
  return pred.filter((p, i) => p === set.labels[i]).length / set.count;
}

/** Trains, evaluates and writes the fp32 model, samples fixture and training record. */
export function trainMnist(opts: TrainOptions = DEFAULT_TRAIN, log: (line: string) => void = console.log): TrainingRecord {
  const started = performance.now();
  const { train, test } = splitDigits(loadAllDigits(), opts.trainCount, opts.seed);
  const prng = new Prng(opts.seed + 1);
  const sizes = [PIXELS, ...opts.hidden, 10];
  const layers = initMlp(sizes, prng);
  const adam = new Adam(parameters(layers), opts.lr);
  const order = Array.from({ length: train.count }, (_, i) => i);
  const x = new Float32Array(opts.batch * PIXELS);
  const y = new Uint8Array(opts.batch);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    prng.shuffle(order);
    let loss = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += opts.batch) {
      const rows = Math.min(opts.batch, order.length - start);
      for (let i = 0; i < rows; i++) {
        const r = order[start + i]!;
        x.set(train.pixels.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
        y[i] = train.labels[r]!;
      }
      const out = trainBatch(layers, x.subarray(0, rows * PIXELS), y, rows);
      adam.step(out.grads);
      loss += out.loss;
      batches++;
    }
    log(`epoch ${epoch + 1}/${opts.epochs} loss ${(loss / batches).toFixed(4)} test acc ${accuracy(layers, test).toFixed(4)}`);
  }
  const record: TrainingRecord = {
    test_accuracy: accuracy(layers, test),
    train_accuracy: accuracy(layers, train),
    seed: opts.seed,
    epochs: opts.epochs,
    batch: opts.batch,
    lr: opts.lr,
    architecture: `MLP ${sizes.join('-')} ReLU, Adam, softmax cross-entropy`,
    data: `mnist npm package 1.1.0 (${train.count + test.count} real MNIST digits, pixels 0..1)`,
    split: `seeded shuffle (seed ${opts.seed}) of all digits in file order; first ${train.count} train, last ${test.count} test`,
    train_seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  const bytes = writeModel(join(opts.outDir, 'fp32.onnx'), exportMlp(layers, `MNIST digit classifier, ${record.architecture}, trained by tools/models/mnist/train.ts`));
  const n = Math.min(opts.samples, test.count);
  const inputs = Array.from({ length: n }, (_, i) => Array.from(test.pixels.subarray(i * PIXELS, (i + 1) * PIXELS), roundPixel));
  writeFileSync(join(opts.outDir, 'samples.json'), JSON.stringify({ inputs, labels: Array.from(test.labels.subarray(0, n)) }) + '\n');
  writeFileSync(join(opts.outDir, 'training.json'), JSON.stringify(record, null, 2) + '\n');
  log(`fp32.onnx ${bytes.length} bytes sha256 ${sha256(bytes).slice(0, 12)} test accuracy ${record.test_accuracy} in ${record.train_seconds}s`);
  return record;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { epochs: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' } } });
  trainMnist({
    ...DEFAULT_TRAIN,
    ...(values.epochs ? { epochs: Number(values.epochs) } : {}),
    ...(values.seed ? { seed: Number(values.seed) } : {}),
    ...(values.out ? { outDir: values.out } : {}),
  });
}
