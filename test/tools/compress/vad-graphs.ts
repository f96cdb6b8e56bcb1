/**
 * Small models shaped like the streaming audio exports the state pairing and input values are about: a
 * voice-activity detector in Silero VAD's form (audio `input` [1,N], `state` [2,1,8], an int64 sample rate
 * `sr` it checks; a probability `output` [1,1] and `stateN` [2,1,8]), and a DTLN-style denoiser whose LSTM
 * state has names that say nothing and whose mask has its input's shape.
 */
import { floatTensor, graph, ifNode, int64Tensor, model, node, valueInfo } from '../../../tools/onnx/build.js';
import { DataType, type ModelProto } from '../../../tools/onnx/types.js';
import { Prng } from '../../../tools/lib/prng.js';

const w = (prng: Prng, n: number, limit: number) => prng.fillUniform(new Float32Array(n), limit);

/** Samples per frame: the audio input's length must be a multiple (a [1,1] fed back as audio fails). */
export const FRAME = 16;
/** Hidden size of the VAD's state [2,1,HIDDEN]. */
export const HIDDEN = 8;

/**
 * A voice-activity detector that runs only at 8000 or 16000 Hz, like a dual-rate Silero VAD:
 * frames = Reshape(input, [-1,16]) -> MatMul 16x32 -> Relu -> mean over frames -> feats [1,32], scaled by a
 * row of a per-rate table picked by `sr` (Where(sr == 16000, 1, Where(sr == 8000, 0, 99)): any other rate
 * indexes out of the table and the Gather fails); h' = Tanh(feats Wx + h Wh + c), c' = (c + h') / 2 with
 * h, c = state[0], state[1]; stateN = [h', c'], output = Sigmoid(h' Wo).
 */
export function vadNet(): ModelProto {
  const prng = new Prng(23);
  const i64 = (name: string, v: number[], dims: number[] = []) => int64Tensor(name, dims, v);
  return model({
    name: 'vad',
    node: [
      node('Reshape', ['input', 'frame_shape'], ['frames'], 'frame'),
      node('MatMul', ['frames', 'W_in'], ['f1'], 'encoder'),
      node('Relu', ['f1'], ['f2'], 'relu'),
      node('ReduceMean', ['f2'], ['feats0'], 'pool', { axes: [0], keepdims: 1 }),
      node('Equal', ['sr', 'hz16k'], ['is16k'], 'is16k'),
      node('Equal', ['sr', 'hz8k'], ['is8k'], 'is8k'),
      node('Where', ['is8k', 'row0', 'row_bad'], ['row8k'], 'row8k'),
      node('Where', ['is16k', 'row1', 'row8k'], ['row'], 'row'),
      node('Gather', ['rate_gain', 'row'], ['gain'], 'rate_table'),
      node('Mul', ['feats0', 'gain'], ['feats'], 'apply_rate'),
      node('Gather', ['state', 'row0'], ['h'], 'h', { axis: 0 }),
      node('Gather', ['state', 'row1'], ['c'], 'c', { axis: 0 }),
      node('MatMul', ['feats', 'Wx'], ['a'], 'input_gate'),
      node('MatMul', ['h', 'Wh'], ['b'], 'recurrent_gate'),
      node('Add', ['a', 'b'], ['ab'], 'sum'),
      node('Add', ['ab', 'c'], ['abc'], 'sum_c'),
      node('Tanh', ['abc'], ['h_new'], 'tanh'),
      node('Add', ['c', 'h_new'], ['c_sum'], 'c_sum'),
      node('Mul', ['c_sum', 'half'], ['c_new'], 'c_new'),
      node('Unsqueeze', ['h_new', 'axis0'], ['h_out'], 'h_out'),
      node('Unsqueeze', ['c_new', 'axis0'], ['c_out'], 'c_out'),
      node('Concat', ['h_out', 'c_out'], ['stateN'], 'stack', { axis: 0 }),
      node('MatMul', ['h_new', 'Wo'], ['logit'], 'decoder'),
      node('Sigmoid', ['logit'], ['output'], 'probability'),
    ],
    initializer: [
      i64('frame_shape', [-1, FRAME], [2]), i64('hz16k', [16000]), i64('hz8k', [8000]), i64('row0', [0]), i64('row1', [1]), i64('row_bad', [99]), i64('axis0', [0], [1]),
      floatTensor('W_in', [FRAME, 32], w(prng, FRAME * 32, 0.5)), floatTensor('rate_gain', [2, 32], Float32Array.from(w(prng, 64, 0.5), (v) => 1 + v)),
      floatTensor('Wx', [32, HIDDEN], w(prng, 32 * HIDDEN, 0.6)), floatTensor('Wh', [HIDDEN, HIDDEN], w(prng, HIDDEN * HIDDEN, 0.5)),
      floatTensor('Wo', [HIDDEN, 1], w(prng, HIDDEN, 1)), floatTensor('half', [], Float32Array.of(0.5)),
    ],
    input: [valueInfo('input', DataType.FLOAT, [1, 'N']), valueInfo('state', DataType.FLOAT, [2, 1, HIDDEN]), valueInfo('sr', DataType.INT64, [])],
    output: [valueInfo('output', DataType.FLOAT, [1, 1]), valueInfo('stateN', DataType.FLOAT, [2, 1, HIDDEN])],
  }, 'dual-rate voice-activity detector');
}

/**
 * A DTLN-style denoiser as a Keras export names it: `input_2` [1,1,16] magnitudes and `input_3` [2,1,8]
 * the LSTM's (h, c); `activation_2` [1,1,16] the mask (its input's shape: no state) and
 * `tf_op_layer_stack_2` [2,1,8] the LSTM's final (h, c). `inIf`: the LSTM sits in both branches of an `If`.
 */
export function denoiserNet(inIf = false): ModelProto {
  const prng = new Prng(29);
  const lstm = (suffix: string) => [
    node('LSTM', ['input_2', 'W', 'R', '', '', 'h0', 'c0'], [`Y${suffix}`, `Yh${suffix}`, `Yc${suffix}`], `lstm${suffix}`, { hidden_size: 8 }),
    node('Concat', [`Yh${suffix}`, `Yc${suffix}`], [`hc${suffix}`], `stack${suffix}`, { axis: 0 }),
  ];
  const branch = (name: string) => graph(name, lstm(name), [valueInfo(`hc${name}`, DataType.FLOAT, [2, 1, 8]), valueInfo(`Yh${name}`, DataType.FLOAT, [1, 1, 8])]);
  const core = inIf
    ? [node('ReduceMean', ['input_2'], ['level'], 'level', { keepdims: 0 }), node('Greater', ['level', 'zero'], ['loud'], 'loud'), ifNode('loud', branch('a'), branch('b'), ['hc', 'Yh'], 'gate')]
    : [...lstm(''), node('Identity', ['hc'], ['hc_id'], 'keep')];
  return model({
    name: 'denoiser',
    node: [
      node('Gather', ['input_3', 'first'], ['h0'], 'h0', { axis: 0 }),
      node('Gather', ['input_3', 'second'], ['c0'], 'c0', { axis: 0 }),
      ...core,
      node('Identity', [inIf ? 'hc' : 'hc_id'], ['tf_op_layer_stack_2'], 'state_out'),
      node('Reshape', ['Yh', 'flat'], ['yh'], 'flatten'),
      node('MatMul', ['yh', 'Wm'], ['m'], 'mask'),
      node('Sigmoid', ['m'], ['ms'], 'sigmoid'),
      node('Reshape', ['ms', 'mask_shape'], ['activation_2'], 'mask_shape'),
    ],
    initializer: [
      floatTensor('W', [1, 32, 16], w(prng, 512, 0.3)), floatTensor('R', [1, 32, 8], w(prng, 256, 0.3)), floatTensor('Wm', [8, 16], w(prng, 128, 0.5)),
      int64Tensor('first', [1], [0]), int64Tensor('second', [1], [1]), int64Tensor('flat', [2], [1, 8]), int64Tensor('mask_shape', [3], [1, 1, 16]), floatTensor('zero', [], Float32Array.of(0)),
    ],
    input: [valueInfo('input_2', DataType.FLOAT, [1, 1, 16]), valueInfo('input_3', DataType.FLOAT, [2, 1, 8])],
    output: [valueInfo('activation_2', DataType.FLOAT, [1, 1, 16]), valueInfo('tf_op_layer_stack_2', DataType.FLOAT, [2, 1, 8])],
  }, inIf ? 'DTLN-style denoiser, LSTM inside If' : 'DTLN-style denoiser');
}
