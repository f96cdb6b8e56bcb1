/**
 * Triton's classification extension: a requested output with `parameters.classification: N` (tritonclient's
 * `class_count`) comes back as a BYTES tensor of the top N classes of each batch row, each element
 * "value:index" or "value:index:label". The rules follow Triton's HTTP server (src/classification.cc and
 * its response writer): N = 0 means the raw tensor; N above the row's class count is clamped to it; the
 * shape is [batch, N] with a batch axis, else [N] over the whole tensor; values are ordered highest first in
 * the output's own datatype and printed as C++ `std::to_string` prints them (integers as they are, floats
 * with `%f`: six decimals, exact, ties to even). Triton refuses BOOL (and FP16); FP16 is decoded and ranked
 * here, a superset no client can trip over.
 */
import { InvalidInput } from '../errors.js';
import { brief } from '../lib/text.js';
import { fromHalf } from './datatypes.js';
import type { Datatype } from './datatypes.js';
import type { Tensor } from './tensor.js';

/** A tensor of strings: the only BYTES the gateway makes (it never takes BYTES inputs). */
export interface BytesTensor {
  name: string;
  datatype: 'BYTES';
  shape: number[];
  data: string[];
}

/**
 * The class count an output asks for: undefined for none (absent, or 0 as tritonclient's default), else a
 * positive integer. Anything else is a 400 naming the output; so is classification of a BOOL output.
 */
export function classificationCount(output: string, raw: unknown, datatype: Datatype): number | undefined {
  if (raw === undefined || raw === 0) return undefined;
  if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
    throw new InvalidInput(`output '${output}': parameters.classification must be a non-negative integer (the number of top classes), got ${brief(raw, 40)}`);
  }
  if (datatype === 'BOOL' || datatype === 'BYTES') throw new InvalidInput(`output '${output}': classification is not available for ${datatype} outputs`);
  return raw;
}

const MILLION = 1_000_000n;

/** `printf("%f", x)` of a double, exactly: its binary value scaled by 10^6, rounded half to even. */
export function fixed6(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (biased !== 0) mantissa |= 1n << 52n;
  // |x| = mantissa * 2^exponent
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  let scaled: bigint;
  if (exponent >= 0) scaled = (mantissa << BigInt(exponent)) * MILLION;
  else {
    const num = mantissa * MILLION;
    const den = 1n << BigInt(-exponent);
    scaled = num / den;
    const twice = (num % den) * 2n;
    if (twice > den || (twice === den && scaled % 2n === 1n)) scaled++;
  }
  const digits = scaled.toString().padStart(7, '0');
  // printf keeps the sign of a negative that rounds to zero, and of -0.
  return `${x < 0 || Object.is(x, -0) ? '-' : ''}${digits.slice(0, -6)}.${digits.slice(-6)}`;
}

/** The values of a tensor in its datatype's order: FP16 decoded, 64-bit integers as bigints. */
function values(t: Tensor): ArrayLike<number | bigint> {
  if (t.datatype !== 'FP16') return t.data;
  return Array.from(t.data as Uint16Array, fromHalf);
}

function format(v: number | bigint, datatype: Tensor['datatype']): string {
  if (typeof v === 'bigint' || !datatype.startsWith('FP')) return String(v);
  return fixed6(v);
}

/** Highest first; NaN last; equal values in index order (Triton's sort leaves their order unspecified). */
function compare(a: number | bigint, b: number | bigint): number {
  const an = a !== a;
  const bn = b !== b;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  return a > b ? -1 : a < b ? 1 : 0;
}

/**
 * The top `count` classes of `t`, per batch row when the model has a batch axis, else over the whole
 * tensor; `labels[i]` (when given) names class index i within a row.
 */
export function classify(t: Tensor, count: number, batchAxis: boolean, labels?: readonly string[]): BytesTensor {
  const batched = batchAxis && t.shape.length > 0;
  const rows = batched ? t.shape[0]! : 1;
  const width = rows === 0 ? 0 : t.data.length / rows;
  const n = Math.min(count, width);
  const v = values(t);
  const data: string[] = [];
  const order = new Array<number>(width);
  for (let r = 0; r < rows; r++) {
    const base = r * width;
    for (let i = 0; i < width; i++) order[i] = i;
    order.sort((i, j) => compare(v[base + i]!, v[base + j]!) || i - j);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      const label = labels?.[i];
      data.push(`${format(v[base + i]!, t.datatype)}:${i}${label === undefined ? '' : `:${label}`}`);
    }
  }
  return { name: t.name, datatype: 'BYTES', shape: batched ? [rows, n] : [n], data };
}

/** What classifying a model's outputs needs to know of it: its batch axis and its outputs' labels. */
export interface ClassifiedModel {
  batch_axis: boolean;
  outputs: readonly { name: string; labels?: readonly string[] | undefined }[];
}

/** The outputs as answered: those named in `counts` replaced by their top classes, the others unchanged. */
export function classifyOutputs(outputs: Tensor[], counts: ReadonlyMap<string, number> | undefined, model: ClassifiedModel): (Tensor | BytesTensor)[] {
  if (!counts?.size) return outputs;
  return outputs.map((t) => {
    const count = counts.get(t.name);
    if (count === undefined) return t;
    return classify(t, count, model.batch_axis, model.outputs.find((o) => o.name === t.name)?.labels);
  });
}
