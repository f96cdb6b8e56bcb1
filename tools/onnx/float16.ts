/**
 * IEEE 754 half-precision conversion of weights: the gateway's own conversion (src/protocol/datatypes.ts,
 * round to nearest even like numpy's astype(float16)), with finite values clamped to the finite range.
 * ±Infinity (a Clip bound, a mask fill) stays infinite: fp16 has infinities, and clamping one to 65504
 * turns a bound that never binds into one that does.
 */

import { fromHalf, toHalf } from '../../src/protocol/datatypes.js';

/** Largest finite fp16 value; finite values beyond it are clamped rather than becoming Infinity. */
export const FP16_MAX = 65504;

/** Converts one float to fp16 bits: a finite value stays finite (clamped to ±65504), ±Infinity and NaN stay. */
export function toHalfBits(value: number): number {
  return toHalf(Number.isFinite(value) ? Math.max(-FP16_MAX, Math.min(FP16_MAX, value)) : value);
}

/** Converts fp16 bits back to a number (used by tests and fidelity checks). */
export const fromHalfBits = fromHalf;

/** Converts a Float32Array to packed fp16 bits. */
export function toHalfArray(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalfBits(values[i]!);
  return out;
}
