/** fp16 and int8 rewrites keep a graph's answers close to fp32 in onnxruntime-node. */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { floatTensor, model, node, valueInfo } from '../../../tools/onnx/build.js';
import { encodeModel } from '../../../tools/onnx/io.js';
import { DataType, type ModelProto } from '../../../tools/onnx/types.js';
import { Prng } from '../../../tools/lib/prng.js';
import { compareOutputs } from '../../../tools/measure/stats.js';
import { toUniformFp16 } from '../../../tools/compress/passes/uniform-fp16.js';
import { toUniformInt8 } from '../../../tools/compress/passes/uniform-int8.js';

/** A 2-layer MLP plus an embedding lookup path, with seeded weights. */
function smallGraph(): ModelProto {
  const prng = new Prng(42);
  const w = (n: number, limit: number) => prng.fillUniform(new Float32Array(n), limit);
  return model(
    {
      name: 'small',
      node: [
        node('MatMul', ['x', 'W1'], ['h'], 'fc1'),
        node('Add', ['h', 'b1'], ['hb'], 'fc1/add'),
        node('Relu', ['hb'], ['r'], 'relu'),
        node('MatMul', ['r', 'W2'], ['y'], 'fc2'),
        node('Add', ['y', 'b2'], ['logits'], 'fc2/add'),
      ],
      initializer: [floatTensor('W1', [16, 32], w(512, 0.5)), floatTensor('b1', [32], w(32, 0.1)), floatTensor('W2', [32, 4], w(128, 0.5)), floatTensor('b2', [4], w(4, 0.1))],
      input: [valueInfo('x', DataType.FLOAT, ['batch', 16])],
      output: [valueInfo('logits', DataType.FLOAT, ['batch', 4])],
    },
    'test graph',
  );
}

async function run(m: ModelProto, x: Float32Array, rows: number): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(encodeModel(m));
  const out = await session.run({ x: new ort.Tensor('float32', x, [rows, 16]) });
  return out['logits']!.data as Float32Array;
}

describe('variant rewrites', () => {
  const rows = 64;
  const x = new Prng(1).fillUniform(new Float32Array(rows * 16), 1);

  it('fp16 keeps fp32 inputs and outputs and stays within half-precision error', async () => {
    const half = toUniformFp16(smallGraph());
    expect(half.graph.input[0]!.type.tensor_type.elem_type).toBe(DataType.FLOAT);
    expect(half.graph.output[0]!.type.tensor_type.elem_type).toBe(DataType.FLOAT);
    expect(half.graph.initializer.every((t) => t.data_type === DataType.FLOAT16)).toBe(true);
    const cmp = compareOutputs(await run(smallGraph(), x, rows), await run(half, x, rows), 4);
    expect(cmp.max_abs_err).toBeLessThan(0.01);
    expect(cmp.top1_agreement).toBeGreaterThanOrEqual(0.98);
  });

  it('int8 stores weights as INT8, shrinks the file and stays close', async () => {
    const fp32 = smallGraph();
    const q = toUniformInt8(fp32);
    expect(q.graph.node.filter((n) => n.op_type === 'MatMulInteger')).toHaveLength(2);
    expect(q.graph.initializer.filter((t) => t.data_type === DataType.INT8).map((t) => t.name)).toEqual(['W1_quantized', 'W2_quantized']);
    const weightBytes = (m: ModelProto) => m.graph.initializer.reduce((n, t) => n + (t.raw_data?.length ?? 0), 0);
    expect(weightBytes(q)).toBeLessThan(weightBytes(fp32) * 0.4);
    const cmp = compareOutputs(await run(fp32, x, rows), await run(q, x, rows), 4);
    expect(cmp.cosine).toBeGreaterThan(0.99);
    expect(cmp.top1_agreement).toBeGreaterThanOrEqual(0.9);
  });

  it('does not modify the source model', () => {
    const fp32 = smallGraph();
    const before = encodeModel(fp32);
    toUniformFp16(fp32);
    toUniformInt8(fp32);
    expect(Buffer.from(encodeModel(fp32)).equals(Buffer.from(before))).toBe(true);
  });
});
