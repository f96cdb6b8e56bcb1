/**
 * The v2 datatypes the gateway carries, with their storage and the onnxruntime tensor type they map to.
 * FP16 travels as numbers in JSON and as IEEE half bits (Uint16Array) inside the runtime.
 */
import type { Datatype } from '../registry/manifest.js';

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

interface DatatypeInfo {
  /** onnxruntime's tensor type name. */
  ort: string;
  bytes: number;
  create(n: number): TensorData;
  integer: boolean;
  min?: number;
  max?: number;
}

export const DATATYPE_INFO: Readonly<Record<Exclude<Datatype, 'BYTES'>, DatatypeInfo>> = Object.freeze({
  BOOL: { ort: 'bool', bytes: 1, create: (n) => new Uint8Array(n), integer: true, min: 0, max: 1 },
  UINT8: { ort: 'uint8', bytes: 1, create: (n) => new Uint8Array(n), integer: true, min: 0, max: 255 },
  UINT16: { ort: 'uint16', bytes: 2, create: (n) => new Uint16Array(n), integer: true, min: 0, max: 65535 },
  UINT32: { ort: 'uint32', bytes: 4, create: (n) => new Uint32Array(n), integer: true, min: 0, max: 4294967295 },
  UINT64: { ort: 'uint64', bytes: 8, create: (n) => new BigUint64Array(n), integer: true, min: 0, max: Number.MAX_SAFE_INTEGER },
  INT8: { ort: 'int8', bytes: 1, create: (n) => new Int8Array(n), integer: true, min: -128, max: 127 },
  INT16: { ort: 'int16', bytes: 2, create: (n) => new Int16Array(n), integer: true, min: -32768, max: 32767 },
  INT32: { ort: 'int32', bytes: 4, create: (n) => new Int32Array(n), integer: true, min: -2147483648, max: 2147483647 },
  INT64: { ort: 'int64', bytes: 8, create: (n) => new BigInt64Array(n), integer: true, min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER },
  FP16: { ort: 'float16', bytes: 2, create: (n) => new Uint16Array(n), integer: false },
  FP32: { ort: 'float32', bytes: 4, create: (n) => new Float32Array(n), integer: false },
  FP64: { ort: 'float64', bytes: 8, create: (n) => new Float64Array(n), integer: false },
});

const ORT_TO_V2 = new Map(Object.entries(DATATYPE_INFO).map(([v2, info]) => [info.ort, v2 as Exclude<Datatype, 'BYTES'>]));

/** The v2 datatype of an onnxruntime tensor type, or undefined when the gateway does not carry it. */
export function datatypeOfOrt(ortType: string): Exclude<Datatype, 'BYTES'> | undefined {
  return ORT_TO_V2.get(ortType);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 half bits of a number (round to nearest even; overflow to infinity like a hardware cast). */
export function toHalf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

/** The number that IEEE 754 half bits encode. */
export function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
