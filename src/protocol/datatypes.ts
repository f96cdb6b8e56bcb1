/**
 * The v2 datatypes the gateway carries, with their storage and the onnxruntime tensor type they map to.
 * FP16 travels as numbers in JSON and as IEEE half bits (Uint16Array) inside the runtime.
 */
import { z } from 'zod';

export const DATATYPES = ['BOOL', 'UINT8', 'UINT16', 'UINT32', 'UINT64', 'INT8', 'INT16', 'INT32', 'INT64', 'FP16', 'FP32', 'FP64', 'BYTES'] as const;
export const Datatype = z.enum(DATATYPES);
export type Datatype = z.infer<typeof Datatype>;

/** A tensor the model takes or gives; -1 in `shape` is a dynamic dimension. */
export const TensorSpec = z.object({
  name: z.string().min(1),
  datatype: Datatype,
  shape: z.array(z.number().int().min(-1)),
});
export type TensorSpec = z.infer<typeof TensorSpec>;

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

function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d !== 0.5) return d > 0.5 ? f + 1 : f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * IEEE 754 half bits of a number, rounded once, to nearest even, straight from the double (going through
 * float32 first would round twice). Overflow gives infinity, like a hardware cast.
 */
export function toHalf(value: number): number {
  if (Number.isNaN(value)) return 0x7e00;
  const sign = value < 0 || Object.is(value, -0) ? 0x8000 : 0;
  const a = Math.abs(value);
  // 65520 is halfway between the largest half (65504) and the next step: it and above round to infinity.
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundHalfEven(a / 2 ** -24); // subnormal (1024 carries into the exponent)
  let e = Math.floor(Math.log2(a));
  let sig = a / 2 ** e;
  if (sig >= 2) {
    sig /= 2;
    e++;
  } else if (sig < 1) {
    sig *= 2;
    e--;
  }
  // sig is in [1, 2): (sig - 1) * 1024 is exact in a double, so this is the only rounding.
  let mant = roundHalfEven((sig - 1) * 1024);
  if (mant === 1024) {
    mant = 0;
    e++;
  }
  if (e > 15) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | mant;
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
