/**
 * Training and held-out rows for the pruner: `mnist` names the bundled digits (the seeded split the mnist
 * models use: 8,000 to train on, the 2,000 test digits they never saw), anything else is read by the
 * compressor's own sample readers (a JSON feeds file, .npy, .png/.jpg, or folders of them; see
 * tools/compress/data/samples.ts) onto the model's one float input, with labels from a JSON array.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadSamples } from '../compress/data/samples.js';
import { loadAllDigits, MNIST_SPLIT, splitDigits } from '../lib/digits.js';
import type { ModelProto } from '../onnx/types.js';
import { UnsupportedModel } from './graph.js';
import type { Batch } from './taps.js';

/** Rows for one model input, with labels when known. */
export interface LabelledRows extends Batch {
  labels?: Int32Array;
  description: string;
}

/** The model's one float input: its name and per-sample dims (dynamic dims from `shape`, else an error). */
export function sampleDims(m: ModelProto, shape?: number[]): { name: string; sample: number[] } {
  const inits = new Set(m.graph.initializer.map((t) => t.name));
  const inputs = m.graph.input.filter((i) => !inits.has(i.name));
  if (inputs.length !== 1) throw new UnsupportedModel(`the model has ${inputs.length} inputs (${inputs.map((i) => `'${i.name}'`).join(', ')}); the pruner trains single-input models`);
  const input = inputs[0]!;
  const dims = input.type?.tensor_type?.shape?.dim ?? [];
  const sample = dims.slice(1).map((d, k) => d.dim_value ?? shape?.[k + 1] ?? -1);
  if (sample.some((d) => d < 0)) throw new UnsupportedModel(`input '${input.name}' has dynamic dims ${JSON.stringify(dims.map((d) => d.dim_value ?? d.dim_param))}; give a sample's size with --shape 1,${dims.slice(1).map((d) => d.dim_value ?? 'N').join(',')}`);
  return { name: input.name, sample };
}

function readLabels(path: string, rows: number): Int32Array {
  if (!existsSync(path)) throw new UnsupportedModel(`labels file ${path}: no such file`);
  const raw = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  if (!Array.isArray(raw) || !raw.every((x) => Number.isInteger(x) && x >= 0)) throw new UnsupportedModel(`labels file ${path}: expected a JSON array of class indices`);
  if (raw.length !== rows) throw new UnsupportedModel(`labels file ${path}: ${raw.length} labels for ${rows} samples`);
  return Int32Array.from(raw as number[]);
}

/** Reads `spec` ('mnist' or sample files) as rows of the model's input; `split` picks mnist's train or test part. */
export function loadRows(m: ModelProto, spec: string, split: 'train' | 'test', labels?: string, shape?: number[]): LabelledRows {
  const { name, sample } = sampleDims(m, shape);
  if (spec === 'mnist') {
    if (sample.reduce((a, b) => a * b, 1) !== 784) throw new UnsupportedModel(`'mnist' digits are 784 pixels; input '${name}' takes [${sample.join(',')}]`);
    const part = splitDigits(loadAllDigits(), MNIST_SPLIT.trainCount, MNIST_SPLIT.seed)[split];
    return { dims: [part.count, ...sample], data: part.pixels, labels: Int32Array.from(part.labels), description: `mnist ${split} split (${part.count} digits, seed ${MNIST_SPLIT.seed})` };
  }
  // One input, so one spec: several files or folders are joined with ',' (as --eval takes them).
  const { feeds, description } = loadSamples([spec], {
    inputs: [{ name, datatype: 'FP32', shape: [-1, ...sample] }], sampleDims: { [name]: sample }, ranges: {}, state: new Set(), maxSamples: 1 << 20,
  }, split === 'train' ? 'training data' : 'held-out data');
  const feed = feeds[name]!;
  const rows = feed.dims[0]!;
  return { dims: feed.dims, data: feed.data as Float32Array, ...(labels ? { labels: readLabels(labels, rows) } : {}), description };
}
