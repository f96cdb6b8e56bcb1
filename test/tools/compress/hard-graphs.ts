/**
 * Small models shaped like the real-world exports that broke the compressor (issue #11): weights inside
 * `If` branches and a `Loop` body that also read outer-scope tensors by name, an `ai.onnx.ml` opset import
 * nothing uses next to a `com.microsoft` op, a batch fixed to 1, and the guards of an audio front-end (a
 * `Clip` to +Infinity, a bound beyond fp16's range, a 1e-10 epsilon under a division).
 */
import { floatTensor, graph, ifNode, int64Tensor, loopNode, model, node, valueInfo } from '../../../tools/onnx/build.js';
import { DataType, type ModelProto } from '../../../tools/onnx/types.js';
import { Prng } from '../../../tools/lib/prng.js';

const BOOL = 9;
const w = (prng: Prng, n: number, limit: number) => prng.fillUniform(new Float32Array(n), limit);
/** Weights on a 1/8 grid: exact in fp16, so an fp16 variant computing in fp32 gives fp32's answer bit for bit. */
const grid = (prng: Prng, n: number) => Float32Array.from(w(prng, n, 1), (v) => Math.round(v * 8) / 8);

/** Width of the control-flow model: big enough that its weights, not its graph, are most of the file. */
export const WIDTH = 32;
/** Inputs whose mean is above 0.5 (the then-branch) and below it (the else-branch). */
export const LOUD = Array.from({ length: WIDTH }, (_, i) => 0.6 + 0.3 * ((i * 7) % 5) / 4);
export const QUIET = Array.from({ length: WIDTH }, (_, i) => 0.1 + 0.3 * ((i * 3) % 5) / 4);

/**
 * x [N,32] -> If(mean(x) > 0.5) { then: MatMul(x, W_then: a Constant inside the branch) + B_outer }
 * { else: Relu(MatMul(x, W_else)) } -> Loop 2x { h = Tanh(MatMul(h, W_loop) + B_loop: a Constant in the
 * body) } -> y. B_outer, W_else and W_loop are top-level initializers read only inside subgraphs.
 */
export function controlFlowNet(): ModelProto {
  const prng = new Prng(11);
  const constant = (name: string, dims: number[], data: Float32Array) => node('Constant', [], [name], `${name}/Constant`, { value: floatTensor(`${name}_value`, dims, data) });
  const D = WIDTH;
  const then = graph('then', [constant('W_then', [D, D], w(prng, D * D, 0.3)), node('MatMul', ['x', 'W_then'], ['t1'], 'then_mm'), node('Add', ['t1', 'B_outer'], ['h_then'], 'then_add')], [valueInfo('h_then', DataType.FLOAT, ['N', D])]);
  const otherwise = graph('else', [node('MatMul', ['x', 'W_else'], ['e1'], 'else_mm'), node('Relu', ['e1'], ['h_else'], 'else_relu')], [valueInfo('h_else', DataType.FLOAT, ['N', D])]);
  const body = graph(
    'body',
    [
      constant('B_loop', [D], w(prng, D, 0.1)),
      node('MatMul', ['h_in', 'W_loop'], ['l1'], 'loop_mm'),
      node('Add', ['l1', 'B_loop'], ['l2'], 'loop_add'),
      node('Tanh', ['l2'], ['h_out'], 'loop_tanh'),
      node('Identity', ['c_in'], ['c_out'], 'loop_cond'),
    ],
    [valueInfo('c_out', BOOL, []), valueInfo('h_out', DataType.FLOAT, ['N', D])],
    [valueInfo('i', DataType.INT64, []), valueInfo('c_in', BOOL, []), valueInfo('h_in', DataType.FLOAT, ['N', D])],
  );
  return model({
    name: 'control-flow',
    node: [
      node('ReduceMean', ['x'], ['m'], 'mean', { keepdims: 0 }),
      node('Greater', ['m', 'half'], ['cond'], 'branch_on_level'),
      ifNode('cond', then, otherwise, ['h'], 'branch'),
      loopNode('trips', ['h'], body, ['y'], 'refine'),
    ],
    initializer: [
      floatTensor('B_outer', [D], w(prng, D, 0.1)), floatTensor('W_else', [D, D], w(prng, D * D, 0.3)), floatTensor('W_loop', [D, D], w(prng, D * D, 0.3)),
      floatTensor('half', [], Float32Array.of(0.5)), int64Tensor('trips', [], [2]),
    ],
    input: [valueInfo('x', DataType.FLOAT, ['N', D])],
    output: [valueInfo('y', DataType.FLOAT, ['N', D])],
  }, 'weights inside If branches and a Loop body');
}

/**
 * x [T,8] -> Scan over rows { s = s + Tanh(MatMul(x_t, W_scan)) } -> ys [T,8], the running state per step;
 * W_scan is a top-level initializer read only inside the body.
 */
export function scanNet(): ModelProto {
  const prng = new Prng(15);
  const body = graph(
    'scan_body',
    [node('MatMul', ['x_t', 'W_scan'], ['p'], 'scan_mm'), node('Tanh', ['p'], ['q'], 'scan_tanh'), node('Add', ['s_in', 'q'], ['s_out'], 'scan_add'), node('Identity', ['s_out'], ['y_t'], 'scan_emit')],
    [valueInfo('s_out', DataType.FLOAT, [8]), valueInfo('y_t', DataType.FLOAT, [8])],
    [valueInfo('s_in', DataType.FLOAT, [8]), valueInfo('x_t', DataType.FLOAT, [8])],
  );
  return model({
    name: 'scan',
    node: [node('Scan', ['s0', 'x'], ['s_final', 'ys'], 'scan', { body, num_scan_inputs: 1 })],
    initializer: [floatTensor('s0', [8], new Float32Array(8)), floatTensor('W_scan', [8, 8], w(prng, 64, 0.5))],
    input: [valueInfo('x', DataType.FLOAT, ['T', 8])],
    output: [valueInfo('ys', DataType.FLOAT, ['T', 8])],
  }, 'weights read inside a Scan body');
}

/** x [N,16] -> MatMul -> com.microsoft Gelu -> MatMul -> y [N,4]; declares ai.onnx.ml without using it. */
export function declaredDomainsNet(): ModelProto {
  const prng = new Prng(12);
  const gelu = node('Gelu', ['h'], ['g'], 'gelu');
  gelu.domain = 'com.microsoft';
  const m = model({
    name: 'domains',
    node: [node('MatMul', ['x', 'W1'], ['h'], 'fc1'), gelu, node('MatMul', ['g', 'W2'], ['y'], 'fc2')],
    initializer: [floatTensor('W1', [16, 32], w(prng, 512, 0.4)), floatTensor('W2', [32, 4], w(prng, 128, 0.4))],
    input: [valueInfo('x', DataType.FLOAT, ['N', 16])],
    output: [valueInfo('y', DataType.FLOAT, ['N', 4])],
  }, 'declares ai.onnx.ml (unused) and uses a com.microsoft op');
  m.opset_import.push({ domain: 'ai.onnx.ml', version: 3 }, { domain: 'com.microsoft', version: 1 });
  return m;
}

/** A node from a domain onnxruntime-web has no kernels for (onnxruntime-extensions' custom ops). */
export function customOpNet(): ModelProto {
  const m = declaredDomainsNet();
  const n = m.graph.node[1]!;
  n.op_type = 'StftNorm';
  n.domain = 'ai.onnx.contrib';
  m.opset_import.push({ domain: 'ai.onnx.contrib', version: 1 });
  return m;
}

/** x [1,8] -> MatMul -> Softmax -> y [1,6]: every dim fixed, as many stateful and audio exports are. */
export function fixedBatchNet(): ModelProto {
  const prng = new Prng(13);
  return model({
    name: 'fixed',
    node: [node('MatMul', ['x', 'W'], ['h'], 'fc'), node('Softmax', ['h'], ['y'], 'softmax', { axis: -1 })],
    initializer: [floatTensor('W', [8, 6], w(prng, 48, 1))],
    input: [valueInfo('x', DataType.FLOAT, [1, 8])],
    output: [valueInfo('y', DataType.FLOAT, [1, 6])],
  }, 'batch fixed to 1');
}

/** The guard constants, by tensor name: what fp16 must not change. */
export const GUARDS = { low: -1e5, high: Infinity, eps: 1e-10 };

/**
 * An audio front-end's guards: x [N,8] -> MatMul (weights exact in fp16) -> Clip(low = -1e5, beyond fp16's
 * range; high = +Infinity) -> c / (max|c| + 1e-10) -> y [N,8]. Silence (x = 0) must give 0, not 0/0 = NaN.
 */
export function guardsNet(): ModelProto {
  const prng = new Prng(14);
  return model({
    name: 'guards',
    node: [
      node('MatMul', ['x', 'W'], ['h'], 'fc'),
      node('Clip', ['h', 'low', 'high'], ['c'], 'clip'),
      node('Abs', ['c'], ['a'], 'abs'),
      node('ReduceMax', ['a'], ['peak'], 'peak', { axes: [1], keepdims: 1 }),
      node('Add', ['peak', 'eps'], ['guarded'], 'guard'),
      node('Div', ['c', 'guarded'], ['y'], 'normalise'),
    ],
    initializer: [
      floatTensor('W', [8, 8], grid(prng, 64)),
      floatTensor('low', [], Float32Array.of(GUARDS.low)), floatTensor('high', [], Float32Array.of(GUARDS.high)), floatTensor('eps', [], Float32Array.of(GUARDS.eps)),
    ],
    input: [valueInfo('x', DataType.FLOAT, ['N', 8])],
    output: [valueInfo('y', DataType.FLOAT, ['N', 8])],
  }, 'Clip to +Infinity and a 1e-10 epsilon');
}
