/**
 * Small seeded graphs whose users decide per sample: a detector with many background anchors, a few
 * confident ones and a few near 0.5; a window-wise log-mel front-end (optionally saturating, as an int8 front-end
 * calibrated on quiet windows does on a loud one); a wake-word scorer reading that front-end's features.
 */
import { floatTensor, int64Tensor, model, node, valueInfo } from '../../../tools/onnx/build.js';
import { DataType, type ModelProto } from '../../../tools/onnx/types.js';
import { Prng } from '../../../tools/lib/prng.js';

const w = (prng: Prng, n: number, limit: number) => prng.fillUniform(new Float32Array(n), limit);

/** Detector anchors: the first `FACES` are confident, the next `NEAR` sit near 0.5, the rest are background. */
export const DETECTOR = { anchors: 256, faces: 16, near: 4, features: 8 };

/**
 * x [N,8] -> MatMul -> Add bias -> Sigmoid -> scores [N,256,1]; x -> MatMul -> Add -> boxes [N,256,4] (corners
 * on a 16x16 grid, barely moved by x). `nearShift` moves the near anchors' logits away from where they were
 * (up for those below 0.5, down for those above): a variant that damages only them. `deadOutlier`: the near
 * anchors' weights are larger (±0.45) and each has a weight of 127 on input 0, which the data keeps at 0
 * (a dead channel): harmless in fp32, it sets their per-channel int8 scale to 1, so int8 weights round the
 * rest to 0 and the near anchors lose what x says about them.
 */
export function detectorNet(o: { nearShift?: number; deadOutlier?: boolean } = {}): ModelProto {
  const prng = new Prng(31);
  const { anchors: A, faces, near, features: F } = DETECTOR;
  const nearShift = o.nearShift ?? 0;
  const ws = w(prng, F * A, 0.05);
  if (o.deadOutlier) {
    for (let k = faces; k < faces + near; k++) for (let f = 0; f < F; f++) ws[f * A + k] = f === 0 ? 127 : ws[f * A + k]! * 9;
  }
  const bias = new Float32Array(A).map((_, k) => (k < faces ? 2.5 : k < faces + near ? [-0.2, -0.1, 0.1, 0.2][k - faces]! : -6));
  for (let k = faces; k < faces + near; k++) bias[k]! += bias[k]! < 0 ? nearShift : -nearShift;
  const boxBias = new Float32Array(A * 4).map((_, i) => {
    const k = Math.floor(i / 4);
    const [x, y] = [(k % 16) * 10, Math.floor(k / 16) * 10];
    return [x, y, x + 8, y + 8][i % 4]!;
  });
  return model({
    name: 'detector',
    node: [
      node('MatMul', ['x', 'Ws'], ['s1'], 'score_fc'),
      node('Add', ['s1', 'bs'], ['s2'], 'score_bias'),
      node('Sigmoid', ['s2'], ['s3'], 'sigmoid'),
      node('Reshape', ['s3', 'score_shape'], ['scores'], 'score_reshape'),
      node('MatMul', ['x', 'Wb'], ['b1'], 'box_fc'),
      node('Add', ['b1', 'bb'], ['b2'], 'box_bias'),
      node('Reshape', ['b2', 'box_shape'], ['boxes'], 'box_reshape'),
    ],
    initializer: [
      floatTensor('Ws', [F, A], ws), floatTensor('bs', [A], bias),
      floatTensor('Wb', [F, A * 4], w(prng, F * A * 4, 0.2)), floatTensor('bb', [A * 4], boxBias),
      int64Tensor('score_shape', [3], [-1, A, 1]), int64Tensor('box_shape', [3], [-1, A, 4]),
    ],
    input: [valueInfo('x', DataType.FLOAT, ['N', F])],
    output: [valueInfo('scores', DataType.FLOAT, ['N', A, 1]), valueInfo('boxes', DataType.FLOAT, ['N', A, 4])],
  }, 'test detector');
}

/**
 * frames [N,32] -> MatMul 32x40 -> Abs -> Add 1e-3 -> Log: log_mel [N,40], one window per sample. With
 * `activationStep`, the mel power passes a uint8 QuantizeLinear/DequantizeLinear of that step first, as in
 * a static int8 front-end calibrated on loud windows: a quiet window's bins fall on a few steps or to zero.
 */
export function frontEndNet(activationStep?: number): ModelProto {
  const prng = new Prng(13);
  const qdq = activationStep === undefined ? [] : [node('QuantizeLinear', ['a', 'step', 'zero'], ['q'], 'quantize'), node('DequantizeLinear', ['q', 'step', 'zero'], ['dq'], 'dequantize')];
  return model({
    name: 'front-end',
    node: [node('MatMul', ['frames', 'Wmel'], ['m'], 'mel'), node('Abs', ['m'], ['a'], 'abs'), ...qdq, node('Add', [qdq.length ? 'dq' : 'a', 'eps'], ['e'], 'eps'), node('Log', ['e'], ['log_mel'], 'log')],
    initializer: [
      floatTensor('Wmel', [32, 40], w(prng, 1280, 1)), floatTensor('eps', [1], Float32Array.of(1e-3)),
      ...(activationStep === undefined ? [] : [floatTensor('step', [], Float32Array.of(activationStep)), { name: 'zero', dims: [], data_type: DataType.UINT8, raw_data: new Uint8Array([0]) }]),
    ],
    input: [valueInfo('frames', DataType.FLOAT, ['N', 32])],
    output: [valueInfo('log_mel', DataType.FLOAT, ['N', 40])],
  }, 'test window-wise front-end');
}

/** features [N,40] -> mean over the bins -> Sigmoid(gain * (mean - centre)): score [N,1], a wake-word probability. */
export function wakeWordNet(centre: number, gain = 40): ModelProto {
  return model({
    name: 'wake-word',
    node: [
      node('ReduceMean', ['features'], ['m'], 'mean', { axes: [1], keepdims: 1 }),
      node('Sub', ['m', 'centre'], ['d'], 'centre'),
      node('Mul', ['d', 'gain'], ['z'], 'gain'),
      node('Sigmoid', ['z'], ['score'], 'sigmoid'),
    ],
    initializer: [floatTensor('centre', [], Float32Array.of(centre)), floatTensor('gain', [], Float32Array.of(gain))],
    input: [valueInfo('features', DataType.FLOAT, ['N', 40])],
    output: [valueInfo('score', DataType.FLOAT, ['N', 1])],
  }, 'test wake-word scorer');
}
