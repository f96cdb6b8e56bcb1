/**
 * The convolution gradients the WASM backend lacks, built from ops it has (tools/train/conv.ts), against
 * TensorFlow.js's own conv2d and depthwiseConv2d gradients on its CPU backend: strided, padded unevenly.
 */
import { describe, expect, it } from 'vitest';
import { conv2d, depthwise, type ConvGeometry } from '../../tools/train/conv.js';
import { loadTf } from '../../tools/train/tf.js';
import { Prng } from '../../tools/lib/prng.js';
import type * as TfTypes from '@tensorflow/tfjs';

const uniform = (n: number, seed: number) => new Prng(seed).fillUniform(new Float32Array(n), 1);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

describe('convolution gradients', () => {
  for (const g of [{ strides: [1, 1], pads: [1, 1, 1, 1] }, { strides: [2, 1], pads: [1, 2, 0, 2] }, { strides: [2, 2], pads: [0, 0, 0, 0] }] as ConvGeometry[]) {
    it(`match TensorFlow.js's own at strides ${g.strides} and pads ${g.pads}`, async () => {
      const tf = await loadTf('cpu');
      const x = tf.tensor4d(uniform(2 * 7 * 9 * 3, 1), [2, 7, 9, 3]);
      const pad = [[0, 0], [g.pads[0], g.pads[2]], [g.pads[1], g.pads[3]], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]];
      const cases: [string, TfTypes.Tensor4D, (a: TfTypes.Tensor4D, f: TfTypes.Tensor4D) => TfTypes.Tensor4D, (a: TfTypes.Tensor4D, f: TfTypes.Tensor4D) => TfTypes.Tensor4D][] = [
        ['conv2d', tf.tensor4d(uniform(3 * 3 * 3 * 4, 2), [3, 3, 3, 4]), (a, f) => conv2d(tf, a, f, g), (a, f) => tf.conv2d(a, f, g.strides, pad)],
        ['depthwise', tf.tensor4d(uniform(3 * 3 * 3, 3), [3, 3, 3, 1]), (a, f) => depthwise(tf, a, f, g), (a, f) => tf.depthwiseConv2d(a, f, g.strides, pad)],
      ];
      for (const [name, f, ours, theirs] of cases) {
        const w = tf.randomUniform(theirs(x, f).shape, -1, 1, 'float32', 4);
        const loss = (op: typeof ours) => (a: TfTypes.Tensor, k: TfTypes.Tensor) => tf.sum(tf.mul(op(a as TfTypes.Tensor4D, k as TfTypes.Tensor4D), w));
        const [dxA, dfA] = tf.grads(loss(ours))([x, f]);
        const [dxB, dfB] = tf.grads(loss(theirs))([x, f]);
        expect(maxDiff(ours(x, f).dataSync(), theirs(x, f).dataSync()), `${name} forward`).toBeLessThan(1e-5);
        expect(maxDiff(dxA!.dataSync(), dxB!.dataSync()), `${name} input gradient`).toBeLessThan(1e-4);
        expect(maxDiff(dfA!.dataSync(), dfB!.dataSync()), `${name} filter gradient`).toBeLessThan(1e-4);
        expect(maxDiff(dfA!.dataSync(), new Float32Array(dfA!.size)), `${name} filter gradient is not zero`).toBeGreaterThan(1e-2);
      }
    });
  }
});
