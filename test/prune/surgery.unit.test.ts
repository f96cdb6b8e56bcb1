/**
 * Graph surgery without a runtime: which channels form a space and what shrinks with them, slicing, how many
 * channels stay, multiply-add counts, and the one-line refusal of ops the pruner does not know.
 */
import { describe, expect, it } from 'vitest';
import { floatTensor, model, node, valueInfo } from '../../tools/onnx/build.js';
import { DataType } from '../../tools/onnx/types.js';
import { checkSupported, floats, indexGraph, liftConstants, UnsupportedModel } from '../../tools/prune/graph.js';
import { chooseKeep, keptCount } from '../../tools/prune/importance.js';
import { countMacs } from '../../tools/prune/macs.js';
import { channelSpaces } from '../../tools/prune/spaces.js';
import { applyKeep, sliceTensor } from '../../tools/prune/surgery.js';
import { cnn, CNN_DIMS, mlp } from './graphs.js';

const mlpDims = (sizes: number[]) => new Map<string, number[]>([
  ['input', [1, sizes[0]!]],
  ...sizes.slice(1).flatMap((n, l): [string, number[]][] => [[`m${l}`, [1, n]], [`a${l}`, [1, n]], [`h${l}`, [1, n]]]),
  ['logits', [1, sizes.at(-1)!]],
]);

describe('channel spaces', () => {
  it('finds one space per hidden layer of an MLP and keeps the output layer whole', () => {
    const g = indexGraph(mlp([6, 8, 5, 3]));
    const spaces = channelSpaces(g, mlpDims([6, 8, 5, 3]));
    const open = spaces.filter((s) => !s.frozen);
    expect(open.map((s) => s.size)).toEqual([8, 5]);
    expect(open[0]!.produced.map((p) => `${p.tensor}:${p.axis}`)).toEqual(['W0:1']);
    expect(open[0]!.params.map((p) => `${p.tensor}:${p.axis}`)).toEqual(['b0:0']);
    expect(open[0]!.consumed.map((c) => `${c.input}->${c.weight.tensor}:${c.weight.axis}`)).toEqual(['h0->W1:0']);
    expect(spaces.find((s) => s.size === 3)!.frozen).toBe("graph output 'logits'");
  });

  it('joins a residual stream with the depthwise path into one space and maps Flatten channels to blocks of rows', () => {
    const spaces = channelSpaces(indexGraph(cnn()), CNN_DIMS);
    const trunk = spaces.find((s) => s.tensors.includes('r1'))!;
    expect(trunk.residual).toBe(true);
    expect(trunk.tensors).toEqual(expect.arrayContaining(['r1', 'cd', 'rd', 'n2', 'res']));
    expect(trunk.params.map((p) => p.tensor)).toEqual(expect.arrayContaining(['bn1.s', 'Wd', 'bnd.v', 'bn2.m']));
    expect(trunk.groupNodes.map((n) => n.name)).toEqual(['dw']);
    const head = spaces.find((s) => s.tensors.includes('r3'))!;
    expect(head.consumed).toEqual([{ input: 'r3', weight: { tensor: 'W4', axis: 1, block: 36 } }]);
  });

  it("freezes residual streams with residual 'skip' and says why", () => {
    const trunk = channelSpaces(indexGraph(cnn()), CNN_DIMS, 'skip').find((s) => s.tensors.includes('r1'))!;
    expect(trunk.frozen).toBe('a residual stream (--residual skip)');
  });

  it('freezes a space a grouped (not depthwise) convolution reads', () => {
    const m = model({
      name: 'grouped', node: [node('Conv', ['x', 'W1'], ['a'], 'c1', { kernel_shape: [1, 1] }), node('Conv', ['a', 'W2'], ['y'], 'g2', { kernel_shape: [1, 1], group: 2 })],
      initializer: [floatTensor('W1', [4, 2, 1, 1], new Float32Array(8)), floatTensor('W2', [2, 2, 1, 1], new Float32Array(4))],
      input: [valueInfo('x', DataType.FLOAT, ['N', 2, 3, 3])], output: [valueInfo('y', DataType.FLOAT, ['N', 2, 3, 3])],
    }, 'grouped');
    const dims = new Map([['x', [1, 2, 3, 3]], ['a', [1, 4, 3, 3]], ['y', [1, 2, 3, 3]]]);
    expect(channelSpaces(indexGraph(m), dims).find((s) => s.size === 4)!.frozen).toBe("grouped Conv 'g2' (group 2 of 4 channels)");
  });
});

describe('surgery', () => {
  it('slices blocks of rows along an axis', () => {
    const t = floatTensor('W', [2, 6], Float32Array.from({ length: 12 }, (_, i) => i));
    const out = sliceTensor(t, { tensor: 'W', axis: 1, block: 2 }, [0, 2]);
    expect(out.dims).toEqual([2, 4]);
    expect(Array.from(floats(out))).toEqual([0, 1, 4, 5, 6, 7, 10, 11]);
  });

  it('shrinks every listed initializer and the depthwise group, leaving inputs and outputs as they were', () => {
    const m = cnn();
    const g = indexGraph(m);
    const spaces = channelSpaces(g, CNN_DIMS);
    const trunk = spaces.find((s) => s.tensors.includes('r1'))!;
    const out = applyKeep(g, spaces, new Map([[trunk.id, [0, 2, 3, 5, 6, 7]]]));
    const dims = Object.fromEntries(out.graph.initializer.map((t) => [t.name, t.dims]));
    expect(dims).toMatchObject({ W1: [6, 3, 3, 3], B1: [6], 'bn1.s': [6], Wd: [6, 1, 3, 3], W2: [6, 6, 1, 1], W3: [4, 6, 1, 1], W4: [5, 144] });
    expect(out.graph.node.find((n) => n.name === 'dw')!.attribute!.find((a) => a.name === 'group')!.i).toBe(6);
    expect(out.graph.input).toEqual(m.graph.input);
    expect(out.graph.output).toEqual(m.graph.output);
  });

  it('keeps at least one channel and a multiple of 4 from 16 channels up, choosing the highest scores', () => {
    expect([keptCount(1024, 0.5), keptCount(200, 0.7), keptCount(8, 0.9), keptCount(2, 0.5)]).toEqual([512, 60, 1, 1]);
    const spaces = channelSpaces(indexGraph(mlp([6, 8, 5, 3])), mlpDims([6, 8, 5, 3]));
    const keep = chooseKeep(spaces, new Map([[spaces.find((s) => s.size === 8)!.id, Float64Array.from([5, 0, 3, 9, 0, 1, 7, 2])]]), 0.5);
    expect([...keep.values()]).toEqual([[0, 2, 3, 6]]);
  });
});

describe('multiply-adds', () => {
  it('counts MatMul, Conv (depthwise by its group) and Gemm at batch 1', () => {
    expect(countMacs(mlp([6, 8, 5, 3]), mlpDims([6, 8, 5, 3])).total).toBe(6 * 8 + 8 * 5 + 5 * 3);
    const conv1 = 8 * 36 * 3 * 9, dw = 8 * 36 * 9, conv2 = 8 * 36 * 8, conv3 = 4 * 36 * 8, fc = 5 * 144;
    expect(countMacs(cnn(), CNN_DIMS)).toEqual({ total: conv1 + dw + conv2 + conv3 + fc, byOp: { Conv: conv1 + dw + conv2 + conv3, Gemm: fc } });
  });
});

describe('what the pruner refuses', () => {
  it('names an unsupported op in one line', () => {
    const m = mlp([4, 4, 2]);
    m.graph.node.splice(2, 0, node('Transpose', ['h0'], ['t0'], 'odd'));
    const err = (() => { try { checkSupported(m); } catch (e) { return e as Error; } })();
    expect(err).toBeInstanceOf(UnsupportedModel);
    expect(err!.message).toMatch(/^op 'Transpose' \(node 'odd'\) is not supported by the pruner/);
    expect(err!.message).not.toContain('\n');
  });

  it('names a non-float input', () => {
    const m = mlp([4, 2]);
    m.graph.input = [valueInfo('input', DataType.INT64, ['N', 4])];
    expect(() => checkSupported(m)).toThrow("input 'input' is of type 7; the pruner feeds FP32 inputs only");
  });

  it('lifts Constant nodes into initializers so their weights can be sliced', () => {
    const m = mlp([4, 2]);
    const W = m.graph.initializer.shift()!;
    m.graph.node.unshift(node('Constant', [], ['W0'], 'const', { value: W }));
    const lifted = liftConstants(m);
    expect(lifted.graph.node.some((n) => n.op_type === 'Constant')).toBe(false);
    expect(lifted.graph.initializer.map((t) => t.name)).toContain('W0');
  });
});
