/**
 * A pruning-ready view of an ONNX model: Constant nodes holding tensors lifted into initializers (exporters
 * such as paddle2onnx keep every weight in a Constant node, which the surgery could not slice), indexes of
 * who produces and who reads each tensor, and the one check that refuses what the passes do not understand:
 * an op outside SUPPORTED_OPS, a subgraph, or external or sparse weights stops with one line naming it.
 */
import { floatTensor, tensorData } from '../onnx/build.js';
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../onnx/types.js';

/** Ops the channel analysis, the surgery and the trainer know; anything else is refused up front. */
export const SUPPORTED_OPS: ReadonlySet<string> = new Set([
  'Conv', 'BatchNormalization', 'MatMul', 'Gemm', 'Add', 'Sub', 'Mul', 'Div',
  'Relu', 'Clip', 'HardSigmoid', 'HardSwish', 'Sigmoid', 'LeakyRelu', 'Identity', 'Dropout',
  'MaxPool', 'AveragePool', 'GlobalAveragePool', 'Flatten', 'Reshape', 'Softmax',
  // Shape arithmetic feeding a Reshape (paddle2onnx computes [batch, -1] this way): no channels flow through it.
  'Constant', 'Shape', 'Cast', 'Slice', 'Concat', 'Gather', 'Unsqueeze', 'Squeeze',
]);

/** A model the tools cannot prune, with the one line that says why. */
export class UnsupportedModel extends Error {
  override readonly name = 'UnsupportedModel';
}

/** Producer and readers of every tensor, and initializers by name. */
export interface GraphIndex {
  model: ModelProto;
  producer: Map<string, NodeProto>;
  readers: Map<string, NodeProto[]>;
  inits: Map<string, TensorProto>;
  inputs: Set<string>;
  outputs: Set<string>;
}

/** Integer attribute (or list) of a node, with a default. */
export function attr(n: NodeProto, name: string, dflt: number): number;
export function attr(n: NodeProto, name: string, dflt: number[]): number[];
export function attr(n: NodeProto, name: string, dflt: number | number[]): number | number[] {
  const a = n.attribute?.find((x) => x.name === name);
  if (!a) return dflt;
  if (Array.isArray(dflt)) return a.ints ?? dflt;
  // protobuf leaves a 0 out of the encoding: an attribute that is present with no value is 0.
  return a.i ?? a.f ?? 0;
}

/** Float attribute of a node, with a default. */
export function fattr(n: NodeProto, name: string, dflt: number): number {
  const a = n.attribute?.find((x) => x.name === name);
  return a ? a.f ?? a.i ?? 0 : dflt;
}

/** The data of a float initializer (FP32 only: the tools prune fp32 models; variants are made from them). */
export function floats(t: TensorProto): Float32Array {
  if (t.data_type !== DataType.FLOAT) throw new UnsupportedModel(`initializer '${t.name}' is of type ${t.data_type}, not FP32: prune the fp32 model and compress afterwards`);
  return tensorData(t) as Float32Array;
}

/** Refuses models the passes do not understand; the message names the first op or input in the way. */
export function checkSupported(m: ModelProto): void {
  if (m.graph.sparse_initializer?.length) throw new UnsupportedModel('the model has sparse initializers, which the pruner does not read');
  for (const t of m.graph.initializer) if (t.external_data?.length) throw new UnsupportedModel(`initializer '${t.name}' keeps its data in an external file; save the model with weights inside`);
  for (const n of m.graph.node) {
    if ((n.domain ?? '') !== '' && n.domain !== 'ai.onnx') throw new UnsupportedModel(`op '${n.domain}.${n.op_type}' (node '${n.name}') is not supported by the pruner`);
    if (n.attribute?.some((a) => a.g || a.graphs?.length)) throw new UnsupportedModel(`op '${n.op_type}' (node '${n.name}') has a subgraph; the pruner handles flat graphs only`);
    if (!SUPPORTED_OPS.has(n.op_type)) throw new UnsupportedModel(`op '${n.op_type}' (node '${n.name || n.output[0]}') is not supported by the pruner (supported: ${[...SUPPORTED_OPS].join(', ')})`);
  }
  for (const i of m.graph.input) {
    const type = i.type?.tensor_type?.elem_type;
    if (!m.graph.initializer.some((t) => t.name === i.name) && type !== DataType.FLOAT) throw new UnsupportedModel(`input '${i.name}' is of type ${type}; the pruner feeds FP32 inputs only`);
  }
}

/** A copy of the model with every tensor-valued Constant node turned into an initializer of the same name. */
export function liftConstants(m: ModelProto): ModelProto {
  const lifted: TensorProto[] = [];
  const node = m.graph.node.filter((n) => {
    const value = n.op_type === 'Constant' ? n.attribute?.find((a) => a.name === 'value')?.t : undefined;
    if (!value) return true;
    lifted.push({ ...value, name: n.output[0]! });
    return false;
  });
  return { ...m, graph: { ...m.graph, node, initializer: [...m.graph.initializer, ...lifted] } };
}

/** Indexes a model (after liftConstants). */
export function indexGraph(model: ModelProto): GraphIndex {
  const producer = new Map<string, NodeProto>();
  const readers = new Map<string, NodeProto[]>();
  for (const n of model.graph.node) {
    for (const o of n.output) producer.set(o, n);
    for (const i of n.input) if (i) readers.set(i, [...(readers.get(i) ?? []), n]);
  }
  const inits = new Map(model.graph.initializer.map((t) => [t.name, t]));
  const inputs = new Set(model.graph.input.map((i) => i.name).filter((n) => !inits.has(n)));
  return { model, producer, readers, inits, inputs, outputs: new Set(model.graph.output.map((o) => o.name)) };
}

/** A float initializer replaced by new data and dims (same name). */
export function replaceFloat(t: TensorProto, dims: number[], data: Float32Array): TensorProto {
  return floatTensor(t.name, dims, data);
}

/** Drops nodes whose outputs nobody reads (and that are not graph outputs), then unread initializers. */
export function dropDead(m: ModelProto): ModelProto {
  let nodes = m.graph.node;
  const outputs = new Set(m.graph.output.map((o) => o.name));
  for (;;) {
    const read = new Set(nodes.flatMap((n) => n.input));
    const kept = nodes.filter((n) => n.output.some((o) => read.has(o) || outputs.has(o)));
    if (kept.length === nodes.length) break;
    nodes = kept;
  }
  const read = new Set(nodes.flatMap((n) => n.input));
  const initializer = m.graph.initializer.filter((t) => read.has(t.name) || outputs.has(t.name));
  return { ...m, graph: { ...m.graph, node: nodes, initializer } };
}
