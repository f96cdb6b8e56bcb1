/**
 * One ONNX node at a time in TensorFlow.js, for executor.ts: the ops the pruner supports (tools/prune/graph.ts),
 * rank-4 activations held NHWC, constants in ONNX layout aligned to them on use. Integer shape arithmetic
 * (Shape, Cast, Slice, Concat, Gather, Unsqueeze, Squeeze) runs on plain number lists. Anything outside that
 * set, or an attribute form the trainer does not implement, stops with one line naming the node.
 */
import { attr, fattr, UnsupportedModel } from '../prune/graph.js';
import type { NodeProto } from '../onnx/types.js';
import { conv2d, depthwise, type ConvGeometry } from './conv.js';
import type { Tf } from './tf.js';
import type * as TfTypes from '@tensorflow/tfjs';

type Tensor = TfTypes.Tensor;
type T4 = TfTypes.Tensor4D;

/** What a node reads and writes. */
export interface Env {
  tf: Tf;
  acts: Map<string, Tensor>;
  ints: Map<string, number[]>;
  weight(name: string): Tensor | undefined;
  /** When set, BatchNorm inputs' per-channel sum and sum of squares are added here (recalibration). */
  stats?: Map<string, { sum: Tensor; sq: Tensor; n: number }>;
  /** Channel-wise multipliers of named activations (channel last in NHWC, axis 1 in rank 2). */
  gates?: ReadonlyMap<string, Tensor>;
}

const fail = (n: NodeProto, why: string): never => { throw new UnsupportedModel(`${n.op_type} '${n.name || n.output[0]}': ${why}`); };

/** An operand aligned with a rank-4 NHWC activation: per-channel constants [C,1,1] / [1,C,1,1] become [C]. */
function operand(env: Env, name: string, nhwc: boolean, n: NodeProto): Tensor {
  const a = env.acts.get(name);
  if (a) return a;
  const w = env.weight(name) ?? fail(n, `input '${name}' is neither an activation nor a float initializer`);
  if (!nhwc || w.size === 1) return w.size === 1 ? w.reshape([]) : w;
  if (w.rank === 1 || (w.rank >= 3 && w.size === w.shape[w.rank - 3])) return w.reshape([w.size]);
  return w.rank === 4 ? env.tf.transpose(w, [0, 2, 3, 1]) : fail(n, `constant '${name}' ${JSON.stringify(w.shape)} does not broadcast per channel`);
}

const onnxDims = (t: Tensor) => (t.rank === 4 ? [t.shape[0]!, t.shape[3]!, t.shape[1]!, t.shape[2]!] : [...t.shape]);
const toNchw = (tf: Tf, t: Tensor) => (t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : t);

function geometry(n: NodeProto, k: number[]): ConvGeometry {
  if (attr(n, 'dilations', [1, 1]).some((d) => d !== 1)) fail(n, 'dilated convolution is not supported by the trainer');
  const autoPad = n.attribute?.find((a) => a.name === 'auto_pad')?.s;
  if (autoPad && new TextDecoder().decode(autoPad) !== 'NOTSET') fail(n, 'auto_pad is not supported by the trainer; give explicit pads');
  const s = attr(n, 'strides', [1, 1]);
  const p = attr(n, 'pads', [0, 0, 0, 0]);
  if (k.length !== 2) fail(n, 'only 2-D kernels are supported');
  return { strides: [s[0]!, s[1]!], pads: [p[0]!, p[1]!, p[2]!, p[3]!] };
}

function conv(env: Env, n: NodeProto): Tensor {
  const { tf } = env;
  const x = env.acts.get(n.input[0]!) as T4;
  const W = env.weight(n.input[1]!) ?? fail(n, 'weights are not an initializer');
  const [cout, cinG, kh, kw] = W.shape as number[];
  const g = geometry(n, attr(n, 'kernel_shape', [kh!, kw!]));
  const group = attr(n, 'group', 1);
  const cin = x.shape[3];
  let y: T4;
  if (group === 1) {
    const pointwise = kh === 1 && kw === 1 && g.strides.every((s) => s === 1) && g.pads.every((p) => p === 0);
    if (pointwise) y = tf.matMul(x.reshape([-1, cin]), W.reshape([cout!, cinG!]), false, true).reshape([x.shape[0], x.shape[1], x.shape[2], cout!]);
    else y = conv2d(tf, x, tf.transpose(W, [2, 3, 1, 0]) as T4, g);
  } else if (group === cin && cout === cin && cinG === 1) y = depthwise(tf, x, tf.transpose(W, [2, 3, 0, 1]) as T4, g);
  else return fail(n, `grouped convolution (group ${group} of ${cin} channels) is not supported by the trainer`);
  const b = n.input[2] ? env.weight(n.input[2]) : undefined;
  return b ? tf.add(y, b) : y;
}

function batchNorm(env: Env, n: NodeProto): Tensor {
  const { tf } = env;
  const x = env.acts.get(n.input[0]!)!;
  const [scale, bias, mean, variance] = n.input.slice(1).map((i) => operand(env, i, x.rank === 4, n));
  let [mu, v] = [mean!, variance!];
  if (env.stats) {
    // Recalibration normalises with the batch's own moments, as BatchNorm does in training, so every later
    // BatchNorm sees what it will see once the earlier ones hold their new statistics.
    const axes = x.rank === 4 ? [0, 1, 2] : [0];
    const prev = env.stats.get(n.input[0]!);
    const sum = tf.sum(x, axes);
    const sq = tf.sum(tf.square(x), axes);
    const rows = x.size / x.shape[x.rank === 4 ? 3 : 1]!;
    env.stats.set(n.input[0]!, prev ? { sum: tf.add(prev.sum, sum), sq: tf.add(prev.sq, sq), n: prev.n + rows } : { sum, sq, n: rows });
    if (prev) tf.dispose([prev.sum, prev.sq]);
    mu = tf.div(sum, rows);
    v = tf.relu(tf.sub(tf.div(sq, rows), tf.square(mu)));
  }
  const k = tf.div(scale!, tf.sqrt(tf.add(v, fattr(n, 'epsilon', 1e-5))));
  return tf.add(tf.mul(x, k), tf.sub(bias!, tf.mul(mu, k)));
}

function pool(env: Env, n: NodeProto): Tensor {
  const x = env.acts.get(n.input[0]!) as T4;
  const k = attr(n, 'kernel_shape', [1, 1]);
  const { strides, pads } = geometry(n, k);
  if (attr(n, 'ceil_mode', 0)) fail(n, 'ceil_mode is not supported by the trainer');
  const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]];
  if (n.op_type === 'MaxPool') return env.tf.maxPool(x, [k[0]!, k[1]!], strides, pads.some((p) => p) ? pad as never : 'valid');
  if (pads.some((p) => p)) fail(n, 'padded AveragePool is not supported by the trainer');
  return env.tf.avgPool(x, [k[0]!, k[1]!], strides, 'valid');
}

function reshape(env: Env, n: NodeProto, target: number[]): Tensor {
  const x = toNchw(env.tf, env.acts.get(n.input[0]!)!);
  const dims = target.map((d, i) => (d === 0 ? x.shape[i]! : d));
  const y = x.reshape(dims);
  return y.rank === 4 ? env.tf.transpose(y, [0, 2, 3, 1]) : y;
}

function ints(env: Env, n: NodeProto): number[] | undefined {
  const v = (i: number) => env.ints.get(n.input[i] ?? '') ?? fail(n, `input '${n.input[i]}' is not a known integer list`);
  switch (n.op_type) {
    case 'Shape': return onnxDims(env.acts.get(n.input[0]!) ?? fail(n, 'reads no activation'));
    case 'Cast': case 'Squeeze': case 'Unsqueeze': case 'Identity': return env.ints.has(n.input[0]!) ? v(0) : undefined;
    case 'Concat': return n.input.flatMap((_, i) => v(i));
    case 'Gather': return v(1).map((i) => v(0).at(i)!);
    case 'Slice': {
      const [starts, ends] = n.input.length > 1 ? [v(1), v(2)] : [attr(n, 'starts', [0]), attr(n, 'ends', [0])];
      return v(0).slice(starts[0], Math.min(ends[0]!, 1 << 30));
    }
    default: return undefined;
  }
}

const SHAPE_OPS = new Set(['Shape', 'Cast', 'Concat', 'Gather', 'Slice', 'Squeeze', 'Unsqueeze']);

/** Runs one node, writing its outputs into env.acts (or env.ints for shape arithmetic). */
export function runNode(env: Env, n: NodeProto): void {
  const { tf } = env;
  const x = env.acts.get(n.input[0] ?? '');
  const i = SHAPE_OPS.has(n.op_type) ? ints(env, n) : undefined;
  if (i) { env.ints.set(n.output[0]!, i); return; }
  const nhwc = n.input.some((k) => env.acts.get(k)?.rank === 4);
  const op = (k: number) => operand(env, n.input[k]!, nhwc, n);
  let y: Tensor;
  switch (n.op_type) {
    case 'Conv': y = conv(env, n); break;
    case 'BatchNormalization': y = batchNorm(env, n); break;
    case 'Relu': y = tf.relu(x!); break;
    case 'Sigmoid': y = tf.sigmoid(x!); break;
    case 'LeakyRelu': y = tf.leakyRelu(x!, fattr(n, 'alpha', 0.01)); break;
    case 'HardSigmoid': y = tf.clipByValue(tf.add(tf.mul(x!, fattr(n, 'alpha', 0.2)), fattr(n, 'beta', 0.5)), 0, 1); break;
    case 'HardSwish': y = tf.mul(x!, tf.clipByValue(tf.add(tf.mul(x!, 1 / 6), 0.5), 0, 1)); break;
    case 'Clip': {
      const bound = (k: number, a: string, d: number) => (n.input[k] ? (env.weight(n.input[k]!)!.dataSync()[0]!) : fattr(n, a, d));
      y = tf.clipByValue(x!, bound(1, 'min', -3.4e38), bound(2, 'max', 3.4e38));
      break;
    }
    case 'Identity': case 'Dropout': y = x!; break;
    case 'Add': y = tf.add(op(0), op(1)); break;
    case 'Sub': y = tf.sub(op(0), op(1)); break;
    case 'Mul': y = tf.mul(op(0), op(1)); break;
    case 'Div': y = tf.div(op(0), op(1)); break;
    case 'MaxPool': case 'AveragePool': y = pool(env, n); break;
    case 'GlobalAveragePool': y = tf.mean(x!, [1, 2], true); break;
    case 'Flatten': if (attr(n, 'axis', 1) !== 1) fail(n, 'only axis 1 is supported'); y = reshape(env, n, [0, -1]); break;
    case 'Reshape': y = reshape(env, n, env.ints.get(n.input[1]!) ?? fail(n, 'its shape is not a known integer list')); break;
    case 'MatMul': y = tf.matMul(x!, op(1)); break;
    case 'Gemm': {
      if (attr(n, 'transA', 0) || fattr(n, 'alpha', 1) !== 1 || fattr(n, 'beta', 1) !== 1) fail(n, 'only Gemm with transA 0, alpha 1, beta 1 is supported');
      y = tf.matMul(x!, op(1), false, attr(n, 'transB', 0) === 1);
      if (n.input[2]) y = tf.add(y, op(2));
      break;
    }
    case 'Softmax': y = tf.softmax(x!); if (x!.rank !== 2) fail(n, 'only 2-D Softmax is supported'); break;
    default: return fail(n, 'op not supported by the trainer');
  }
  const gate = env.gates?.get(n.output[0]!);
  env.acts.set(n.output[0]!, gate ? tf.mul(y, gate) : y);
}
