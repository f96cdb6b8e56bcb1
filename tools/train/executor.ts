/**
 * An ONNX graph as a trainable TensorFlow.js function: every float initializer of more than one value is a
 * variable in its ONNX layout (so writing back is a copy), except BatchNorm's running mean and variance,
 * which stay fixed during training (fine-tuning on small batches; `recalibrate` re-estimates them after a
 * pruning changed what flows in). Rank-4 activations run NHWC, as TensorFlow.js's convolutions want; Flatten
 * and Reshape go back to NCHW order first, so a Gemm after them sees ONNX's row order. Ops: ops.ts.
 */
import { floatTensor, tensorData } from '../onnx/build.js';
import { DataType, type ModelProto } from '../onnx/types.js';
import { UnsupportedModel } from '../prune/graph.js';
import { runNode, type Env } from './ops.js';
import type { Tf } from './tf.js';
import type * as TfTypes from '@tensorflow/tfjs';

type Tensor = TfTypes.Tensor;
type BnStats = Map<string, { sum: Tensor; sq: Tensor; n: number }>;

/** A graph ready to run and train; `release` frees its tensors. */
export interface TrainableGraph {
  readonly tf: Tf;
  readonly variables: Map<string, TfTypes.Variable>;
  /**
   * Outputs of the graph's first output: `output` as the graph gives it, `logits` before a final Softmax.
   * `gates` multiply named activations channel-wise (a gate's gradient is Σ a·∂L/∂a: tools/prune/taylor.ts).
   */
  run(x: Tensor, stats?: BnStats, gates?: ReadonlyMap<string, Tensor>): { output: Tensor; logits: Tensor };
  /** Sets every BatchNorm's running mean and variance to those of `batches` (ONNX-layout inputs). */
  recalibrate(batches: Iterable<Tensor>): void;
  /** The model with the trained values written into its initializers. */
  write(): Promise<ModelProto>;
  release(): void;
}

/** Wraps a model (constants already lifted into initializers). */
export function trainable(tf: Tf, m: ModelProto): TrainableGraph {
  const fixedNames = new Set(m.graph.node.filter((n) => n.op_type === 'BatchNormalization').flatMap((n) => n.input.slice(3)));
  const variables = new Map<string, TfTypes.Variable>();
  const consts = new Map<string, Tensor>();
  const ints = new Map<string, number[]>();
  for (const t of m.graph.initializer) {
    if (t.data_type === DataType.FLOAT) {
      const values = tensorData(t) as Float32Array;
      const tensor = tf.tensor(values, t.dims.length ? t.dims : [], 'float32');
      if (values.length > 1 && !fixedNames.has(t.name)) variables.set(t.name, tf.variable(tensor, true));
      else consts.set(t.name, tensor);
    } else if (t.data_type === DataType.INT64) {
      ints.set(t.name, Array.from(tensorData(t) as BigInt64Array, Number));
    } else if (t.data_type === DataType.INT32) {
      ints.set(t.name, t.int32_data?.length ? t.int32_data : Array.from(new Int32Array(new Uint8Array(t.raw_data ?? []).buffer)));
    } else throw new UnsupportedModel(`initializer '${t.name}' has type ${t.data_type}; the trainer reads FP32 weights and integer shapes`);
  }
  const input = m.graph.input.find((i) => !variables.has(i.name) && !consts.has(i.name) && !ints.has(i.name))!;
  const outName = m.graph.output[0]!.name;
  const producer = new Map(m.graph.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
  const final = producer.get(outName);
  const logitsName = final?.op_type === 'Softmax' ? final.input[0]! : outName;

  const run = (x: Tensor, stats?: BnStats, gates?: ReadonlyMap<string, Tensor>) => {
    const env: Env = { tf, acts: new Map(), ints: new Map(ints), weight: (n) => variables.get(n) ?? consts.get(n), ...(stats ? { stats } : {}), ...(gates ? { gates } : {}) };
    env.acts.set(input.name, x.rank === 4 ? tf.transpose(x, [0, 2, 3, 1]) : x);
    for (const n of m.graph.node) runNode(env, n);
    return { output: env.acts.get(outName)!, logits: env.acts.get(logitsName)! };
  };

  return {
    tf,
    variables,
    run,
    recalibrate(batches) {
      const stats: BnStats = new Map();
      for (const b of batches) tf.tidy(() => { run(b, stats); for (const s of stats.values()) { tf.keep(s.sum); tf.keep(s.sq); } });
      for (const n of m.graph.node.filter((k) => k.op_type === 'BatchNormalization')) {
        const s = stats.get(n.input[0]!);
        if (!s) continue;
        const mean = tf.div(s.sum, s.n);
        const variance = tf.relu(tf.sub(tf.div(s.sq, s.n), tf.square(mean)));
        consts.get(n.input[3]!)?.dispose();
        consts.get(n.input[4]!)?.dispose();
        consts.set(n.input[3]!, mean);
        consts.set(n.input[4]!, variance);
        s.sum.dispose();
        s.sq.dispose();
      }
    },
    async write() {
      const initializer = await Promise.all(m.graph.initializer.map(async (t) => {
        const v = variables.get(t.name) ?? (fixedNames.has(t.name) ? consts.get(t.name) : undefined);
        return v ? floatTensor(t.name, t.dims, Float32Array.from(await v.data() as Float32Array)) : t;
      }));
      return { ...m, graph: { ...m.graph, initializer } };
    },
    release() {
      for (const v of variables.values()) v.dispose();
      for (const c of consts.values()) c.dispose();
    },
  };
}
