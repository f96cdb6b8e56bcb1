/**
 * Small seeded graphs for the compression tests: a conv net (Conv+BatchNorm+Relu, depthwise Conv, Gemm,
 * Softmax) and a token model (Gather embedding + MatMul), plus helpers to run them in onnxruntime-node.
 */
import * as ort from 'onnxruntime-node';
import { floatTensor, int64Tensor, model, node, valueInfo } from '../../../tools/onnx/build.js';
import { encodeModel } from '../../../tools/onnx/io.js';
import { DataType, type ModelProto } from '../../../tools/onnx/types.js';
import { Prng } from '../../../tools/lib/prng.js';
import type { Feeds } from '../../../tools/compress/data/feeds.js';

const w = (prng: Prng, n: number, limit: number) => prng.fillUniform(new Float32Array(n), limit);

/** x [N,3,8,8] -> Conv 3->8 + BN + Relu -> depthwise Conv 8 -> GAP -> Flatten -> Gemm 8->5 -> Softmax. */
export function convNet(opset = 13): ModelProto {
  const prng = new Prng(3);
  const m = model({
    name: 'convnet',
    node: [
      node('Conv', ['x', 'W1', 'B1'], ['c1'], 'conv1', { pads: [1, 1, 1, 1], kernel_shape: [3, 3] }),
      node('BatchNormalization', ['c1', 'g', 'b', 'mu', 'var'], ['bn1'], 'bn1', { epsilon: { float: 1e-5 } }),
      node('Relu', ['bn1'], ['r1'], 'relu1'),
      node('Conv', ['r1', 'W2', 'B2'], ['c2'], 'dwconv', { group: 8, pads: [1, 1, 1, 1], kernel_shape: [3, 3] }),
      node('GlobalAveragePool', ['c2'], ['gap'], 'gap'),
      node('Flatten', ['gap'], ['flat'], 'flatten'),
      node('Gemm', ['flat', 'W3', 'B3'], ['logits'], 'fc', { transB: 1 }),
      node('Softmax', ['logits'], ['probs'], 'softmax', { axis: 1 }),
    ],
    initializer: [
      floatTensor('W1', [8, 3, 3, 3], w(prng, 216, 0.5)), floatTensor('B1', [8], w(prng, 8, 0.1)),
      floatTensor('g', [8], w(prng, 8, 0.5).map((v) => v + 1)), floatTensor('b', [8], w(prng, 8, 0.1)),
      floatTensor('mu', [8], w(prng, 8, 0.2)), floatTensor('var', [8], w(prng, 8, 0.3).map((v) => v + 0.5)),
      floatTensor('W2', [8, 1, 3, 3], w(prng, 72, 0.5)), floatTensor('B2', [8], w(prng, 8, 0.1)),
      floatTensor('W3', [5, 8], w(prng, 40, 1)), floatTensor('B3', [5], w(prng, 5, 0.1)),
    ],
    input: [valueInfo('x', DataType.FLOAT, ['N', 3, 8, 8])],
    output: [valueInfo('probs', DataType.FLOAT, ['N', 5])],
  }, 'test conv net');
  m.opset_import = [{ domain: '', version: opset }];
  return m;
}

/** ids [N,T] -> Gather(embedding 64x16) -> MatMul 16x16 -> Add -> LayerNorm-free output [N,T,16]. */
export function tokenNet(): ModelProto {
  const prng = new Prng(5);
  return model({
    name: 'tokens',
    node: [
      node('Gather', ['E', 'ids'], ['e'], 'embed'),
      node('MatMul', ['e', 'W'], ['h'], 'proj'),
      node('Add', ['h', 'bias'], ['y'], 'proj/add'),
    ],
    initializer: [floatTensor('E', [64, 16], w(prng, 1024, 1)), floatTensor('W', [16, 16], w(prng, 256, 0.5)), floatTensor('bias', [16], w(prng, 16, 0.1))],
    input: [valueInfo('ids', DataType.INT64, ['N', 'T'])],
    output: [valueInfo('y', DataType.FLOAT, ['N', 'T', 16])],
  }, 'test token net');
}

/** An opset-9 graph using the attribute forms that changed by opset 13 (Clip, Slice, Squeeze). */
export function opset9Net(): ModelProto {
  const prng = new Prng(9);
  const m = model({
    name: 'old',
    node: [
      node('MatMul', ['x', 'W'], ['h'], 'mm'),
      node('Clip', ['h'], ['c'], 'clip', { min: { float: 0 }, max: { float: 0.5 } }),
      node('Slice', ['c'], ['s'], 'slice', { starts: [0, 1], ends: [1000, 7], axes: [0, 1] }),
      node('Unsqueeze', ['s'], ['u'], 'unsq', { axes: [0] }),
      node('Squeeze', ['u'], ['sq'], 'sq', { axes: [0] }),
      node('Softmax', ['sq'], ['y'], 'softmax', { axis: 1 }),
    ],
    initializer: [floatTensor('W', [6, 8], w(prng, 48, 1))],
    input: [valueInfo('x', DataType.FLOAT, ['N', 6])],
    output: [valueInfo('y', DataType.FLOAT, ['N', 6])],
  }, 'opset 9 net');
  m.opset_import = [{ domain: '', version: 9 }];
  return m;
}

/** A graph with no float weights at all (only an INT64 shape constant). */
export function noWeightsNet(): ModelProto {
  return model({
    name: 'noweights',
    node: [node('Reshape', ['x', 'shape'], ['r'], 'reshape'), node('Relu', ['r'], ['y'], 'relu')],
    initializer: [int64Tensor('shape', [2], [-1, 4])],
    input: [valueInfo('x', DataType.FLOAT, ['N', 4])],
    output: [valueInfo('y', DataType.FLOAT, ['N', 4])],
  }, 'no weights');
}

/** Runs a model in onnxruntime-node; returns the named (else first) output. */
export async function runOnnx(m: ModelProto | Uint8Array, feeds: Feeds, output?: string): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(m instanceof Uint8Array ? m : encodeModel(m));
  const input: Record<string, ort.Tensor> = {};
  for (const [k, f] of Object.entries(feeds)) input[k] = new ort.Tensor(f.type, f.data, f.dims);
  const out = await session.run(input);
  return out[output ?? session.outputNames[0]!]!.data as Float32Array;
}
