/**
 * Graph helpers shared by the compression passes: element-type inference without a full shape inference
 * (enough to know which tensors are float), Constant nodes lifted into initializers (paddle2onnx exports keep
 * every weight in a Constant node), BatchNormalization folded into the Conv before it, and name lookups.
 * Every helper here walks `If`/`Loop`/`Scan` subgraphs too (tools/onnx/scopes.ts): types and names inside
 * them, Constants lifted into the subgraph's own initializers, and initializers a subgraph reads implicitly
 * counted as used. BatchNorm folding stays in the top-level graph (the int8 passes leave subgraphs fp32).
 */
import { floatTensor, tensorData } from '../../onnx/build.js';
import { allGraphs, labelledSubgraphs, nodeReads, readNames, subgraphs } from '../../onnx/scopes.js';
import { DataType, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../../onnx/types.js';

const BOOL = 9;
const BOOL_OPS = new Set(['Equal', 'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'Not', 'And', 'Or', 'Xor', 'IsNaN', 'IsInf']);
const INT64_OPS = new Set(['Shape', 'Size', 'NonZero', 'ArgMax', 'ArgMin', 'NonMaxSuppression']);

/**
 * The ONNX element type of every named tensor we can tell (inputs, initializers, node outputs), in the
 * graph and in its subgraphs (names are unique across scopes, so one map serves them all).
 */
export function elemTypes(g: GraphProto, types = new Map<string, number>()): Map<string, number> {
  for (const i of g.input) {
    const t = i.type?.tensor_type?.elem_type;
    if (t) types.set(i.name, t);
  }
  for (const t of g.initializer) types.set(t.name, t.data_type);
  for (const n of g.node) {
    const attr = (name: string) => n.attribute?.find((a) => a.name === name);
    const first = types.get(n.input[0] ?? '');
    let out: (number | undefined)[];
    if (subgraphs(n).length) out = controlFlowTypes(n, types);
    else if (n.op_type === 'Cast') out = [attr('to')?.i];
    else if (n.op_type === 'Constant') out = [attr('value')?.t?.data_type ?? (attr('value_float') || attr('value_floats') ? DataType.FLOAT : DataType.INT64)];
    else if (n.op_type === 'ConstantOfShape') out = [attr('value')?.t?.data_type ?? DataType.FLOAT];
    else if (INT64_OPS.has(n.op_type)) out = [DataType.INT64];
    else if (BOOL_OPS.has(n.op_type)) out = [BOOL];
    else if (n.op_type === 'DynamicQuantizeLinear') out = [DataType.UINT8, DataType.FLOAT, DataType.UINT8];
    else if (n.op_type === 'QuantizeLinear') out = [types.get(n.input[2] ?? '') ?? DataType.UINT8];
    else if (n.op_type === 'DequantizeLinear') out = [DataType.FLOAT];
    else if (n.op_type === 'MatMulInteger' || n.op_type === 'ConvInteger') out = [DataType.INT32];
    else if (n.op_type === 'Where') out = [types.get(n.input[1] ?? '')];
    else if (n.op_type === 'TopK') out = [first, DataType.INT64];
    else out = n.output.map(() => first);
    n.output.forEach((o, i) => {
      const t = out[i] ?? out[0];
      if (o && t !== undefined) types.set(o, t);
    });
  }
  return types;
}

/**
 * Types inside a control-flow node's subgraphs (body inputs from the node's inputs when the body does not
 * declare them), and the node's output types from the subgraph outputs: If from its branch, Loop from body
 * outputs after the condition, Scan from all body outputs.
 */
function controlFlowTypes(n: NodeProto, types: Map<string, number>): (number | undefined)[] {
  const body = subgraphs(n)[0]!;
  for (const s of subgraphs(n)) {
    s.input.forEach((v, k) => {
      if (v.type?.tensor_type?.elem_type) return;
      const t = n.op_type === 'Loop' ? (k === 0 ? DataType.INT64 : k === 1 ? BOOL : types.get(n.input[k] ?? '')) : types.get(n.input[k] ?? '');
      if (t !== undefined) types.set(v.name, t);
    });
    elemTypes(s, types);
  }
  const outs = n.op_type === 'Loop' ? body.output.slice(1) : body.output;
  return n.output.map((_, i) => (outs[i] ? (types.get(outs[i]!.name) ?? outs[i]!.type?.tensor_type?.elem_type) : undefined));
}

/** Map from tensor name to the nodes reading it (a control-flow node reads what its subgraphs read). */
export function consumers(g: GraphProto): Map<string, NodeProto[]> {
  const map = new Map<string, NodeProto[]>();
  for (const n of g.node) for (const i of nodeReads(n)) map.set(i, [...(map.get(i) ?? []), n]);
  return map;
}

/**
 * Gives every unnamed node a unique name (`<op>_<index>`; inside a subgraph prefixed by its scope,
 * `<node>.<attribute>/<op>_<index>`) so `--exclude` and reports can refer to it.
 */
export function nameNodes(g: GraphProto, seen = new Set<string>(), prefix = ''): void {
  g.node.forEach((n, i) => {
    if (!n.name || seen.has(n.name)) n.name = `${prefix}${n.op_type}_${i}`;
    seen.add(n.name);
  });
  for (const n of g.node) for (const { graph, scope } of labelledSubgraphs(n)) nameNodes(graph, seen, `${scope}/`);
}

/** Lifts `Constant(value=tensor)` nodes into initializers of their own graph (subgraphs too), in place. */
export function liftConstants(g: GraphProto): number {
  let lifted = 0;
  const kept: NodeProto[] = [];
  for (const n of g.node) {
    const t = n.op_type === 'Constant' && (n.domain ?? '') === '' ? n.attribute?.find((a) => a.name === 'value')?.t : undefined;
    if (t) {
      g.initializer.push({ ...t, name: n.output[0]! });
      lifted++;
    } else kept.push(n);
  }
  g.node = kept;
  for (const n of g.node) for (const s of subgraphs(n)) lifted += liftConstants(s);
  return lifted;
}

/** Reads a float initializer's values. */
export function floats(t: TensorProto): Float32Array {
  if (t.data_type !== DataType.FLOAT) throw new Error(`${t.name} is not float`);
  return tensorData(t) as Float32Array;
}

/**
 * Folds `BatchNormalization(Conv(x, W, b))` into one Conv (W' = W·γ/σ, b' = (b−μ)·γ/σ + β) when the Conv's
 * output feeds only that BatchNormalization and all parameters are initializers. onnxruntime does the same
 * at load time for fp32; quantization must see the folded weights or the int8 weights are the wrong ones.
 */
export function foldBatchNorm(g: GraphProto): number {
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const readers = consumers(g);
  const producer = new Map(g.node.flatMap((n) => n.output.map((o) => [o, n] as const)));
  const graphOutputs = new Set(g.output.map((o) => o.name));
  const removed = new Set<NodeProto>();
  let folded = 0;
  for (const bn of g.node) {
    if (bn.op_type !== 'BatchNormalization' || bn.output.length !== 1) continue;
    const conv = producer.get(bn.input[0]!);
    if (!conv || conv.op_type !== 'Conv' || readers.get(conv.output[0]!)?.length !== 1 || graphOutputs.has(conv.output[0]!)) continue;
    const [scale, bias, mean, variance] = bn.input.slice(1).map((n) => inits.get(n));
    const w = inits.get(conv.input[1]!);
    if (!scale || !bias || !mean || !variance || !w || w.data_type !== DataType.FLOAT) continue;
    const epsAttr = bn.attribute?.find((a) => a.name === 'epsilon');
    const eps = epsAttr ? (epsAttr.f ?? 0) : 1e-5;
    const [s, b, m, v] = [scale, bias, mean, variance].map(floats) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const M = w.dims[0]!;
    const per = floats(w).length / M;
    const wv = floats(w).slice();
    const oldBias = conv.input[2] ? inits.get(conv.input[2]) : undefined;
    const cb = oldBias ? floats(oldBias) : new Float32Array(M);
    const nb = new Float32Array(M);
    for (let c = 0; c < M; c++) {
      const k = s[c]! / Math.sqrt(v[c]! + eps);
      for (let j = 0; j < per; j++) wv[c * per + j]! *= k;
      nb[c] = (cb[c]! - m[c]!) * k + b[c]!;
    }
    const wName = `${conv.name}/W_bnfolded`;
    const bName = `${conv.name}/B_bnfolded`;
    g.initializer.push(floatTensor(wName, w.dims, wv), floatTensor(bName, [M], nb));
    conv.input = [conv.input[0]!, wName, bName];
    conv.output = [bn.output[0]!];
    removed.add(bn);
    folded++;
  }
  g.node = g.node.filter((n) => !removed.has(n));
  dropUnusedInitializers(g);
  return folded;
}

/**
 * Removes initializers no node reads (subgraphs' implicit reads included) and no graph output names, in the
 * graph and in every subgraph.
 */
export function dropUnusedInitializers(g: GraphProto): void {
  const used = readNames(g);
  g.initializer = g.initializer.filter((t) => used.has(t.name));
  for (const n of g.node) for (const s of subgraphs(n)) dropUnusedInitializers(s);
}

/** A deep copy of a model with Constants lifted, nodes named and BatchNorms folded: the passes' input form. */
export function normalize(source: ModelProto): { model: ModelProto; lifted: number; folded: number } {
  const m = structuredClone(source);
  nameNodes(m.graph);
  const lifted = liftConstants(m.graph);
  const folded = foldBatchNorm(m.graph);
  for (const g of allGraphs(m.graph)) g.value_info = [];
  return { model: m, lifted, folded };
}
