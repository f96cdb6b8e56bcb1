/**
 * The `data` of a v2 JSON tensor, both ways: flat JSON values into the typed array of a datatype (checked
 * element by element, naming the first bad one) and a tensor's typed array back into JSON-safe values.
 * Request decoding, response encoding and the origin client's response decoding share these rules.
 */
import { InvalidInput } from '../errors.js';
import { brief } from '../lib/text.js';
import { DATATYPE_INFO, fromHalf, toHalf } from './datatypes.js';
import type { Tensor } from './tensor.js';

/** Converts flat JSON leaves to the typed array of `datatype`, naming the first bad element. */
export function toTypedArray(values: unknown[], datatype: Tensor['datatype'], name: string): Tensor['data'] {
  const info = DATATYPE_INFO[datatype];
  const out = info.create(values.length);
  const bad = (i: number, why: string): never => {
    throw new InvalidInput(`input '${name}': element ${i} (${brief(values[i], 40)}) ${why} for ${datatype}`);
  };
  // One loop per kind of target, so the common float case checks each element once and stores it directly
  // (a request's tensors are the bulk of its bytes).
  if (out instanceof Float32Array || out instanceof Float64Array) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v !== 'number' || v !== v) bad(i, 'is not a number');
      out[i] = v as number;
    }
    return out;
  }
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (datatype === 'BOOL') {
      if (typeof v === 'boolean') v = v ? 1 : 0;
      else if (v !== 0 && v !== 1) bad(i, 'is not a boolean');
    }
    if (typeof v !== 'number' || Number.isNaN(v)) bad(i, 'is not a number');
    const num = v as number;
    if (info.integer) {
      if (!Number.isInteger(num)) bad(i, 'is not an integer');
      if (num < info.min! || num > info.max!) bad(i, 'is out of range');
    }
    if (out instanceof BigInt64Array || out instanceof BigUint64Array) out[i] = BigInt(num);
    else if (datatype === 'FP16') out[i] = toHalf(num);
    else out[i] = num;
  }
  return out;
}

/** Float values (null already mapped to NaN) into an FP16/FP32/FP64 array; non-finite values are kept. */
export function toFloatArray(values: unknown[], datatype: Tensor['datatype']): Tensor['data'] {
  const out = DATATYPE_INFO[datatype].create(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw new Error(`element ${i} is not a number`);
    out[i] = datatype === 'FP16' ? toHalf(v) : v;
  }
  return out;
}

/** JSON-safe values of a tensor: FP16 decoded, 64-bit integers as numbers, NaN/Infinity as null. */
export function tensorValues(t: Tensor): (number | boolean | null)[] {
  const out = new Array<number | boolean | null>(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const raw = t.data[i]!;
    let v = typeof raw === 'bigint' ? Number(raw) : t.datatype === 'FP16' ? fromHalf(raw) : raw;
    if (t.datatype === 'BOOL') {
      out[i] = v !== 0;
      continue;
    }
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}
