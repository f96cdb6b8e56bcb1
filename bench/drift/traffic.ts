/**
 * The drift bench's traffic: requests of four real mnist digits, clean at first, then drifting away from
 * what int8s was calibrated on: Gaussian pixel noise of growing σ, unclamped (as when a client's camera or
 * normalization changes and pixels leave [0, 1]), plus a rotation of up to ±20°·level. Seeded: the same
 * stream for every gateway. The truth it is judged against is measured here: each phase's top-1 agreement
 * of int8s with fp32 on its own requests (onnxruntime-node), and so which phases put int8s below the floor.
 */
import type { InferenceSession } from 'onnxruntime-node';
import type { DigitSet } from '../../tools/lib/digits.js';
import { Prng } from '../../tools/lib/prng.js';
import { logits } from './folder.js';

export const DIGITS_PER_REQUEST = 4;

export interface Phase {
  name: string;
  level: number;
  requests: number;
}

/** One request of the stream: its phase and its pixels. */
export interface DriftRequest {
  index: number;
  phase: number;
  pixels: Float32Array;
}

function rotate(img: Float32Array, deg: number): Float32Array {
  const r = (deg * Math.PI) / 180;
  const [c, s] = [Math.cos(r), Math.sin(r)];
  const out = new Float32Array(784);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const xs = Math.round(c * (x - 13.5) + s * (y - 13.5) + 13.5);
      const ys = Math.round(-s * (x - 13.5) + c * (y - 13.5) + 13.5);
      if (xs >= 0 && xs < 28 && ys >= 0 && ys < 28) out[y * 28 + x] = img[ys * 28 + xs]!;
    }
  }
  return out;
}

/** The stream's requests, generated on demand (seeded by index, so every gateway gets the same ones). */
export function* stream(digits: DigitSet, phases: readonly Phase[], seed = 24): Generator<DriftRequest> {
  let index = 0;
  for (const [p, phase] of phases.entries()) {
    for (let i = 0; i < phase.requests; i++, index++) yield request(digits, phase, p, index, seed);
  }
}

export function request(digits: DigitSet, phase: Phase, p: number, index: number, seed = 24): DriftRequest {
  const rng = new Prng(seed * 1_000_003 + index);
  const pixels = new Float32Array(DIGITS_PER_REQUEST * 784);
  for (let d = 0; d < DIGITS_PER_REQUEST; d++) {
    const row = rng.int(digits.count);
    let img: Float32Array = digits.pixels.slice(row * 784, (row + 1) * 784);
    if (phase.level > 0) img = rotate(img, (rng.next() * 2 - 1) * 20 * phase.level);
    for (let i = 0; i < 784; i++) {
      // Box-Muller from two uniforms; σ = level / 2, unclamped.
      const g = Math.sqrt(-2 * Math.log(rng.next() + 1e-12)) * Math.cos(2 * Math.PI * rng.next());
      pixels[d * 784 + i] = img[i]! + (phase.level / 2) * g;
    }
  }
  return { index, phase: p, pixels };
}

/** int8s's true top-1 agreement with fp32 in each phase, over the phase's first `sample` requests of the stream. */
export async function truth(digits: DigitSet, phases: readonly Phase[], s: { fp32: InferenceSession; int8s: InferenceSession }, sample = 500): Promise<number[]> {
  const out: number[] = [];
  let start = 0;
  for (const [p, phase] of phases.entries()) {
    const n = Math.min(sample, phase.requests);
    const pixels = new Float32Array(n * DIGITS_PER_REQUEST * 784);
    for (let i = 0; i < n; i++) pixels.set(request(digits, phase, p, start + i).pixels, i * DIGITS_PER_REQUEST * 784);
    start += phase.requests;
    const [a, b] = [await logits(s.fp32, pixels), await logits(s.int8s, pixels)];
    let agree = 0;
    for (let row = 0; row < a.length / 10; row++) if (argmax(a, row) === argmax(b, row)) agree++;
    out.push(agree / (a.length / 10));
  }
  return out;
}

const argmax = (d: Float32Array, row: number) => {
  let best = 0;
  for (let c = 1; c < 10; c++) if (d[row * 10 + c]! > d[row * 10 + best]!) best = c;
  return best;
};
