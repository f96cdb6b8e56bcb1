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
import { valueAt, varies, type InputDomain } from '../../measure/input-domain.js';
import { CompressInputError } from '../failure.js';

export type { Feed, Feeds } from '../../measure/eval-run.js';
export { runFeeds, sampleCount, sliceFeeds } from '../../measure/eval-run.js';

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

/** How inputs without data are filled: their domain (ranges, values), else `lo`..`hi` floats and ids below `intHigh`. */
export interface RandomOptions {
  lo?: number;
  hi?: number;
  intHigh?: number;
  /** `--input-range name=lo,hi` (integers: both ends included). */
  ranges?: Record<string, [number, number]>;
  /** `--input-values name=v1,v2,...`: the only values an input takes, each in turn. */
  values?: Record<string, number[]>;
  /** State inputs: fixed zeros (the initial state), not samples. */
  state?: ReadonlySet<string>;
  /** Inputs whose axis 0 is not the batch (a [2,1,128] state fed values with --stateless): one tensor for every run. */
  whole?: ReadonlySet<string>;
  /** Samples per run: a rank-0 input that takes several values keeps one per block of samples (a run, or a sequence). */
  block?: number;
}

/** The domain `RandomOptions` give an input (tools/measure/input-domain.ts). */
export function domainOf(name: string, opts: RandomOptions): InputDomain | undefined {
  const values = opts.values?.[name];
  if (values) return { values };
  const range = opts.ranges?.[name];
  return range ? { range } : undefined;
}

/**
 * Seeded random feeds, each input from its domain (tools/measure/input-domain.ts): floats uniform in
 * [lo, hi), integers lo..hi with both ends or the listed values; without one, floats in the default range,
 * INT64 ids below intHigh, inputs named like "mask" all 1. State inputs are `fixed` zeros (the initial
 * state), `whole` inputs one `fixed` tensor of their declared dims; rank-0 inputs are `fixed`, or `perRun`
 * when their domain gives several values (one per block of
 * `block` samples, so every value is run). `shapes` gives every dim; -1 entries are not allowed here.
 */
export function randomFeeds(inputs: TensorSpec[], shapes: Record<string, number[]>, seed: number, opts: RandomOptions = {}): Feeds {
  const prng = new Prng(seed);
  const defaults = { lo: opts.lo ?? 0, hi: opts.hi ?? 1, intHigh: opts.intHigh ?? 2 };
  const feeds: Feeds = {};
  for (const spec of inputs) {
    let dims = shapes[spec.name]!;
    const state = opts.state?.has(spec.name) ?? false;
    const whole = opts.whole?.has(spec.name) ?? false;
    const domain = domainOf(spec.name, opts);
    const perRun = !state && spec.shape.length === 0 && varies(domain);
    // A state's batch axis is not always axis 0 (e.g. [2, N, 128]): its declared dims, dynamic ones 1.
    if (state || whole) dims = spec.shape.map((d, k) => (d >= 0 ? d : whole ? dims[k]! : 1));
    // One value per sample: as many as the batched inputs' axis 0 (the shapes of the set).
    if (perRun) dims = [Object.entries(shapes).find(([n, d]) => d.length > 0 && !opts.state?.has(n) && !opts.whole?.has(n))?.[1][0] ?? 1];
    const fixed = !perRun && (state || whole || spec.shape.length === 0);
    const block = Math.max(1, opts.block ?? 1);
    const at = (k: number) => (state ? 0 : valueAt(spec, domain, perRun ? Math.floor(k / block) : k, prng, defaults));
    const n = size(dims);
    const flags = { ...(fixed ? { fixed } : {}), ...(perRun ? { perRun } : {}) };
    if (spec.datatype === 'INT64') feeds[spec.name] = { type: 'int64', dims, data: BigInt64Array.from({ length: n }, (_, k) => BigInt(at(k))), ...flags };
    else feeds[spec.name] = { type: 'float32', dims, data: Float32Array.from({ length: n }, (_, k) => at(k)), ...flags };
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
