/**
 * A multilayer perceptron (ReLU hidden layers, softmax cross-entropy) trained with Adam on Float32Array
 * math. Weights are stored [in, out] row-major, the layout ONNX MatMul takes as its B input, so export is
 * a copy. Inner loops skip zero inputs: about 80% of MNIST pixels are 0, which makes training ~4x faster.
 */
import { Prng } from '../../lib/prng.js';

/** One dense layer: y = x W + b. */
export interface Dense {
  inputs: number;
  outputs: number;
  weight: Float32Array;
  bias: Float32Array;
}

/** Creates layers with He-uniform weights and zero biases. */
export function initMlp(sizes: number[], prng: Prng): Dense[] {
  const layers: Dense[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const inputs = sizes[l]!;
    const outputs = sizes[l + 1]!;
    const weight = prng.fillUniform(new Float32Array(inputs * outputs), Math.sqrt(6 / inputs));
    layers.push({ inputs, outputs, weight, bias: new Float32Array(outputs) });
  }
  return layers;
}

/** y = relu?(x W + b) for `rows` rows; skips zero inputs (most pixels, every inactive ReLU). */
export function denseForward(layer: Dense, x: Float32Array, rows: number, relu: boolean): Float32Array {
  const { inputs: K, outputs: N, weight: W, bias } = layer;
  const y = new Float32Array(rows * N);
  for (let i = 0; i < rows; i++) {
    const yo = i * N;
    y.set(bias, yo);
    for (let k = 0; k < K; k++) {
      const xv = x[i * K + k]!;
      if (xv === 0) continue;
      const wo = k * N;
      for (let j = 0; j < N; j++) y[yo + j]! += xv * W[wo + j]!;
    }
    if (relu) for (let j = 0; j < N; j++) if (y[yo + j]! < 0) y[yo + j] = 0;
  }
  return y;
}

/** Logits for `rows` inputs (row-major [rows, inputs]). */
export function forward(layers: Dense[], x: Float32Array, rows: number): Float32Array {
  let a = x;
  layers.forEach((layer, l) => (a = denseForward(layer, a, rows, l < layers.length - 1)));
  return a;
}

/** Adam optimiser state for every layer's weights and biases. */
export class Adam {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;

  constructor(private readonly params: Float32Array[], private readonly lr = 1e-3, private readonly b1 = 0.9, private readonly b2 = 0.999, private readonly eps = 1e-8) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
  }

  /** Applies one update from gradients aligned with the params given at construction. */
  step(grads: Float32Array[]): void {
    this.t++;
    const c1 = 1 - this.b1 ** this.t;
    const c2 = 1 - this.b2 ** this.t;
    this.params.forEach((p, n) => {
      const g = grads[n]!;
      const m = this.m[n]!;
      const v = this.v[n]!;
      for (let i = 0; i < p.length; i++) {
        m[i] = this.b1 * m[i]! + (1 - this.b1) * g[i]!;
        v[i] = this.b2 * v[i]! + (1 - this.b2) * g[i]! * g[i]!;
        p[i]! -= (this.lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + this.eps);
      }
    });
  }
}

/** The parameter list in the order `trainBatch` returns gradients: W0, b0, W1, b1, ... */
export function parameters(layers: Dense[]): Float32Array[] {
  return layers.flatMap((l) => [l.weight, l.bias]);
}

/** Forward + backward on one batch; returns gradients (mean over the batch) and the mean loss. */
export function trainBatch(layers: Dense[], x: Float32Array, labels: ArrayLike<number>, rows: number): { grads: Float32Array[]; loss: number } {
  const acts: Float32Array[] = [x];
  layers.forEach((layer, l) => acts.push(denseForward(layer, acts[l]!, rows, l < layers.length - 1)));
  const classes = layers[layers.length - 1]!.outputs;
  const logits = acts[acts.length - 1]!;
  let delta = new Float32Array(rows * classes);
  let loss = 0;
  for (let i = 0; i < rows; i++) {
    let max = -Infinity;
    for (let c = 0; c < classes; c++) max = Math.max(max, logits[i * classes + c]!);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += Math.exp(logits[i * classes + c]! - max);
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logits[i * classes + c]! - max) / sum;
      delta[i * classes + c] = (p - (c === labels[i] ? 1 : 0)) / rows;
    }
    loss -= logits[i * classes + labels[i]!]! - max - Math.log(sum);
  }
  return { grads: backward(layers, acts, delta, rows), loss: loss / rows };
}

/**
 * Backpropagation from `delta` (dLoss/dLogits, already divided by the batch) through the layers whose
 * activations `acts` the forward pass kept (acts[0] the input); returns gradients W0, b0, W1, b1, ...
 */
export function backward(layers: Dense[], acts: Float32Array[], delta: Float32Array, rows: number): Float32Array[] {
  const grads: Float32Array[] = new Array(layers.length * 2);
  for (let l = layers.length - 1; l >= 0; l--) {
    const { inputs: K, outputs: N, weight: W } = layers[l]!;
    const a = acts[l]!;
    const gW = new Float32Array(K * N);
    const gb = new Float32Array(N);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < N; j++) gb[j]! += delta[i * N + j]!;
      for (let k = 0; k < K; k++) {
        const av = a[i * K + k]!;
        if (av === 0) continue;
        for (let j = 0; j < N; j++) gW[k * N + j]! += av * delta[i * N + j]!;
      }
    }
    grads[2 * l] = gW;
    grads[2 * l + 1] = gb;
    if (l > 0) {
      const prev = new Float32Array(rows * K);
      for (let i = 0; i < rows; i++) {
        for (let k = 0; k < K; k++) {
          if (a[i * K + k]! <= 0) continue; // ReLU gate of the layer below
          let s = 0;
          for (let j = 0; j < N; j++) s += delta[i * N + j]! * W[k * N + j]!;
          prev[i * K + k] = s;
        }
      }
      delta = prev;
    }
  }
  return grads;
}

/** Index of the largest logit per row. */
export function argmaxRows(logits: Float32Array, classes: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < logits.length / classes; i++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[i * classes + c]! > logits[i * classes + best]!) best = c;
    out.push(best);
  }
  return out;
}
