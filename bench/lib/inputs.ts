/**
 * Request bodies for the bench models: real mnist test digits (mnist, mnist-wide), seeded pixels for ppocr-cls, and seeded token sequences of length 32
 * for transformer-small (the length its manifest profiles were measured at). Deterministic.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Prng } from '../../tools/lib/prng.js';
import { ROOT } from './stack.js';

export const SEQ_LEN = 32;
let digits: number[][] | undefined;

export interface V2Input {
  name: string;
  datatype: string;
  shape: number[];
  data: number[];
}

/** v2 inputs for `model` with batch size `batch`; `seed` picks the digits / tokens. */
export function inputsFor(model: string, batch: number, seed = 1): V2Input[] {
  if (model === 'mnist' || model === 'mnist-wide') {
    digits ??= (JSON.parse(readFileSync(resolve(ROOT, 'models/mnist/samples.json'), 'utf8')) as { inputs: number[][] }).inputs;
    const data: number[] = [];
    for (let i = 0; i < batch; i++) data.push(...digits[(seed + i) % digits.length]!);
    return [{ name: 'input', datatype: 'FP32', shape: [batch, 784], data }];
  }
  if (model === 'transformer-small') {
    const prng = new Prng(seed);
    const ids = Array.from({ length: batch * SEQ_LEN }, (_, i) => (i % SEQ_LEN === 0 ? 101 : 1 + prng.int(8191)));
    return [
      { name: 'input_ids', datatype: 'INT64', shape: [batch, SEQ_LEN], data: ids },
      { name: 'attention_mask', datatype: 'INT64', shape: [batch, SEQ_LEN], data: ids.map(() => 1) },
    ];
  }
  if (model === 'ppocr-cls') {
    // The cost of a run does not depend on the pixels: seeded values in PaddleOCR's normalised range.
    const prng = new Prng(seed);
    return [{ name: 'x', datatype: 'FP32', shape: [batch, 3, 48, 192], data: Array.from({ length: batch * 3 * 48 * 192 }, () => Math.round((prng.next() * 2 - 1) * 1000) / 1000) }];
  }
  throw new Error(`no bench inputs for model '${model}'`);
}

/** A v2 JSON request body. */
export function inferBody(model: string, batch: number, seed = 1): string {
  return JSON.stringify({ inputs: inputsFor(model, batch, seed) });
}
