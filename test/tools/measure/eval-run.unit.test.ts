/**
 * The evaluation runner in a real runtime (onnxruntime-node): chunks of samples for a plain model, and for a
 * stateful one sequences of single-sample steps with the state output fed back into the state input, checked
 * against the recurrence computed by hand. The state has its batch on axis 1 ([2, N, 8]) and a rank-0 input
 * rides along unchanged, as in real streaming audio models.
 */
import { describe, expect, it } from 'vitest';
import { runNode } from '../../../tools/compress/choose/evaluate.js';
import { randomFeeds } from '../../../tools/compress/data/feeds.js';
import { model, node, valueInfo, floatTensor } from '../../../tools/onnx/build.js';
import { DataType } from '../../../tools/onnx/types.js';
import { scalarNet } from '../compress/kind-graphs.js';

/** x [N,8], state [2,N,8], sr int64 [] -> stateN = Tanh(state + x); y = mean over axis 0 of stateN + 0 * sr. */
function streamNet() {
  return model({
    name: 'stream',
    node: [
      node('Add', ['state', 'x'], ['s'], 'add'),
      node('Tanh', ['s'], ['stateN'], 'tanh'),
      node('ReduceMean', ['stateN'], ['m'], 'mean', { axes: [0], keepdims: 0 }),
      node('Cast', ['sr'], ['srf'], 'cast', { to: DataType.FLOAT }),
      node('Mul', ['srf', 'zero'], ['z'], 'zero'),
      node('Add', ['m', 'z'], ['y'], 'y'),
    ],
    initializer: [floatTensor('zero', [], new Float32Array([0]))],
    input: [valueInfo('x', DataType.FLOAT, ['N', 8]), valueInfo('state', DataType.FLOAT, [2, 'N', 8]), valueInfo('sr', DataType.INT64, [])],
    output: [valueInfo('y', DataType.FLOAT, ['N', 8]), valueInfo('stateN', DataType.FLOAT, [2, 'N', 8])],
  }, 'test stream net');
}

describe('runEval', () => {
  it('runs a plain model in chunks and gives one row per sample', async () => {
    const feeds = randomFeeds([{ name: 'x', datatype: 'FP32', shape: [-1, 8] }], { x: [10, 8] }, 1, { lo: -1, hi: 1 });
    const out = await runNode(scalarNet(), feeds, { chunk: 4, state: [], steps: 1 });
    expect(out['p']!.width).toBe(1);
    expect(out['p']!.data.length).toBe(10);
    const whole = await runNode(scalarNet(), feeds, { chunk: 16, state: [], steps: 1 });
    expect(Array.from(out['p']!.data)).toEqual(Array.from(whole['p']!.data));
  });

  it('feeds the state output back into the state input, step by step, from zero at each sequence', async () => {
    const inputs = [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 8] }, { name: 'state', datatype: 'FP32' as const, shape: [2, -1, 8] }, { name: 'sr', datatype: 'INT64' as const, shape: [] }];
    const feeds = randomFeeds(inputs, { x: [9, 8], sr: [] }, 3, { lo: -1, hi: 1, state: new Set(['state']), ranges: { sr: [16000, 16000] } });
    expect(feeds['state']).toMatchObject({ dims: [2, 1, 8], fixed: true });
    expect(feeds['sr']).toMatchObject({ dims: [], fixed: true, data: BigInt64Array.from([16000n]) });
    const out = await runNode(streamNet(), feeds, { chunk: 16, state: [{ input: 'state', output: 'stateN' }], steps: 4 });
    // 9 samples make 2 sequences of 4 steps: y for every step, the state at the end of each sequence.
    expect(out['y']!.data.length).toBe(8 * 8);
    expect(out['stateN']).toMatchObject({ width: 16 });
    expect(out['stateN']!.data.length).toBe(2 * 16);
    const x = feeds['x']!.data as Float32Array;
    for (let seq = 0; seq < 2; seq++) {
      const h = new Float64Array(8);
      for (let k = 0; k < 4; k++) for (let j = 0; j < 8; j++) h[j] = Math.tanh(h[j]! + x[(seq * 4 + k) * 8 + j]!);
      for (let j = 0; j < 8; j++) {
        expect(out['stateN']!.data[seq * 16 + j]).toBeCloseTo(h[j]!, 5);
        expect(out['stateN']!.data[seq * 16 + 8 + j]).toBeCloseTo(h[j]!, 5);
        expect(out['y']!.data[(seq * 4 + 3) * 8 + j]).toBeCloseTo(h[j]!, 5);
      }
    }
  });
});
