/**
 * Convolutions with gradients the WASM backend can compute. TensorFlow.js's WASM backend runs conv2d and
 * depthwise conv forward in XNNPACK but has no Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropInput or
 * ...BackpropFilter kernel, so these wrappers give their own gradients from ops it does have: the filter
 * gradient tap by tap (a strided slice of the padded input against the output gradient: a matmul for a
 * full conv, a multiply-and-sum for a depthwise one), the depthwise input gradient as a depthwise conv of
 * the zero-dilated output gradient with the flipped filter. Layout NHWC, pads explicit [top, left, bottom, right].
 */
import type { Tf } from './tf.js';
import type * as TfTypes from '@tensorflow/tfjs';

type Save = TfTypes.GradSaveFunc;

type T4 = TfTypes.Tensor4D;

/** Geometry of one 2-D convolution. */
export interface ConvGeometry {
  strides: [number, number];
  /** ONNX order: [top, left, bottom, right]. */
  pads: [number, number, number, number];
}

const explicit = (p: ConvGeometry['pads']): [[number, number], [number, number], [number, number], [number, number]] => [[0, 0], [p[0], p[2]], [p[1], p[3]], [0, 0]];

/** The input window each output position reads for filter tap (i, j): [N, Ho, Wo, C]. */
function tap(tf: Tf, xp: T4, i: number, j: number, ho: number, wo: number, s: [number, number]): T4 {
  const [n, , , c] = xp.shape;
  return tf.stridedSlice(xp, [0, i, j, 0], [n, i + (ho - 1) * s[0] + 1, j + (wo - 1) * s[1] + 1, c], [1, s[0], s[1], 1]) as T4;
}

/** conv2d (group 1): x [N,H,W,Cin], f [kh,kw,Cin,Cout]. */
export function conv2d(tf: Tf, x: T4, f: T4, g: ConvGeometry): T4 {
  const op = tf.customGrad((xa, fa, save) => {
    const [xi, fi] = [xa as T4, fa as T4];
    (save as unknown as Save)([xi, fi]);
    const y = tf.conv2d(xi, fi, g.strides, explicit(g.pads));
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [xs, fs] = saved as [T4, T4];
        const d = dy as T4;
        const dx = tf.conv2dTranspose(d, fs, xs.shape, g.strides, explicit(g.pads));
        const [kh, kw, cin, cout] = fs.shape;
        const [, ho, wo] = d.shape;
        const xp = tf.pad(xs, explicit(g.pads));
        const dy2 = d.reshape([-1, cout]);
        const taps: TfTypes.Tensor[] = [];
        for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push(tf.matMul(tap(tf, xp, i, j, ho, wo, g.strides).reshape([-1, cin]), dy2, true, false));
        return [dx, tf.stack(taps).reshape([kh, kw, cin, cout])];
      },
    };
  });
  return op(x, f) as T4;
}

/** Depthwise conv (multiplier 1): x [N,H,W,C], f [kh,kw,C,1]. */
export function depthwise(tf: Tf, x: T4, f: T4, g: ConvGeometry): T4 {
  const op = tf.customGrad((xa, fa, save) => {
    const [xi, fi] = [xa as T4, fa as T4];
    (save as unknown as Save)([xi, fi]);
    const y = tf.depthwiseConv2d(xi, fi, g.strides, explicit(g.pads));
    return {
      value: y,
      gradFunc: (dy, saved) => {
        const [xs, fs] = saved as [T4, T4];
        const d = dy as T4;
        const [kh, kw, c] = fs.shape;
        const [n, ho, wo] = d.shape;
        const [, h, w] = xs.shape;
        const [sh, sw] = g.strides;
        // Zero-dilate dy by the stride, then pad so a stride-1 valid conv with the flipped filter gives [N,H,W,C].
        const dil = sh === 1 && sw === 1 ? d : tf.pad(d.reshape([n, ho, 1, wo, 1, c]), [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]]).reshape([n, ho * sh, wo * sw, c]).slice([0, 0, 0, 0], [n, (ho - 1) * sh + 1, (wo - 1) * sw + 1, c]);
        const top = kh - 1 - g.pads[0];
        const left = kw - 1 - g.pads[1];
        const bottom = h - 1 - (ho - 1) * sh + g.pads[0];
        const right = w - 1 - (wo - 1) * sw + g.pads[1];
        const padded = tf.pad(dil, [[0, 0], [Math.max(0, top), bottom], [Math.max(0, left), right], [0, 0]]);
        const cropped = top < 0 || left < 0 ? padded.slice([0, -Math.min(0, top), -Math.min(0, left), 0]) : padded;
        const dx = tf.depthwiseConv2d(cropped as T4, tf.reverse(fs, [0, 1]) as T4, 1, 'valid');
        const xp = tf.pad(xs, explicit(g.pads));
        const taps: TfTypes.Tensor[] = [];
        for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) taps.push(tf.sum(tf.mul(tap(tf, xp, i, j, ho, wo, g.strides), d), [0, 1, 2]));
        return [dx, tf.stack(taps).reshape([kh, kw, c, 1])];
      },
    };
  });
  return op(x, f) as T4;
}
