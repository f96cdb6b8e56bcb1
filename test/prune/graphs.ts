/**
 * Tiny seeded ONNX graphs for the pruning and training tests: an MLP (MatMul + Add + Relu) and a CNN with
 * Conv + BatchNorm + Relu, a depthwise Conv, a residual Add, Clip, and a Flatten of H·W > 1 into a Gemm.
 * `dead` lists channels whose outgoing weights are zeroed: removing them must not change any output.
 */
import { floatTensor, model, node, valueInfo } from '../../tools/onnx/build.js';
import { DataType, type ModelProto } from '../../tools/onnx/types.js';
import { Prng } from '../../tools/lib/prng.js';

const w = (prng: Prng, n: number, limit: number) => prng.fillUniform(new Float32Array(n), limit);

/** input [N, sizes[0]] -> (MatMul, Add, Relu)* -> logits [N, last]; hidden units in dead[l] read by nothing. */
export function mlp(sizes: number[], dead: number[][] = [], seed = 1): ModelProto {
  const prng = new Prng(seed);
  const nodes = [];
  const inits = [];
  let x = 'input';
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [k, n] = [sizes[l]!, sizes[l + 1]!];
    const W = w(prng, k * n, Math.sqrt(6 / k));
    for (const d of dead[l - 1] ?? []) W.fill(0, d * n, (d + 1) * n); // rows of layer l read hidden unit d of layer l-1
    inits.push(floatTensor(`W${l}`, [k, n], W), floatTensor(`b${l}`, [n], w(prng, n, 0.1)));
    const last = l + 2 === sizes.length;
    nodes.push(node('MatMul', [x, `W${l}`], [`m${l}`], `mm${l}`), node('Add', [`m${l}`, `b${l}`], [last ? 'logits' : `a${l}`], `add${l}`));
    if (!last) { nodes.push(node('Relu', [`a${l}`], [`h${l}`], `relu${l}`)); x = `h${l}`; }
  }
  return model({ name: 'mlp', node: nodes, initializer: inits, input: [valueInfo('input', DataType.FLOAT, ['N', sizes[0]!])], output: [valueInfo('logits', DataType.FLOAT, ['N', sizes.at(-1)!])] }, 'test mlp');
}

/**
 * x [N,3,6,6] -> Conv 3->8 3x3 + BN + Relu = r1 -> depthwise 3x3 + BN + Clip(0,6) -> Conv 1x1 8->8 + BN,
 * added to r1 (residual) -> Conv 1x1 8->4 + Relu -> Flatten (4 x 36) -> Gemm -> logits [N,5].
 * dead.trunk: channels of the residual stream read by nothing; dead.head: channels of the 4 read by nothing.
 */
export function cnn(dead: { trunk?: number[]; head?: number[] } = {}, seed = 2): ModelProto {
  const prng = new Prng(seed);
  const bn = (p: string, c: number) => [
    floatTensor(`${p}.s`, [c], w(prng, c, 0.3).map((v) => v + 1)), floatTensor(`${p}.b`, [c], w(prng, c, 0.2)),
    floatTensor(`${p}.m`, [c], w(prng, c, 0.2)), floatTensor(`${p}.v`, [c], w(prng, c, 0.3).map((v) => v + 0.6)),
  ];
  const bnNode = (x: string, p: string, y: string) => node('BatchNormalization', [x, `${p}.s`, `${p}.b`, `${p}.m`, `${p}.v`], [y], p, { epsilon: { float: 1e-5 } });
  const W2 = w(prng, 64, 0.5);
  const W3 = w(prng, 32, 0.5);
  const W4 = w(prng, 5 * 144, 0.2);
  for (const c of dead.trunk ?? []) { for (let o = 0; o < 8; o++) W2[o * 8 + c] = 0; for (let o = 0; o < 4; o++) W3[o * 8 + c] = 0; }
  for (const c of dead.head ?? []) for (let o = 0; o < 5; o++) W4.fill(0, o * 144 + c * 36, o * 144 + (c + 1) * 36);
  return model({
    name: 'cnn',
    node: [
      node('Conv', ['x', 'W1', 'B1'], ['c1'], 'conv1', { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }), bnNode('c1', 'bn1', 'n1'), node('Relu', ['n1'], ['r1'], 'relu1'),
      node('Conv', ['r1', 'Wd'], ['cd'], 'dw', { kernel_shape: [3, 3], pads: [1, 1, 1, 1], group: 8 }), bnNode('cd', 'bnd', 'nd'), node('Clip', ['nd', 'lo', 'hi'], ['rd'], 'clip'),
      node('Conv', ['rd', 'W2'], ['c2'], 'conv2', { kernel_shape: [1, 1] }), bnNode('c2', 'bn2', 'n2'), node('Add', ['n2', 'r1'], ['res'], 'residual'),
      node('Conv', ['res', 'W3', 'B3'], ['c3'], 'conv3', { kernel_shape: [1, 1] }), node('Relu', ['c3'], ['r3'], 'relu3'),
      node('Flatten', ['r3'], ['flat'], 'flatten', { axis: 1 }), node('Gemm', ['flat', 'W4', 'B4'], ['logits'], 'fc', { transB: 1 }),
    ],
    initializer: [
      floatTensor('W1', [8, 3, 3, 3], w(prng, 216, 0.5)), floatTensor('B1', [8], w(prng, 8, 0.1)), ...bn('bn1', 8),
      floatTensor('Wd', [8, 1, 3, 3], w(prng, 72, 0.5)), ...bn('bnd', 8), floatTensor('lo', [], new Float32Array([0])), floatTensor('hi', [], new Float32Array([6])),
      floatTensor('W2', [8, 8, 1, 1], W2), ...bn('bn2', 8),
      floatTensor('W3', [4, 8, 1, 1], W3), floatTensor('B3', [4], w(prng, 4, 0.1)),
      floatTensor('W4', [5, 144], W4), floatTensor('B4', [5], w(prng, 5, 0.1)),
    ],
    input: [valueInfo('x', DataType.FLOAT, ['N', 3, 6, 6])],
    output: [valueInfo('logits', DataType.FLOAT, ['N', 5])],
  }, 'test cnn');
}

/** Dims at batch 1 of every tensor of cnn(), written out by hand (what taps.ts would measure). */
export const CNN_DIMS = new Map<string, number[]>([
  ['x', [1, 3, 6, 6]],
  ...['c1', 'n1', 'r1', 'cd', 'nd', 'rd', 'c2', 'n2', 'res'].map((t): [string, number[]] => [t, [1, 8, 6, 6]]),
  ...['c3', 'r3'].map((t): [string, number[]] => [t, [1, 4, 6, 6]]),
  ['flat', [1, 144]], ['logits', [1, 5]],
]);

/** Seeded inputs in [0, 1). */
export function rows(n: number, per: number, seed = 3): Float32Array {
  const prng = new Prng(seed);
  return Float32Array.from({ length: n * per }, () => prng.next());
}
