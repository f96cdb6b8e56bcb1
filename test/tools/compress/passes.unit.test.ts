/** The compression passes keep a graph's answers close to fp32 in onnxruntime-node, on small seeded graphs. */
import { describe, expect, it } from 'vitest';
import { compareOutputs } from '../../../tools/measure/stats.js';
import { DataType } from '../../../tools/onnx/types.js';
import { floatTensor } from '../../../tools/onnx/build.js';
import { calibrate } from '../../../tools/compress/choose/calibrate.js';
import { randomFeeds } from '../../../tools/compress/data/feeds.js';
import { FP16_CPU_KERNELS, toFp16 } from '../../../tools/compress/passes/fp16.js';
import { normalize } from '../../../tools/compress/passes/graph.js';
import { quantizeEmbeddings, toDynamicInt8 } from '../../../tools/compress/passes/int8-dynamic.js';
import { toStaticInt8 } from '../../../tools/compress/passes/int8-static.js';
import { upgradeToOpset13 } from '../../../tools/compress/passes/opset.js';
import { convNet, opset9Net, runOnnx, tokenNet } from './graphs.js';

const images = randomFeeds([{ name: 'x', datatype: 'FP32', shape: [-1, 3, 8, 8] }], { x: [16, 3, 8, 8] }, 1, { lo: -1, hi: 1 });
const tokens = randomFeeds([{ name: 'ids', datatype: 'INT64', shape: [-1, -1] }], { ids: [4, 6] }, 2, { intHigh: 64 });

describe('graph normalisation', () => {
  it('folds BatchNormalization into the Conv before it without changing the answer', async () => {
    const source = convNet();
    const { model, folded } = normalize(source);
    expect(folded).toBe(1);
    expect(model.graph.node.some((n) => n.op_type === 'BatchNormalization')).toBe(false);
    const c = compareOutputs(await runOnnx(source, images), await runOnnx(model, images), 5);
    expect(c.max_abs_err).toBeLessThan(1e-5);
  });

  it('upgrades an opset-9 graph (Clip, Slice, Squeeze, Unsqueeze, Softmax) to opset 13 with the same answer', async () => {
    const source = opset9Net();
    const feeds = randomFeeds([{ name: 'x', datatype: 'FP32', shape: [-1, 6] }], { x: [5, 6] }, 3, { lo: -1, hi: 1 });
    const upgraded = upgradeToOpset13(normalize(source).model, { sq: 2 });
    expect(upgraded.opset_import[0]!.version).toBe(13);
    const c = compareOutputs(await runOnnx(source, feeds), await runOnnx(upgraded, feeds), 6);
    expect(c.max_abs_err).toBeLessThan(1e-6);
  });

  it('refuses to upgrade a Softmax whose axis is not the last one', () => {
    expect(() => upgradeToOpset13(normalize(opset9Net()).model, { sq: 3 })).toThrow(/Softmax .* not the last axis/);
  });
});

describe('fp16 variant', () => {
  it('stores every weight as fp16, keeps fp32 io, and stays within fp16 error of fp32', async () => {
    const { model } = normalize(convNet());
    const { model: half, report } = toFp16(model);
    expect(half.graph.initializer.filter((t) => t.data_type === DataType.FLOAT && t.dims.length > 0)).toEqual([]);
    expect(half.graph.input[0]!.type.tensor_type.elem_type).toBe(DataType.FLOAT);
    expect(half.graph.output[0]!.type.tensor_type.elem_type).toBe(DataType.FLOAT);
    expect(report.castsInserted).toBeGreaterThan(0);
    const c = compareOutputs(await runOnnx(model, images), await runOnnx(half, images), 5);
    expect(c.top1_agreement).toBe(1);
    expect(c.max_abs_err).toBeLessThan(5e-3);
  });

  it('runs ops without an fp16 CPU kernel in fp32 behind a Cast, and ops with one in fp16', async () => {
    const { model } = normalize(tokenNet());
    const { model: half } = toFp16(model);
    expect(FP16_CPU_KERNELS.has('Gather')).toBe(true);
    const gather = half.graph.node.find((n) => n.name === 'embed')!;
    expect(gather.input[0]).toBe('E'); // fp16 table read directly by the fp16 Gather
    const matmul = half.graph.node.find((n) => n.name === 'proj')!;
    const cast = half.graph.node.find((n) => n.output[0] === matmul.input[0])!;
    expect(cast.op_type).toBe('Cast'); // MatMul has no fp16 CPU kernel: its input is cast to fp32
    const c = compareOutputs(await runOnnx(model, tokens), await runOnnx(half, tokens), 16, undefined, false);
    expect(c.cosine).toBeGreaterThan(0.9999);
  });

  it('keeps weights beyond the fp16 range in fp32 and reports them, instead of clamping them', () => {
    const { model } = normalize(tokenNet());
    model.graph.initializer = model.graph.initializer.map((t) => (t.name === 'bias' ? floatTensor('bias', [16], new Float32Array(16).fill(1e6)) : t));
    const { model: half, report } = toFp16(model);
    expect(report.kept).toEqual([{ tensor: 'bias', reason: expect.stringMatching(/1e\+6 is beyond the fp16 range/) }]);
    expect(half.graph.initializer.find((t) => t.name === 'bias')!.data_type).toBe(DataType.FLOAT);
  });
});

describe('int8 variants', () => {
  it('dynamic int8 rewrites Conv to ConvInteger and Gemm to MatMulInteger and stays close to fp32', async () => {
    const { model } = normalize(convNet());
    const { model: q, report } = toDynamicInt8(model, 'matmul+conv');
    expect(report.quantized.sort()).toEqual(['conv1', 'dwconv', 'fc']);
    expect(q.graph.node.filter((n) => n.op_type === 'ConvInteger')).toHaveLength(2);
    expect(q.graph.node.filter((n) => n.op_type === 'MatMulInteger')).toHaveLength(1);
    const c = compareOutputs(await runOnnx(model, images), await runOnnx(q, images), 5);
    expect(c.cosine).toBeGreaterThan(0.99);
    expect(c.top1_agreement).toBeGreaterThanOrEqual(0.875);
  });

  it('leaves excluded nodes in fp32', async () => {
    const { model } = normalize(convNet());
    const { model: q } = toDynamicInt8(model, 'matmul+conv', new Set(['dwconv']));
    expect(q.graph.node.find((n) => n.name === 'dwconv')!.op_type).toBe('Conv');
    expect(q.graph.node.filter((n) => n.op_type === 'ConvInteger')).toHaveLength(1);
  });

  it('quantizes embedding tables per row and keeps lookups close', async () => {
    const { model } = normalize(tokenNet());
    const q = quantizeEmbeddings(toDynamicInt8(model, 'matmul').model);
    expect(q.graph.initializer.find((t) => t.name === 'embed/table_int8')?.data_type).toBe(DataType.INT8);
    expect(q.graph.initializer.some((t) => t.name === 'E')).toBe(false);
    const c = compareOutputs(await runOnnx(model, tokens), await runOnnx(q, tokens), 16, undefined, false);
    // 16-wide toy projection with both operands quantized: a few % error is expected at this size.
    expect(c.cosine).toBeGreaterThan(0.97);
  });

  it('static QDQ with min-max and percentile calibration stays close to fp32 and quantizes with int32 conv biases', async () => {
    const { model } = normalize(convNet());
    const ranges = await calibrate(model, images);
    expect(Object.keys(ranges.minmax.ranges)).toContain('x');
    const reference = await runOnnx(model, images);
    for (const r of [ranges.minmax, ranges.percentile]) {
      const { model: q, quantized } = toStaticInt8(model, r);
      expect(quantized.sort()).toEqual(['conv1', 'dwconv']); // Gemm with transB stays fp32
      expect(q.graph.initializer.some((t) => t.data_type === DataType.INT32)).toBe(true);
      const c = compareOutputs(reference, await runOnnx(q, images), 5);
      expect(c.cosine, r.method).toBeGreaterThan(0.98);
    }
  });
});
