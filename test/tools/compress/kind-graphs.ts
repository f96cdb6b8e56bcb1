/**
 * Small seeded graphs whose outputs are of each kind the fidelity measure tells apart: a scalar score per
 * sample, a log-mel-like feature map (regression, not class scores), and a recurrent cell whose state output
 * is fed back into its state input; and a layer whose weights sit on int8's grid, which int8w keeps exactly
 * and fp16 does not.
 */
import { floatTensor, model, node, valueInfo } from '../../../tools/onnx/build.js';
import { DataType, type ModelProto } from '../../../tools/onnx/types.js';
import { Prng } from '../../../tools/lib/prng.js';

const w = (prng: Prng, n: number, limit: number) => prng.fillUniform(new Float32Array(n), limit);

/** x [N,8] -> MatMul 8x6 -> Relu -> MatMul 6x1 -> Sigmoid: p [N,1], one probability per sample. */
export function scalarNet(): ModelProto {
  const prng = new Prng(11);
  return model({
    name: 'scalar',
    node: [node('MatMul', ['x', 'W1'], ['h'], 'fc1'), node('Relu', ['h'], ['r'], 'relu'), node('MatMul', ['r', 'W2'], ['z'], 'fc2'), node('Sigmoid', ['z'], ['p'], 'sigmoid')],
    initializer: [floatTensor('W1', [8, 6], w(prng, 48, 1)), floatTensor('W2', [6, 1], w(prng, 6, 1))],
    input: [valueInfo('x', DataType.FLOAT, ['N', 8])],
    output: [valueInfo('p', DataType.FLOAT, ['N', 1])],
  }, 'test scalar net');
}

/** frames [N,16,32] -> MatMul 32x40 -> Abs -> Add 1e-3 -> Log: a log-mel-like map [N,16,40] named `out`. */
export function melNet(outName = 'log_mel'): ModelProto {
  const prng = new Prng(13);
  return model({
    name: 'mel',
    node: [node('MatMul', ['frames', 'Wmel'], ['m'], 'mel'), node('Abs', ['m'], ['a'], 'abs'), node('Add', ['a', 'eps'], ['e'], 'eps'), node('Log', ['e'], [outName], 'log')],
    initializer: [floatTensor('Wmel', [32, 40], w(prng, 1280, 1)), floatTensor('eps', [1], new Float32Array([1e-3]))],
    input: [valueInfo('frames', DataType.FLOAT, ['N', 16, 32])],
    output: [valueInfo(outName, DataType.FLOAT, ['N', 16, 40])],
  }, 'test mel net');
}

/** x [N,8], state [N,16] -> h = Tanh(x Wx + state Wh) -> y = h Wy [N,4]; stateN = h: a recurrent cell. */
export function stateNet(): ModelProto {
  const prng = new Prng(17);
  return model({
    name: 'state',
    node: [
      node('MatMul', ['x', 'Wx'], ['a'], 'in'),
      node('MatMul', ['state', 'Wh'], ['b'], 'rec'),
      node('Add', ['a', 'b'], ['s'], 'sum'),
      node('Tanh', ['s'], ['stateN'], 'tanh'),
      node('MatMul', ['stateN', 'Wy'], ['y'], 'out'),
    ],
    initializer: [floatTensor('Wx', [8, 16], w(prng, 128, 0.8)), floatTensor('Wh', [16, 16], w(prng, 256, 0.5)), floatTensor('Wy', [16, 4], w(prng, 64, 0.8))],
    input: [valueInfo('x', DataType.FLOAT, ['N', 8]), valueInfo('state', DataType.FLOAT, ['N', 16])],
    output: [valueInfo('y', DataType.FLOAT, ['N', 4]), valueInfo('stateN', DataType.FLOAT, ['N', 16])],
  }, 'test state net');
}

/**
 * x [N,16] -> MatMul W -> y [N,16], each weight k/127 (k an integer, |k| = 127 on the diagonal, so every
 * row and column scales by exactly 1/127): int8w's per-channel int8 holds W exactly (>140 dB), fp16's 11-bit
 * mantissa does not (~75 dB), dynamic int8's quantized activations less so (~40 dB).
 */
export function int8GridNet(): ModelProto {
  const prng = new Prng(37);
  const W = Float32Array.from({ length: 256 }, (_, i) => (i % 17 === 0 ? 127 : prng.int(255) - 127) / 127);
  return model({
    name: 'grid',
    node: [node('MatMul', ['x', 'W'], ['y'], 'fc')],
    initializer: [floatTensor('W', [16, 16], W)],
    input: [valueInfo('x', DataType.FLOAT, ['N', 16])],
    output: [valueInfo('y', DataType.FLOAT, ['N', 16])],
  }, 'test weights on the int8 grid');
}
