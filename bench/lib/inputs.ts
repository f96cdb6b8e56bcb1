/**
 * Request bodies for the bench models: real mnist test digits, and seeded token sequences of length 32
 * for transformer-small (the length its manifest profiles were measured at). Deterministic.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ROOT } from './stack.js';

export const SEQ_LEN = 32;
let digits: number[][] | undefined;

/** A seeded PRNG (mulberry32), so workloads replay identically. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface V2Input {
  name: string;
  datatype: string;
  shape: number[];
  data: number[];
}

/** v2 inputs for `model` with batch size `batch`; `seed` picks the digits / tokens. */
export function inputsFor(model: string, batch: number, seed = 1): V2Input[] {
  if (model === 'mnist') {
    digits ??= (JSON.parse(readFileSync(resolve(ROOT, 'models/mnist/samples.json'), 'utf8')) as { inputs: number[][] }).inputs;
    const data: number[] = [];
    for (let i = 0; i < batch; i++) data.push(...digits[(seed + i) % digits.length]!);
    return [{ name: 'input', datatype: 'FP32', shape: [batch, 784], data }];
  }
  if (model === 'transformer-small') {
    const next = rng(seed);
    const ids = Array.from({ length: batch * SEQ_LEN }, (_, i) => (i % SEQ_LEN === 0 ? 101 : 1 + Math.floor(next() * 8191)));
    return [
      { name: 'input_ids', datatype: 'INT64', shape: [batch, SEQ_LEN], data: ids },
      { name: 'attention_mask', datatype: 'INT64', shape: [batch, SEQ_LEN], data: ids.map(() => 1) },
    ];
  }
  throw new Error(`no bench inputs for model '${model}'`);
}

/** A v2 JSON request body. */
export function inferBody(model: string, batch: number, seed = 1): string {
  return JSON.stringify({ inputs: inputsFor(model, batch, seed) });
}
