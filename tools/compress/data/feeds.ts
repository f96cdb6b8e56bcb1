/**
 * Input data for calibration and evaluation: a JSON file in the documented format, checked against the
 * model's inputs, or seeded random inputs that respect each input's shape and type (samples from .npy,
 * audio and image files: samples.ts).
 *
 * File format: `{ "<input name>": { "dims": [N, ...], "data": [flat numbers, row-major] }, ... }` where axis 0
 * counts samples and every model input is present (state inputs may be left out: they start at zero).
 * Labels: a JSON array of N integers.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { Prng } from '../../lib/prng.js';
import type { Feeds } from '../../measure/eval-run.js';
import { CompressInputError } from '../failure.js';

export type { Feed, Feeds } from '../../measure/eval-run.js';
export { sampleCount, sliceFeeds } from '../../measure/eval-run.js';

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

/** Reads and checks a feeds file against the model's inputs. `what` names the file in errors. */
export function readFeeds(path: string, inputs: TensorSpec[], what: string, state: ReadonlySet<string> = new Set()): Feeds {
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
    if (!entry && state.has(spec.name)) continue;
    if (!entry) fail(`missing input '${spec.name}'`);
    const { dims, data } = entry!;
    if (!Array.isArray(dims) || !dims.every((d) => Number.isInteger(d) && d > 0)) fail(`'${spec.name}'.dims must be positive integers`);
    const d = dims as number[];
    if (d.length !== spec.shape.length) fail(`'${spec.name}' has rank ${d.length}, the model expects ${spec.shape.length} (${JSON.stringify(spec.shape)})`);
    d.forEach((v, i) => { if (i > 0 && spec.shape[i]! >= 0 && spec.shape[i] !== v) fail(`'${spec.name}' dim ${i} is ${v}, the model fixes it to ${spec.shape[i]}`); });
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

/** How inputs without data are filled: ranges per input (else `lo`..`hi`), INT64 ids below `intHigh`. */
export interface RandomOptions {
  lo?: number;
  hi?: number;
  intHigh?: number;
  ranges?: Record<string, [number, number]>;
  /** State inputs: fixed zeros (the initial state), not samples. */
  state?: ReadonlySet<string>;
}

/**
 * Seeded random feeds: FP32 uniform in [lo, hi), INT64 in [0, intHigh) or, with a range named for the
 * input, integers in [lo, hi) (lo when lo = hi: a constant such as a sample rate); inputs named like
 * "mask" are all 1. Rank-0 inputs and state inputs are `fixed` (one tensor for every run; state starts at 0).
 * `shapes` gives every dim; -1 entries are not allowed here (resolve them first).
 */
export function randomFeeds(inputs: TensorSpec[], shapes: Record<string, number[]>, seed: number, opts: RandomOptions = {}): Feeds {
  const prng = new Prng(seed);
  const feeds: Feeds = {};
  for (const spec of inputs) {
    let dims = shapes[spec.name]!;
    const state = opts.state?.has(spec.name) ?? false;
    const fixed = state || spec.shape.length === 0;
    // A state's batch axis is not always axis 0 (e.g. [2, N, 128]): its declared dims, dynamic ones 1.
    if (state) dims = spec.shape.map((d) => (d >= 0 ? d : 1));
    const [lo, hi] = opts.ranges?.[spec.name] ?? [opts.lo ?? 0, opts.hi ?? 1];
    const n = size(dims);
    if (spec.datatype === 'INT64') {
      const named = opts.ranges?.[spec.name];
      const fill = state ? () => 0n : named ? () => BigInt(Math.floor(lo) + (hi > lo ? prng.int(Math.ceil(hi - lo)) : 0)) : spec.name.includes('mask') ? () => 1n : () => BigInt(prng.int(opts.intHigh ?? 2));
      feeds[spec.name] = { type: 'int64', dims, data: BigInt64Array.from({ length: n }, fill), ...(fixed ? { fixed } : {}) };
    } else feeds[spec.name] = { type: 'float32', dims, data: Float32Array.from({ length: n }, () => (state ? 0 : lo + (hi - lo) * prng.next())), ...(fixed ? { fixed } : {}) };
  }
  return feeds;
}

/** Fills the inputs `given` lacks with random feeds of the same sample count (see randomFeeds). */
export function completeFeeds(inputs: TensorSpec[], given: Feeds, shapes: (samples: number) => Record<string, number[]>, seed: number, opts: RandomOptions): Feeds {
  const missing = inputs.filter((i) => !given[i.name]);
  if (missing.length === 0) return given;
  const n = Object.values(given).find((f) => !f.fixed)?.dims[0] ?? 1;
  return { ...randomFeeds(missing, shapes(n), seed, opts), ...given };
}
