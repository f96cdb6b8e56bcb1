/** ONNX protobuf I/O and fp16 conversion. */
import { describe, expect, it } from 'vitest';
import { floatTensor, int64Tensor, model, node, tensorData, valueInfo } from '../../../tools/onnx/build.js';
import { fromHalfBits, toHalfBits } from '../../../tools/onnx/float16.js';
import { decodeModel, encodeModel } from '../../../tools/onnx/io.js';
import { DataType } from '../../../tools/onnx/types.js';

const sample = () =>
  model(
    {
      name: 'g',
      node: [node('MatMul', ['x', 'W'], ['y'], 'mm'), node('Softmax', ['y'], ['z'], 'sm', { axis: -1 }), node('LayerNormalization', ['z', 'g', 'b'], ['out'], 'ln', { epsilon: { float: 1e-5 } })],
      initializer: [floatTensor('W', [3, 2], new Float32Array([1, 2, 3, 4, 5, 6])), floatTensor('g', [2], new Float32Array([1, 1])), floatTensor('b', [2], new Float32Array(2)), int64Tensor('shape', [2], [0, -1])],
      input: [valueInfo('x', DataType.FLOAT, ['batch', 3])],
      output: [valueInfo('out', DataType.FLOAT, ['batch', 2])],
    },
    'round trip',
  );

describe('ONNX model I/O', () => {
  it('reads back what it writes, byte for byte', () => {
    const bytes = encodeModel(sample());
    const decoded = decodeModel(bytes);
    expect(Buffer.from(encodeModel(decoded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('keeps graph structure, attributes, dynamic dims and initializer data', () => {
    const m = decodeModel(encodeModel(sample()));
    expect(m.ir_version).toBe(8);
    expect(m.opset_import).toEqual([{ version: 17 }]);
    expect(m.graph.node.map((n) => n.op_type)).toEqual(['MatMul', 'Softmax', 'LayerNormalization']);
    expect(m.graph.node[1]!.attribute![0]).toMatchObject({ name: 'axis', i: -1 });
    expect(m.graph.node[2]!.attribute![0]!.f).toBeCloseTo(1e-5);
    expect(m.graph.input[0]!.type.tensor_type.shape.dim).toEqual([{ dim_param: 'batch' }, { dim_value: 3 }]);
    expect(Array.from(tensorData(m.graph.initializer[0]!) as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(tensorData(m.graph.initializer[3]!) as BigInt64Array)).toEqual([0n, -1n]);
  });

  it('encodes the same model to the same bytes every time', () => {
    expect(Buffer.from(encodeModel(sample())).equals(Buffer.from(encodeModel(sample())))).toBe(true);
  });
});

describe('fp16 conversion', () => {
  it.each([
    [1, 0x3c00],
    [-2, 0xc000],
    [0.1, 0x2e66],
    [65504, 0x7bff],
    [1e6, 0x7bff], // clamped, not Infinity
    [-1e6, 0xfbff],
    [Infinity, 0x7c00], // fp16 has infinities: a bound of +Infinity must not start binding at 65504
    [-Infinity, 0xfc00],
    [2 ** -24, 0x0001], // smallest subnormal
    [0, 0],
  ])('converts %f to 0x%s bits', (value, bits) => {
    expect(toHalfBits(value)).toBe(bits);
  });

  it('round-trips within half precision', () => {
    // fp16 keeps 11 significant bits: relative error at most 2^-11 for normal values.
    for (const v of [0.333, -123.456, 0.01, 3000.7]) expect(Math.abs(fromHalfBits(toHalfBits(v)) - v) / Math.abs(v)).toBeLessThanOrEqual(2 ** -11);
  });
});
