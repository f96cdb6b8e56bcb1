/**
 * Pruning real graphs in onnxruntime-node: channels nothing reads score zero on measured activations, go
 * first, and removing them leaves every output as it was, in an MLP and in a CNN with BatchNorm, a
 * depthwise Conv, a residual Add and a Flatten into a Gemm; the multiply-adds drop by what was removed.
 */
import { describe, expect, it } from 'vitest';
import { indexGraph } from '../../tools/prune/graph.js';
import { activationImportance, chooseKeep } from '../../tools/prune/importance.js';
import { pruneChannels, profileShapes } from '../../tools/prune/pipeline.js';
import { channelSpaces } from '../../tools/prune/spaces.js';
import { collect } from '../../tools/prune/taps.js';
import type { ModelProto } from '../../tools/onnx/types.js';
import { cnn, mlp, rows } from './graphs.js';

const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

async function keepOf(m: ModelProto, x: { dims: number[]; data: Float32Array }, ratio: number) {
  const g = indexGraph(m);
  const { dims } = await profileShapes(m, x);
  const spaces = channelSpaces(g, dims);
  const scores = await activationImportance(g, spaces, x);
  return { spaces, scores, keep: chooseKeep(spaces, scores, ratio) };
}

describe('pruning units nothing reads', () => {
  it('removes the dead hidden units of an MLP and keeps its outputs', async () => {
    const m = mlp([12, 8, 6, 3], [[1, 4], [0]]);
    const x = { dims: [64, 12], data: rows(64, 12) };
    const { spaces, scores, keep } = await keepOf(m, x, 0.25);
    const hidden = spaces.find((s) => s.size === 8)!.id;
    expect([scores.get(hidden)![1], scores.get(hidden)![4]]).toEqual([0, 0]);
    // Units whose ReLU never fires on these rows score 0 as well; any zero-score unit may go.
    const dropped = [0, 1, 2, 3, 4, 5, 6, 7].filter((c) => !keep.get(hidden)!.includes(c));
    expect(dropped).toHaveLength(2);
    expect(dropped.map((c) => scores.get(hidden)![c])).toEqual([0, 0]);
    const { model, summary } = await pruneChannels(m, x, 0.25, 'joint');
    expect(summary.macs_before).toBe(12 * 8 + 8 * 6 + 6 * 3);
    expect(summary.macs_after).toBe(12 * 6 + 6 * 5 + 5 * 3); // 8 -> 6, 6 -> round(4.5) = 5
    expect(model.graph.initializer.find((t) => t.name === 'W1')!.dims).toEqual([6, 5]);
    const [before, after] = [await collect(m, 'logits', x), await collect(model, 'logits', x)];
    expect(maxDiff(before.data, after.data)).toBeLessThan(1e-5);
  });

  it('removes dead channels of a CNN with BatchNorm, depthwise, a residual Add and a Flatten into Gemm, and keeps its outputs', async () => {
    const m = cnn({ trunk: [1, 4], head: [2] });
    const x = { dims: [16, 3, 6, 6], data: rows(16, 108) };
    const { spaces, keep } = await keepOf(m, x, 0.25);
    expect(keep.get(spaces.find((s) => s.tensors.includes('r1'))!.id)).toEqual([0, 2, 3, 5, 6, 7]);
    expect(keep.get(spaces.find((s) => s.tensors.includes('r3'))!.id)).toEqual([0, 1, 3]);
    const { model, summary } = await pruneChannels(m, x, 0.25, 'joint');
    expect(model.graph.initializer.find((t) => t.name === 'W4')!.dims).toEqual([5, 3 * 36]);
    expect(summary.macs_after).toBe(6 * 36 * 27 + 6 * 36 * 9 + 6 * 36 * 6 + 3 * 36 * 6 + 5 * 108);
    const [before, after] = [await collect(m, 'logits', x), await collect(model, 'logits', x)];
    expect(maxDiff(before.data, after.data)).toBeLessThan(1e-5);
  });

  it('changes the outputs when live channels go (the comparison can fail)', async () => {
    const m = cnn({ trunk: [1, 4], head: [2] });
    const x = { dims: [16, 3, 6, 6], data: rows(16, 108) };
    const { model } = await pruneChannels(m, x, 0.5, 'joint');
    const [before, after] = [await collect(m, 'logits', x), await collect(model, 'logits', x)];
    expect(maxDiff(before.data, after.data)).toBeGreaterThan(1e-3);
  });

  it('leaves residual streams whole with skip', async () => {
    const m = cnn({ trunk: [1, 4], head: [2] });
    const x = { dims: [8, 3, 6, 6], data: rows(8, 108) };
    const { model, summary } = await pruneChannels(m, x, 0.25, 'skip');
    expect(summary.spaces.find((s) => s.residual)!.kept).toBe(8);
    expect(model.graph.initializer.find((t) => t.name === 'W2')!.dims).toEqual([8, 8, 1, 1]);
  });
});
