/**
 * Input data for calibration and evaluation: a JSON file in the documented format, checked against the
 * model's inputs, or seeded random inputs that respect each input's shape and type.
 *
 * File format: `{ "<input name>": { "dims": [N, ...], "data": [flat numbers, row-major] }, ... }` where axis 0
 * counts samples and every model input is present. Labels: a JSON array of N integers.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { TensorSpec } from '../../src/protocol/datatypes.js';
import { Prng } from '../lib/prng.js';
import { CompressInputError } from './source.js';

/** One input's data for a batch of samples. */
export interface Feed {
  type: 'float32' | 'int64';
  dims: number[];
  data: Float32Array | BigInt64Array;
}
export type Feeds = Record<string, Feed>;

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** Reads and checks a feeds file against the model's inputs. `what` names the file in errors. */
export function readFeeds(path: string, inputs: TensorSpec[], what: string): Feeds {
  const fail = (msg: string): never => { throw new CompressInputError(`${what} file ${path} does not match the model inputs: ${msg}`); };
  if (!existsSync(path)) throw new CompressInputError(`${what} file ${path}: no such file`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CompressInputError(`${what} file ${path}: not JSON (${(err as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('expected an object of input name -> {dims, data}');
  const obj = raw as Record<string, { dims?: unknown; data?: unknown }>;
  const unknown = Object.keys(obj).filter((k) => !inputs.some((i) => i.name === k));
  if (unknown.length) fail(`unknown input ${unknown.map((u) => `'${u}'`).join(', ')}; the model takes ${inputs.map((i) => `'${i.name}'`).join(', ')}`);
  const feeds: Feeds = {};
  let samples: number | undefined;
  for (const spec of inputs) {
    const entry = obj[spec.name];
    if (!entry) fail(`missing input '${spec.name}'`);
    const { dims, data } = entry!;
    if (!Array.isArray(dims) || !dims.every((d) => Number.isInteger(d) && d > 0)) fail(`'${spec.name}'.dims must be positive integers`);
    const d = dims as number[];
    if (d.length !== spec.shape.length) fail(`'${spec.name}' has rank ${d.length}, the model expects ${spec.shape.length} (${JSON.stringify(spec.shape)})`);
    d.forEach((v, i) => { if (spec.shape[i]! >= 0 && spec.shape[i] !== v) fail(`'${spec.name}' dim ${i} is ${v}, the model fixes it to ${spec.shape[i]}`); });
    if (samples !== undefined && d[0] !== samples) fail(`'${spec.name}' has ${d[0]} samples, other inputs ${samples}`);
    samples = d[0];
    if (!Array.isArray(data) || data.length !== size(d)) fail(`'${spec.name}'.data must be a flat array of ${size(d)} numbers (dims ${JSON.stringify(d)})`);
    if (!(data as unknown[]).every((x) => typeof x === 'number' && Number.isFinite(x))) fail(`'${spec.name}'.data has a non-numeric or non-finite value`);
    feeds[spec.name] = spec.datatype === 'INT64'
      ? { type: 'int64', dims: d, data: BigInt64Array.from(data as number[], (x) => BigInt(Math.trunc(x))) }
      : { type: 'float32', dims: d, data: Float32Array.from(data as number[]) };
  }
  return feeds;
}

/** Reads a labels file (JSON array of class indices) and checks its length against the evaluation samples. */
export function readLabels(path: string, samples: number): Int32Array {
  if (!existsSync(path)) throw new CompressInputError(`labels file ${path}: no such file`);
  let raw: unknown;
  try { raw = JSON.parse(readFileSync(path, 'utf8')); } catch (err) { throw new CompressInputError(`labels file ${path}: not JSON (${(err as Error).message})`); }
  if (!Array.isArray(raw) || !raw.every((x) => Number.isInteger(x) && x >= 0)) throw new CompressInputError(`labels file ${path}: expected a JSON array of non-negative integers`);
  if (raw.length !== samples) throw new CompressInputError(`labels file ${path}: ${raw.length} labels for ${samples} evaluation samples`);
  return Int32Array.from(raw as number[]);
}

/**
 * Seeded random feeds: FP32 uniform in [lo, hi), INT64 in [0, intHigh) (inputs named like "mask": all 1).
 * `shape` gives every dim; -1 entries are not allowed here (resolve them first).
 */
export function randomFeeds(inputs: TensorSpec[], shapes: Record<string, number[]>, seed: number, opts: { lo?: number; hi?: number; intHigh?: number } = {}): Feeds {
  const prng = new Prng(seed);
  const lo = opts.lo ?? 0;
  const hi = opts.hi ?? 1;
  const feeds: Feeds = {};
  for (const spec of inputs) {
    const dims = shapes[spec.name]!;
    if (spec.datatype === 'INT64') {
      const fill = spec.name.includes('mask') ? () => 1n : () => BigInt(prng.int(opts.intHigh ?? 2));
      feeds[spec.name] = { type: 'int64', dims, data: BigInt64Array.from({ length: size(dims) }, fill) };
    } else feeds[spec.name] = { type: 'float32', dims, data: Float32Array.from({ length: size(dims) }, () => lo + (hi - lo) * prng.next()) };
  }
  return feeds;
}

/** Number of samples (axis 0) in a feeds set. */
export function sampleCount(feeds: Feeds): number {
  return Object.values(feeds)[0]?.dims[0] ?? 0;
}

/** Samples [from, to) of every feed; the whole set as it is (inputs whose axis 0 is not the batch too). */
export function sliceFeeds(feeds: Feeds, from: number, to: number): Feeds {
  if (from === 0 && to >= sampleCount(feeds)) return feeds;
  const out: Feeds = {};
  for (const [name, f] of Object.entries(feeds)) {
    const per = size(f.dims.slice(1));
    out[name] = { type: f.type, dims: [to - from, ...f.dims.slice(1)], data: f.data.slice(from * per, to * per) as Float32Array | BigInt64Array };
  }
  return out;
}
