/**
 * The graph passes on control flow and special constants, in onnxruntime-node: weights inside `If` branches
 * and a `Loop` body (read from the outer scope by name too) survive normalisation, are converted by fp16 and
 * dynamic int8, and every pass leaves the graph topologically sorted; fp16 keeps the constants whose value
 * it would change.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareOutputs } from '../../../tools/measure/stats.js';
import { floatTensor, node } from '../../../tools/onnx/build.js';
import { decodeModel, encodeModel } from '../../../tools/onnx/io.js';
import { allGraphs, allNodes, topoSort, unsorted } from '../../../tools/onnx/scopes.js';
import { DataType, type ModelProto } from '../../../tools/onnx/types.js';
import { toFp16 } from '../../../tools/compress/passes/fp16.js';
import { floats, normalize } from '../../../tools/compress/passes/graph.js';
import { toDynamicInt8 } from '../../../tools/compress/passes/int8-dynamic.js';
import { toStaticInt8 } from '../../../tools/compress/passes/int8-static.js';
import { fixedBatch, latencyShapes } from '../../../tools/compress/data/shapes.js';
import { readSource } from '../../../tools/compress/source/read.js';
import { toUniformFp16 } from '../../../tools/compress/passes/uniform-fp16.js';
import { toUniformInt8 } from '../../../tools/compress/passes/uniform-int8.js';
import type { Feeds } from '../../../tools/compress/data/feeds.js';
import { runOnnx } from './graphs.js';
import { controlFlowNet, fixedBatchNet, guardsNet, GUARDS, LOUD, QUIET, scanNet, WIDTH } from './hard-graphs.js';

const rows = (values: number[][]): Feeds => ({ x: { type: 'float32', dims: [values.length, values[0]!.length], data: Float32Array.from(values.flat()) } });
// mean(x) > 0.5 takes the then-branch, below it the else-branch.
const loud = rows([LOUD, [...LOUD].reverse()]);
const quiet = rows([QUIET, [...QUIET].reverse()]);
const graphNamed = (m: ModelProto, name: string) => allGraphs(m.graph).find((g) => g.name === name)!;
const sorted = (m: ModelProto) => expect(unsorted(m.graph)).toBeUndefined();

describe('control flow through the graph passes', () => {
  it('round-trips If and Loop subgraphs (GRAPH attributes) through the ONNX codec', () => {
    const bytes = encodeModel(controlFlowNet());
    const back = decodeModel(bytes);
    expect(graphNamed(back, 'then').node.map((n) => n.op_type)).toEqual(['Constant', 'MatMul', 'Add']);
    expect(graphNamed(back, 'body').input.map((i) => i.name)).toEqual(['i', 'c_in', 'h_in']);
    expect(encodeModel(back)).toEqual(bytes);
  });

  it('keeps sequence-typed values and sparse initializers through a decode and re-encode, and the passes refuse sparse ones', () => {
    const m = controlFlowNet();
    // TypeProto.Sequence { elem_type: TypeProto { tensor_type { elem_type: FLOAT } } }, as a Loop body may carry.
    const sequence = Uint8Array.of(0x0a, 0x04, 0x0a, 0x02, 0x08, 0x01);
    m.graph.value_info = [{ name: 'seq', type: { sequence_type: sequence } as never }];
    m.graph.sparse_initializer = [Uint8Array.of(0x1a, 0x01, 0x04)]; // SparseTensorProto { dims: [4] }
    const bytes = encodeModel(m);
    const back = decodeModel(bytes);
    expect(new Uint8Array((back.graph.value_info![0]!.type as unknown as { sequence_type: Uint8Array }).sequence_type)).toEqual(sequence);
    expect(encodeModel(back)).toEqual(bytes);
    const dir = mkdtempSync(join(tmpdir(), 'sparse-'));
    try {
      writeFileSync(join(dir, 'sparse.onnx'), bytes);
      expect(() => readSource(join(dir, 'sparse.onnx'))).toThrow(/1 sparse initializer\(s\): the compression passes rewrite dense initializers only/);
      expect(readSource(join(dir, 'sparse.onnx'), { passes: false }).floatWeights).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps weights only subgraphs read and lifts Constants inside subgraphs into their own initializers', async () => {
    const source = controlFlowNet();
    const { model, lifted } = normalize(source);
    expect(lifted).toBe(2);
    expect(model.graph.initializer.map((t) => t.name).sort()).toEqual(['B_outer', 'W_else', 'W_loop', 'half', 'trips']);
    expect(graphNamed(model, 'then').initializer.map((t) => t.name)).toEqual(['W_then']);
    expect(graphNamed(model, 'body').initializer.map((t) => t.name)).toEqual(['B_loop']);
    for (const feeds of [loud, quiet]) expect(await runOnnx(model, feeds)).toEqual(await runOnnx(source, feeds));
  });

  it('leaves a sorted graph exactly as it is', () => {
    const { model } = normalize(controlFlowNet());
    const before = encodeModel(model);
    topoSort(model.graph);
    expect(encodeModel(model)).toEqual(before);
  });

  it('sorts a subgraph onnxruntime refuses as unsorted, and a top-level node a subgraph reads implicitly', async () => {
    const { model } = normalize(controlFlowNet());
    const body = graphNamed(model, 'body');
    body.node.reverse();
    // The then-branch now reads 'bias', made by a top-level node placed after the If: an implicit read.
    graphNamed(model, 'then').node[1]!.input[1] = 'bias';
    model.graph.node.push(node('Mul', ['B_outer', 'half'], ['bias'], 'late_bias'));
    expect(unsorted(model.graph)).toMatch(/reads '.*' before the node producing it/);
    await expect(runOnnx(model, loud)).rejects.toThrow(/topologically sorted/);
    topoSort(model.graph);
    sorted(model);
    expect(model.graph.node.findIndex((n) => n.name === 'late_bias')).toBeLessThan(model.graph.node.findIndex((n) => n.name === 'branch'));
    expect(body.node.map((n) => n.op_type)).toEqual(['Identity', 'MatMul', 'Add', 'Tanh']);
    expect((await runOnnx(model, loud)).every(Number.isFinite)).toBe(true);
  });

  it('fp16 stores the weights inside branches and the loop body as fp16 and stays within fp16 error of fp32', async () => {
    const { model } = normalize(controlFlowNet());
    const { model: half, report } = toFp16(model);
    expect(report.subgraphs).toBe(3);
    for (const g of allGraphs(half.graph)) for (const t of g.initializer) if (t.dims.length > 0) expect(t.data_type, t.name).not.toBe(DataType.FLOAT);
    sorted(half);
    for (const feeds of [loud, quiet]) {
      const c = compareOutputs(await runOnnx(model, feeds), await runOnnx(half, feeds), WIDTH, undefined, false);
      expect(c.max_abs_err).toBeLessThan(5e-3);
    }
  });

  it('dynamic int8 quantizes the MatMuls inside subgraphs, with outer weights moved into the subgraph that reads them', async () => {
    const { model } = normalize(controlFlowNet());
    const { model: q, report } = toDynamicInt8(model, 'matmul');
    expect(report.quantized.sort()).toEqual(['else_mm', 'loop_mm', 'then_mm']);
    expect(allNodes(q.graph).filter((n) => n.op_type === 'MatMul')).toEqual([]);
    expect(q.graph.initializer.map((t) => t.name)).not.toContain('W_else'); // now read by no one
    sorted(q);
    for (const feeds of [loud, quiet]) expect(compareOutputs(await runOnnx(model, feeds), await runOnnx(q, feeds), WIDTH, undefined, false).cosine).toBeGreaterThan(0.99);
  });

  it('static QDQ leaves subgraphs fp32 and the model still runs', async () => {
    const { model } = normalize(controlFlowNet());
    const { model: q, quantized } = toStaticInt8(model, { method: 'minmax', ranges: {}, ranks: {} });
    expect(quantized).toEqual([]);
    expect(await runOnnx(q, loud)).toEqual(await runOnnx(model, loud));
  });

  it('converts and quantizes a Scan body that reads an outer weight', async () => {
    const { model } = normalize(scanNet());
    const steps = rows([[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8], [1, 0.5, 0, -0.5, -1, 0.5, 0, 0.25], [0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3, 0.3]]);
    const reference = await runOnnx(model, steps);
    const half = toFp16(model);
    expect(half.report.subgraphs).toBe(1);
    expect(half.model.graph.initializer.find((t) => t.name === 'W_scan')!.data_type).toBe(DataType.FLOAT16);
    const q = toDynamicInt8(model, 'matmul');
    expect(q.report.quantized).toEqual(['scan_mm']);
    for (const variant of [half.model, q.model]) {
      sorted(variant);
      expect(compareOutputs(reference, await runOnnx(variant, steps), 8, undefined, false).cosine).toBeGreaterThan(0.99);
    }
  });

  it('the uniform fp16 and int8 passes convert subgraphs too and stay close', async () => {
    const source = controlFlowNet();
    const { model } = normalize(source);
    for (const variant of [toUniformFp16(model), toUniformInt8(model)]) {
      sorted(variant);
      for (const feeds of [loud, quiet]) expect(compareOutputs(await runOnnx(model, feeds), await runOnnx(variant, feeds), WIDTH, undefined, false).cosine).toBeGreaterThan(0.99);
    }
  });
});

describe('fp16 and special constants', () => {
  const bound = rows([[2e5, 0, 0, 0, 0, 0, 0, 0], [-3e5, 1, 0, 0, 0, 0, 0, 0]]);
  const silence = rows([[0, 0, 0, 0, 0, 0, 0, 0]]);

  it('keeps a bound beyond the fp16 range and a guard epsilon in fp32, and converts +Infinity exactly', () => {
    const { report, model } = toFp16(normalize(guardsNet()).model);
    expect(report.kept.map((k) => k.tensor).sort()).toEqual(['eps', 'low']);
    expect(report.kept.find((k) => k.tensor === 'low')!.reason).toMatch(/-1e\+5 is beyond the fp16 range/);
    expect(report.kept.find((k) => k.tensor === 'eps')!.reason).toMatch(/1e-10 would flush to 0 in fp16 \(read by Add\)/);
    const high = model.graph.initializer.find((t) => t.name === 'high')!;
    expect(high.data_type).toBe(DataType.FLOAT16);
    expect(new Uint16Array(new Uint8Array(high.raw_data!).buffer)[0]).toBe(0x7c00);
    expect(GUARDS.high).toBe(Infinity);
  });

  it('gives fp32 answers exactly on inputs that hit the bounds, and 0 (not NaN) on silence', async () => {
    const { model } = normalize(guardsNet());
    const half = toFp16(model).model;
    const reference = await runOnnx(model, bound);
    // The inputs do hit the bounds: values below -1e5 are clipped, values past 65504 pass (+Infinity).
    const W = floats(model.graph.initializer.find((t) => t.name === 'W')!);
    const x = bound['x']!.data as Float32Array;
    for (let r = 0; r < 2; r++) {
      const h = Array.from({ length: 8 }, (_, j) => x[r * 8]! * W[j]! + x[r * 8 + 1]! * W[8 + j]!);
      expect(Math.min(...h)).toBeLessThan(GUARDS.low);
      expect(Math.max(...h)).toBeGreaterThan(65504);
      const c = h.map((v) => Math.max(v, GUARDS.low));
      const peak = Math.max(...c.map(Math.abs));
      c.forEach((v, j) => expect(reference[r * 8 + j]).toBeCloseTo(v / peak, 6));
    }
    expect(await runOnnx(half, bound)).toEqual(reference);
    const quiet = await runOnnx(half, silence);
    expect([...quiet]).toEqual(new Array(8).fill(0));
  });

  it('lets a big weight tensor lose a tiny value to fp16 (precision, not meaning)', () => {
    const { model } = normalize(guardsNet());
    const wv = new Float32Array(64).fill(0.25);
    wv[3] = 1e-10;
    model.graph.initializer[0] = floatTensor('W', [8, 8], wv);
    expect(toFp16(model).report.kept.map((k) => k.tensor)).not.toContain('W');
  });
});

describe('fixed dimensions', () => {
  it('sees a batch fixed to 1 and profiles that batch only', () => {
    const inputs = [{ name: 'x', datatype: 'FP32' as const, shape: [1, 8] }];
    expect(fixedBatch(inputs)).toBe(1);
    expect(fixedBatch([{ name: 'x', datatype: 'FP32', shape: [-1, 8] }])).toBeUndefined();
    const grid = latencyShapes(inputs, { shapes: {}, batches: [1, 2, 4, 8] });
    expect(grid.shapes).toEqual([{ items: 1, dims: { x: [1, 8] } }]);
    expect(grid.note).toMatch(/fixes its batch to 1/);
    expect(fixedBatchNet().graph.input[0]!.type.tensor_type.shape.dim[0]!.dim_value).toBe(1);
  });
});
