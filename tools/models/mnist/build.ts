/**
 * `npm run models:mnist`: the whole MNIST pipeline, train -> compress (the `npm run compress` pipeline:
 * fp16/int8/int8w variants, fidelity and labelled accuracy on the real test split, WASM latency) -> manifest.
 * Reproducible: the .onnx bytes (and so their sha256) are identical run to run; only timings differ.
 * `--no-train` reuses the existing fp32.onnx and training.json (to re-compress and re-measure only).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { compress, type CompressOptions } from '../../compress/pipeline.js';
import { loadAllDigits, splitDigits } from '../../lib/digits.js';
import { DEFAULT_TRAIN, trainMnist, type TrainingRecord } from './train.js';

const dir = DEFAULT_TRAIN.outDir;

/**
 * The compress options of mnist (shared with `npm run models:int8w`): writes the real test split (evaluation
 * set and labels) and the calibration digits into `work`.
 */
export function mnistOptions(work: string, record: TrainingRecord, command: string): CompressOptions {
  const { train, test } = splitDigits(loadAllDigits(), DEFAULT_TRAIN.trainCount, record.seed);
  const feeds = (pixels: Float32Array, count: number) => JSON.stringify({ input: { dims: [count, 784], data: Array.from(pixels) } });
  const calibCount = 256;
  writeFileSync(join(work, 'eval.json'), feeds(test.pixels, test.count));
  writeFileSync(join(work, 'labels.json'), JSON.stringify(Array.from(test.labels)));
  writeFileSync(join(work, 'calibration.json'), feeds(train.pixels.subarray(0, calibCount * 784), calibCount));
  return {
    input: join(dir, 'fp32.onnx'), name: 'mnist', modelsDir: 'models',
    calibration: join(work, 'calibration.json'), eval: join(work, 'eval.json'), labels: join(work, 'labels.json'),
    evalSetName: `mnist test split (${test.count} digits)`,
    fidelityFloor: 'top1=0.99', exclude: [], autoExclude: true, maxExclude: 2, forms: ['dynamic-matmul', 'qdq-minmax', 'qdq-percentile'],
    shapes: {}, batches: [1, 2, 4, 8, 16, 32], samples: 32, seed: 7, task: 'classifier', intHigh: 1, inputRange: [0, 1],
    runs: 200, warmup: 20, budgetMs: 3000,
    description: 'Handwritten digit classifier (MLP 784-128-64-10) trained on real MNIST digits; input 28x28 pixels flattened, scaled 0..1; output 10 logits.',
    synthetic: false, ignoreWeights: false,
    // Logit i is digit i: the training labels are the digits themselves (data.ts).
    outputLabels: { logits: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] },
    extraProvenance: {
      data: record.data, split: record.split, seed: record.seed, epochs: record.epochs, batch: record.batch, lr: record.lr,
      architecture: record.architecture, train_accuracy: record.train_accuracy, train_seconds: record.train_seconds,
      training_test_accuracy: record.test_accuracy,
      samples_fixture: 'samples.json: first 200 digits of the test split with labels',
      calibration_set: `first ${calibCount} digits of the training split`,
      reproducible: 'same Node version -> identical .onnx bytes (seeded PRNG, fixed data order, single thread)',
    },
    command,
  };
}

/** The committed training record of models/mnist (what `--no-train` reuses). */
export function mnistRecord(): TrainingRecord {
  return JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8')) as TrainingRecord;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { 'no-train': { type: 'boolean' } } });
  const log = (line: string) => console.log(`[mnist] ${line}`);
  const record: TrainingRecord = values['no-train'] ? mnistRecord() : trainMnist(DEFAULT_TRAIN, log);
  const work = mkdtempSync(join(tmpdir(), 'mnist-'));
  try {
    const options = mnistOptions(work, record, `npm run models:mnist${values['no-train'] ? ' -- --no-train' : ''}`);
    const { manifest } = await compress({ ...options, progress: { step: log, tick() {}, log } });
    log(`manifest written: test accuracy ${manifest.test_accuracy}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
