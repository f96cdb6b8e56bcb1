/**
 * Weight-only INT8 (`int8w`): large weights stored int8 behind DequantizeLinear, folded into fp32 weights by
 * onnxruntime when the session is created with the option the manifest's `load` asks for. Checked in
 * onnxruntime-web (the Worker's runtime) for fidelity and size, and in onnxruntime-node's optimized graph
 * for the folding itself (the same onnxruntime 1.30 core; the web build cannot write its optimized graph).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';
import { afterAll, describe, expect, it } from 'vitest';
import { sessionOptionsFor } from '../../../src/engine/ort-session.js';
import { randomFeeds, type Feeds } from '../../../tools/compress/data/feeds.js';
import { normalize } from '../../../tools/compress/passes/graph.js';
import { toWeightOnlyInt8 } from '../../../tools/compress/passes/int8-weight-only.js';
import { gateWeightOnly } from '../../../tools/compress/choose/web-gate.js';
import { Prng } from '../../../tools/lib/prng.js';
import { compareOutputs } from '../../../tools/measure/stats.js';
import { floatTensor, model, node, valueInfo } from '../../../tools/onnx/build.js';
import { encodeModel, readModel } from '../../../tools/onnx/io.js';
import { DataType, type ModelProto } from '../../../tools/onnx/types.js';
import { convNet, opset9Net, tokenNet } from './graphs.js';

ortWeb.env.wasm.numThreads = 1;
const work = mkdtempSync(join(tmpdir(), 'int8w-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A weight-dominated image classifier: Conv 3->32 -> Conv 32->64 -> GAP -> Gemm 64->512 -> MatMul 512->10. */
function weightyNet(): ModelProto {
  const prng = new Prng(11);
  const w = (n: number, limit: number) => prng.fillUniform(new Float32Array(n), limit);
  return model({
    name: 'weighty',
    node: [
      node('Conv', ['x', 'W1', 'B1'], ['c1'], 'conv1', { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }),
      node('Relu', ['c1'], ['r1'], 'relu1'),
      node('Conv', ['r1', 'W2', 'B2'], ['c2'], 'conv2', { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }),
      node('Relu', ['c2'], ['r2'], 'relu2'),
      node('GlobalAveragePool', ['r2'], ['gap'], 'gap'),
      node('Flatten', ['gap'], ['flat'], 'flatten'),
      node('Gemm', ['flat', 'W3', 'B3'], ['h'], 'fc1', { transB: 1 }),
      node('Relu', ['h'], ['r3'], 'relu3'),
      node('MatMul', ['r3', 'W4'], ['logits'], 'fc2'),
    ],
    initializer: [
      floatTensor('W1', [32, 3, 3, 3], w(864, 0.4)), floatTensor('B1', [32], w(32, 0.1)),
      floatTensor('W2', [64, 32, 3, 3], w(18432, 0.1)), floatTensor('B2', [64], w(64, 0.1)),
      floatTensor('W3', [512, 64], w(32768, 0.2)), floatTensor('B3', [512], w(512, 0.1)),
      floatTensor('W4', [512, 10], w(5120, 0.2)),
    ],
    input: [valueInfo('x', DataType.FLOAT, ['N', 3, 16, 16])],
    output: [valueInfo('logits', DataType.FLOAT, ['N', 10])],
  }, 'test weight-dominated net');
}

async function runWeb(bytes: Uint8Array, feeds: Feeds, fold: boolean): Promise<Float32Array> {
  const session = await ortWeb.InferenceSession.create(bytes, sessionOptionsFor({ fold_dequantize: fold }, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }));
  try {
    const input: Record<string, ortWeb.Tensor> = {};
    for (const [k, f] of Object.entries(feeds)) input[k] = new ortWeb.Tensor(f.type, f.data, f.dims);
    const out = await session.run(input);
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

/** The graph onnxruntime-node actually runs after its optimizations (basic level: constant folding). */
async function optimizedGraph(bytes: Uint8Array, fold: boolean, name: string): Promise<ModelProto> {
  const path = join(work, `${name}-${fold}.onnx`);
  const session = await ortNode.InferenceSession.create(bytes, sessionOptionsFor({ fold_dequantize: fold }, { graphOptimizationLevel: 'basic', optimizedModelFilePath: path }));
  await session.release();
  return readModel(path);
}

const images = randomFeeds([{ name: 'x', datatype: 'FP32', shape: [-1, 3, 16, 16] }], { x: [32, 3, 16, 16] }, 4, { lo: -1, hi: 1 });

describe('weight-only int8 (int8w)', () => {
  it('stores each large weight as int8 with per-channel scales behind a DequantizeLinear that keeps its name', () => {
    const { model: m, report } = toWeightOnlyInt8(weightyNet());
    const axis = (name: string) => m.graph.node.find((n) => n.op_type === 'DequantizeLinear' && n.output[0] === name)?.attribute?.[0]?.i;
    // Conv weights per output channel (axis 0), Gemm transB per row (0), MatMul per column (1).
    expect(report.quantized.map((q) => [q.name, q.axis])).toEqual([['W1', 0], ['W2', 0], ['W3', 0], ['W4', 1]]);
    expect([axis('W1'), axis('W2'), axis('W3'), axis('W4')]).toEqual([0, 0, 0, 1]);
    const inits = new Map(m.graph.initializer.map((t) => [t.name, t]));
    expect(inits.get('W2__int8')?.data_type).toBe(DataType.INT8);
    expect(inits.get('W2__scale')?.dims).toEqual([64]);
    // Biases are under the size threshold and stay fp32; the consumers still read the original names.
    expect(['B1', 'B2', 'B3'].map((b) => inits.get(b)?.data_type)).toEqual([DataType.FLOAT, DataType.FLOAT, DataType.FLOAT]);
    expect(inits.has('W2')).toBe(false);
    expect(m.graph.node.find((n) => n.name === 'conv2')!.input).toEqual(['r1', 'W2', 'B2']);
  });

  it('is at most 0.3x the fp32 bytes of a weight-dominated model and matches fp32 in onnxruntime-web', async () => {
    const fp32 = encodeModel(weightyNet());
    const int8w = encodeModel(toWeightOnlyInt8(weightyNet()).model);
    expect(int8w.length / fp32.length).toBeLessThanOrEqual(0.3);
    const reference = await runWeb(fp32, images, false);
    const c = compareOutputs(reference, await runWeb(int8w, images, true), 10);
    expect(c.top1_agreement).toBe(1);
    expect(c.cosine).toBeGreaterThan(0.9999);
  });

  it('is folded into fp32 weights when the session is created with the load option, and only then', async () => {
    const bytes = encodeModel(toWeightOnlyInt8(weightyNet()).model);
    const folded = await optimizedGraph(bytes, true, 'weighty');
    expect(folded.graph.node.filter((n) => n.op_type === 'DequantizeLinear')).toEqual([]);
    expect(folded.graph.initializer.filter((t) => t.data_type === DataType.INT8)).toEqual([]);
    // Without it onnxruntime keeps the DequantizeLinear nodes for its QDQ handling: run on every call.
    const kept = await optimizedGraph(bytes, false, 'weighty');
    expect(kept.graph.node.filter((n) => n.op_type === 'DequantizeLinear')).toHaveLength(4);
  });

  it('quantizes embedding tables per row and depthwise convolutions per channel, within fidelity', async () => {
    const tokens = randomFeeds([{ name: 'ids', datatype: 'INT64', shape: [-1, -1] }], { ids: [4, 6] }, 2, { intHigh: 64 });
    const { model: t, report } = toWeightOnlyInt8(tokenNet());
    expect(report.quantized.map((q) => [q.name, q.axis])).toEqual([['E', 0], ['W', 1]]);
    expect(compareOutputs(await runWeb(encodeModel(tokenNet()), tokens, false), await runWeb(encodeModel(t), tokens, true), 16).cosine).toBeGreaterThan(0.9999);
    const conv = normalize(convNet()).model;
    const small = toWeightOnlyInt8(conv, new Set(), 64);
    expect(small.report.quantized.map((q) => q.name)).toEqual(['conv1/W_bnfolded', 'W2']);
    const feeds = randomFeeds([{ name: 'x', datatype: 'FP32', shape: [-1, 3, 8, 8] }], { x: [16, 3, 8, 8] }, 1, { lo: -1, hi: 1 });
    expect(compareOutputs(await runWeb(encodeModel(conv), feeds, false), await runWeb(encodeModel(small.model), feeds, true), 5).cosine).toBeGreaterThan(0.9999);
  });

  it('keeps the weights of excluded nodes fp32, and refuses graphs below opset 13 with the reason', () => {
    const { report } = toWeightOnlyInt8(weightyNet(), new Set(['conv2']));
    expect(report.quantized.map((q) => q.name)).toEqual(['W1', 'W3', 'W4']);
    expect(() => toWeightOnlyInt8(opset9Net())).toThrow(/opset >= 13 .*opset 9/);
  });

  it('adds the fold option to the session config without dropping options already set', () => {
    expect(sessionOptionsFor(undefined, { graphOptimizationLevel: 'all' })).toEqual({ graphOptimizationLevel: 'all' });
    expect(sessionOptionsFor({ fold_dequantize: true }, { extra: { session: { use_ort_model_bytes_directly: '1' }, optimization: { x: '1' } } })).toEqual({
      extra: { session: { use_ort_model_bytes_directly: '1', disable_quant_qdq: '1' }, optimization: { x: '1' } },
    });
  });
});

describe('the int8w gate', () => {
  const fidelity = { outputs: { y: { kind: 'classification' as const, top1_agreement: 0.985, cosine: 0.9995, max_abs_err: 0.1, mean_abs_err: 0.01 } } };
  it('serves int8w only when its measured fidelity keeps the floor int8 must keep, by the output\'s metric', () => {
    expect(gateWeightOnly(fidelity, { y: [{ metric: 'top1', value: 0.99 }] })).toEqual({ status: 'below floor', check: "'y' top1 0.985 < 0.99" });
    expect(gateWeightOnly(fidelity, { y: [{ metric: 'cosine', value: 0.99 }] }).status).toBe('served');
  });
});
