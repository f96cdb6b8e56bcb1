/**
 * `npm run models:mnist`: the whole MNIST pipeline, train -> fp16/int8 variants -> measure -> manifest.
 * Reproducible: the .onnx bytes (and so their sha256) are identical run to run; only timings differ.
 * `--no-train` reuses the existing fp32.onnx and training.json (to re-measure only).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ModelManifest, type TensorSpec } from '../../registry/manifest.js';
import { readModel, writeFileAtomic, writeModel } from '../onnx/io.js';
import { toFp16 } from '../variants/fp16.js';
import { toInt8 } from '../variants/int8.js';
import { encodeFeeds, measureVariants } from '../measure/variants.js';
import { loadAllDigits, splitDigits } from './data.js';
import { DEFAULT_TRAIN, trainMnist, type TrainingRecord } from './train.js';

const { values } = parseArgs({ options: { 'no-train': { type: 'boolean' } } });
const dir = DEFAULT_TRAIN.outDir;
const log = (line: string) => console.log(`[mnist] ${line}`);

const record: TrainingRecord = values['no-train'] ? JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8')) : trainMnist(DEFAULT_TRAIN, log);
const fp32 = readModel(join(dir, 'fp32.onnx'));
writeModel(join(dir, 'fp16.onnx'), toFp16(fp32));
writeModel(join(dir, 'int8.onnx'), toInt8(fp32));

const { test } = splitDigits(loadAllDigits(), DEFAULT_TRAIN.trainCount, record.seed);
const inputs: TensorSpec[] = [{ name: 'input', datatype: 'FP32', shape: [-1, 784] }];
const variants = measureVariants({
  dir,
  inputs,
  variants: [
    { name: 'fp32', method: 'reference fp32 (MatMul+Add+Relu)' },
    { name: 'fp16', method: 'fp16 weights+compute, fp32 io (Cast at graph edges)' },
    { name: 'int8', method: 'dynamic int8: DynamicQuantizeLinear + MatMulInteger, int8 per-column symmetric weights, fp32 io' },
  ],
  evalFeeds: encodeFeeds({ input: { data: test.pixels, dims: [test.count, 784] } }),
  evalSet: `mnist test split (${test.count} digits)`,
  width: 10,
  labels: test.labels,
  batches: [1, 2, 4, 8, 16, 32],
  warmup: 20,
  runs: 200,
  budgetMsPerPoint: 3000,
  seq: 1,
  intHigh: 1,
  log,
});

const manifest = ModelManifest.parse({
  name: 'mnist',
  version: '1',
  platform: 'onnx',
  description: 'Handwritten digit classifier (MLP 784-128-64-10) trained on real MNIST digits; input 28x28 pixels flattened, scaled 0..1; output 10 logits.',
  synthetic: false,
  inputs,
  outputs: [{ name: 'logits', datatype: 'FP32', shape: [-1, 10] }],
  batch_axis: true,
  test_accuracy: record.test_accuracy,
  variants,
  provenance: {
    data: record.data,
    split: record.split,
    seed: record.seed,
    epochs: record.epochs,
    batch: record.batch,
    lr: record.lr,
    architecture: record.architecture,
    train_accuracy: record.train_accuracy,
    train_seconds: record.train_seconds,
    samples_fixture: 'samples.json: first 200 digits of the test split with labels',
    command: 'npm run models:mnist',
    reproducible: 'same Node version -> identical .onnx bytes (seeded PRNG, fixed data order, single thread)',
  },
});
writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
log(`manifest written: test accuracy ${record.test_accuracy}`);
