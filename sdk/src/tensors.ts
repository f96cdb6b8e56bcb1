/**
 * v2 datatypes <-> typed arrays <-> onnxruntime tensor types, for the SDK alone: the gateway's own table
 * (src/protocol/datatypes.ts) brings zod schemas with it, which a browser bundle should not carry.
 */
import type { Datatype, Tensor, TensorData, TensorInput } from './types.js';

interface Kind {
  ort: string;
  bytes: number;
  create(n: number): TensorData;
  from(values: number[]): TensorData;
}

const big = (n: number) => BigInt(Math.trunc(n));

export const KINDS: Readonly<Record<Datatype, Kind>> = Object.freeze({
  BOOL: { ort: 'bool', bytes: 1, create: (n) => new Uint8Array(n), from: (v) => Uint8Array.from(v) },
  UINT8: { ort: 'uint8', bytes: 1, create: (n) => new Uint8Array(n), from: (v) => Uint8Array.from(v) },
  UINT16: { ort: 'uint16', bytes: 2, create: (n) => new Uint16Array(n), from: (v) => Uint16Array.from(v) },
  UINT32: { ort: 'uint32', bytes: 4, create: (n) => new Uint32Array(n), from: (v) => Uint32Array.from(v) },
  UINT64: { ort: 'uint64', bytes: 8, create: (n) => new BigUint64Array(n), from: (v) => BigUint64Array.from(v, big) },
  INT8: { ort: 'int8', bytes: 1, create: (n) => new Int8Array(n), from: (v) => Int8Array.from(v) },
  INT16: { ort: 'int16', bytes: 2, create: (n) => new Int16Array(n), from: (v) => Int16Array.from(v) },
  INT32: { ort: 'int32', bytes: 4, create: (n) => new Int32Array(n), from: (v) => Int32Array.from(v) },
  INT64: { ort: 'int64', bytes: 8, create: (n) => new BigInt64Array(n), from: (v) => BigInt64Array.from(v, big) },
  FP16: { ort: 'float16', bytes: 2, create: (n) => new Uint16Array(n), from: (v) => Uint16Array.from(v) },
  FP32: { ort: 'float32', bytes: 4, create: (n) => new Float32Array(n), from: (v) => Float32Array.from(v) },
  FP64: { ort: 'float64', bytes: 8, create: (n) => new Float64Array(n), from: (v) => Float64Array.from(v) },
});

const ORT_TO_V2 = new Map(Object.entries(KINDS).map(([v2, k]) => [k.ort, v2 as Datatype]));

export function datatypeOfOrt(type: string): Datatype | undefined {
  return ORT_TO_V2.get(type);
}

export function isDatatype(x: string): x is Datatype {
  return Object.hasOwn(KINDS, x);
}

/** The input with its data as the datatype's typed array (plain numbers and booleans converted). */
export function typed(t: TensorInput): Tensor {
  if (!isDatatype(t.datatype)) throw new TypeError(`input '${t.name}': unknown datatype ${String(t.datatype)}`);
  const data = Array.isArray(t.data) ? KINDS[t.datatype].from((t.data as (number | boolean)[]).map(Number)) : t.data;
  return { name: t.name, datatype: t.datatype, shape: [...t.shape], data };
}

/** JSON-safe values of a tensor (64-bit integers as numbers, NaN/Infinity as null). FP16 is not sent as JSON. */
export function jsonValues(t: Tensor): (number | null)[] {
  const out = new Array<number | null>(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = Number(t.data[i]);
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}

/** A typed array of `datatype` holding a copy of `bytes` (little-endian, as the binary extension sends them). */
export function fromBytes(datatype: Datatype, bytes: Uint8Array, elements: number): TensorData {
  const out = KINDS[datatype].create(elements);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes.subarray(0, out.byteLength));
  return out;
}

export function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
