/**
 * Dynamic INT8 (onnxruntime `quantize_dynamic(per_channel=True)` in standard ONNX ops): weights INT8
 * symmetric per output channel, activations UINT8 quantized at run time by DynamicQuantizeLinear.
 *
 *   MatMul(x, W) / Gemm(x, W, C) -> DynamicQuantizeLinear(x) -> MatMulInteger -> Cast -> Mul(x_s·w_s[n]) [-> Add C]
 *   Conv(x, W, B)                -> DynamicQuantizeLinear(x) -> ConvInteger   -> Cast -> Mul(x_s·w_s[m]) [-> Add B]
 *
 * ConvInteger in onnxruntime 1.30 accepts INT8 weights but only a per-tensor weight zero point (tried), so
 * weights are symmetric (zero point 0, omitted) and the per-channel scale is applied after the integer conv.
 *
 * Nodes inside `If`/`Loop`/`Scan` subgraphs are quantized by the same rule (dynamic quantization needs no
 * calibration, so a subgraph is no harder than the top-level graph): a weight is any float initializer
 * visible to the node, its own graph's or an outer one, and the int8 copy goes into the node's own graph.
 * Outer weights that nothing reads any more are dropped; ones still read elsewhere are kept.
 */
import { floatTensor, int8Tensor, int64Tensor, node } from '../../onnx/build.js';
import { DataType, type GraphProto, type ModelProto, type NodeProto, type TensorProto } from '../../onnx/types.js';
import { quantizeSymmetric, WEIGHT_BITS, weightQmax, type WeightBits } from './uniform-int8.js';
import { floats } from './graph.js';
import { allGraphs, graphScopes, readNames, topoSort, type GraphScope } from '../../onnx/scopes.js';

/** Which ops a dynamic pass rewrites. */
export type DynamicOps = 'matmul' | 'matmul+conv';

export interface DynamicReport {
  quantized: string[];
}

const attrI = (n: NodeProto, name: string, d: number) => { const a = n.attribute?.find((x) => x.name === name); return a ? (a.i ?? 0) : d; };
const attrF = (n: NodeProto, name: string, d: number) => { const a = n.attribute?.find((x) => x.name === name); return a ? (a.f ?? 0) : d; };

/** The nodes of one graph a dynamic pass could quantize, given the initializers visible in it. */
function candidatesIn({ graph, inits }: GraphScope, ops: DynamicOps): NodeProto[] {
  const fw = (name: string | undefined) => { const t = name ? inits.get(name) : undefined; return t?.data_type === DataType.FLOAT ? t : undefined; };
  return graph.node.filter((n) => {
    if (n.op_type === 'MatMul') return fw(n.input[1])?.dims.length === 2;
    if (n.op_type === 'Gemm') return fw(n.input[1])?.dims.length === 2 && attrI(n, 'transA', 0) === 0 && attrF(n, 'alpha', 1) === 1 && attrF(n, 'beta', 1) === 1;
    if (n.op_type === 'Conv') return ops === 'matmul+conv' && (fw(n.input[1])?.dims.length ?? 0) >= 3 && attrI(n, 'group', 1) >= 1;
    return false;
  });
}

/**
 * Node names a dynamic pass could quantize (MatMul/Gemm with a 2-D constant weight; Conv with a constant
 * weight), top-level graph first, then subgraphs.
 */
export function dynamicCandidates(m: ModelProto, ops: DynamicOps): string[] {
  return graphScopes(m.graph).flatMap((s) => candidatesIn(s, ops).map((n) => n.name));
}

/**
 * Keeps the initializers each graph still reads (`before` is its list before the pass) followed by the
 * ones the pass added to it, in every graph.
 */
function settleInitializers(root: GraphProto, before: Map<GraphProto, TensorProto[]>, added: Map<GraphProto, TensorProto[]>): void {
  for (const g of allGraphs(root)) {
    const read = readNames(g);
    g.initializer = [...(before.get(g) ?? g.initializer).filter((t) => read.has(t.name)), ...(added.get(g) ?? [])];
  }
}

/**
 * Returns the dynamically quantized model; nodes in `exclude` stay fp32. `weightBits` 7 keeps MatMul/Conv
 * weights in [-63, 63] (see quantizeSymmetric); 8 rebuilds recipes recorded before it was an option.
 */
export function toDynamicInt8(source: ModelProto, ops: DynamicOps, exclude: ReadonlySet<string> = new Set(), weightBits: WeightBits = WEIGHT_BITS): { model: ModelProto; report: DynamicReport } {
  const m = structuredClone(source);
  const scopes = graphScopes(m.graph);
  const before = new Map(scopes.map((s) => [s.graph, s.graph.initializer] as const));
  const addedTo = new Map<GraphProto, TensorProto[]>();
  const quantized: string[] = [];
  for (const s of scopes) {
    const targets = candidatesIn(s, ops).filter((n) => !exclude.has(n.name));
    quantized.push(...targets.map((n) => n.name));
    if (targets.length) addedTo.set(s.graph, quantizeGraph(s, new Set(targets), weightQmax(weightBits)));
  }
  settleInitializers(m.graph, before, addedTo);
  topoSort(m.graph);
  for (const g of allGraphs(m.graph)) g.value_info = [];
  m.doc_string = `${m.doc_string ?? ''} [dynamic int8 (${ops}), per-channel symmetric weights]`.trim();
  return { model: m, report: { quantized } };
}

/** Rewrites the target nodes of one graph in place; returns the initializers to add to it. */
function quantizeGraph({ graph: g, scope, inits }: GraphScope, targets: ReadonlySet<NodeProto>, qmax: number): TensorProto[] {
  const added: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  const quantizedInputs = new Map<string, string>();
  const quantizeInput = (x: string, at: string) => {
    let p = quantizedInputs.get(x);
    if (!p) {
      p = scope ? `${x}__dq__${scope}` : `${x}__dq`;
      quantizedInputs.set(x, p);
      nodes.push(node('DynamicQuantizeLinear', [x], [p, `${p}_scale`, `${p}_zero_point`], `${at}/DynamicQuantizeLinear`));
    }
    return p;
  };
  for (const n of g.node) {
    if (!targets.has(n)) {
      nodes.push(n);
      continue;
    }
    const w = inits.get(n.input[1]!)!;
    const out = n.output[0]!;
    const p = quantizeInput(n.input[0]!, n.name);
    const wq = `${n.name}/W_quantized`;
    const ws = `${n.name}/W_scale`;
    let bias: string | undefined = n.input[2] || undefined;
    if (n.op_type === 'Conv') {
      const M = w.dims[0]!;
      const { q, scale } = quantizeSymmetric(floats(w), M, floats(w).length / M, 'row', qmax);
      added.push(int8Tensor(wq, w.dims, q), floatTensor(ws, [1, M, ...w.dims.slice(2).map(() => 1)], scale));
      const conv = node('ConvInteger', [p, wq, `${p}_zero_point`], [`${out}__int32`], `${n.name}/ConvInteger`);
      if (n.attribute?.length) conv.attribute = structuredClone(n.attribute);
      nodes.push(conv);
      if (bias) {
        const b = inits.get(bias);
        if (b) {
          added.push(floatTensor(`${n.name}/B_reshaped`, [1, M, ...w.dims.slice(2).map(() => 1)], floats(b)));
          bias = `${n.name}/B_reshaped`;
        } else {
          added.push(int64Tensor(`${n.name}/bias_shape`, [w.dims.length], [1, M, ...w.dims.slice(2).map(() => 1)]));
          nodes.push(node('Reshape', [bias, `${n.name}/bias_shape`], [`${n.name}/bias_r`], `${n.name}/BiasReshape`));
          bias = `${n.name}/bias_r`;
        }
      }
    } else {
      let [K, N] = w.dims as [number, number];
      let values = floats(w);
      if (n.op_type === 'Gemm' && attrI(n, 'transB', 0)) {
        const t = new Float32Array(values.length);
        for (let r = 0; r < K; r++) for (let c = 0; c < N; c++) t[c * K + r] = values[r * N + c]!;
        values = t;
        [K, N] = [N, K];
      }
      const { q, scale } = quantizeSymmetric(values, K, N, 'column', qmax);
      added.push(int8Tensor(wq, [K, N], q), floatTensor(ws, [N], scale));
      nodes.push(node('MatMulInteger', [p, wq, `${p}_zero_point`], [`${out}__int32`], `${n.name}/MatMulInteger`));
    }
    nodes.push(
      node('Cast', [`${out}__int32`], [`${out}__float`], `${n.name}/Cast`, { to: DataType.FLOAT }),
      node('Mul', [`${p}_scale`, ws], [`${out}__scale`], `${n.name}/ScaleMul`),
      node('Mul', [`${out}__float`, `${out}__scale`], [bias ? `${out}__nobias` : out], `${n.name}/Dequantize`),
    );
    if (bias) nodes.push(node('Add', [`${out}__nobias`, bias], [out], `${n.name}/BiasAdd`));
  }
  g.node = nodes;
  return added;
}

/**
 * Weight-only INT8 for embedding tables: `Gather(table, ids)` with a 2-D float table becomes a Gather of an
 * INT8 table (per-row symmetric scale) and of the row scales, then Cast and Mul, so the fp32 table is never
 * materialised. Applies to every INT8 form (embeddings dominate a small transformer's bytes).
 */
export function quantizeEmbeddings(source: ModelProto, exclude: ReadonlySet<string> = new Set()): ModelProto {
  const m = structuredClone(source);
  const scopes = graphScopes(m.graph);
  const before = new Map(scopes.map((s) => [s.graph, s.graph.initializer] as const));
  const addedTo = new Map(scopes.map((s) => [s.graph, embeddingsIn(s, exclude)] as const));
  settleInitializers(m.graph, before, addedTo);
  topoSort(m.graph);
  return m;
}

/** Rewrites one graph's embedding lookups in place; returns the initializers to add to it. */
function embeddingsIn({ graph: g, inits }: GraphScope, exclude: ReadonlySet<string>): TensorProto[] {
  const added: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  for (const n of g.node) {
    const table = inits.get(n.input[0] ?? '');
    if (n.op_type !== 'Gather' || exclude.has(n.name) || attrI(n, 'axis', 0) !== 0 || table?.data_type !== DataType.FLOAT || table.dims.length !== 2 || table.dims[0]! < 16) {
      nodes.push(n);
      continue;
    }
    const [V, D] = table.dims as [number, number];
    const { q, scale } = quantizeSymmetric(floats(table), V, D, 'row');
    const out = n.output[0]!;
    added.push(int8Tensor(`${n.name}/table_int8`, [V, D], q), floatTensor(`${n.name}/table_scale`, [V, 1], scale));
    nodes.push(
      node('Gather', [`${n.name}/table_int8`, n.input[1]!], [`${out}__int8`], `${n.name}/GatherInt8`),
      node('Gather', [`${n.name}/table_scale`, n.input[1]!], [`${out}__scale`], `${n.name}/GatherScale`),
      node('Cast', [`${out}__int8`], [`${out}__float`], `${n.name}/Cast`, { to: DataType.FLOAT }),
      node('Mul', [`${out}__float`, `${out}__scale`], [out], `${n.name}/Dequantize`),
    );
  }
  g.node = nodes;
  return added;
}
