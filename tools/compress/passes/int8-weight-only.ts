/**
 * Weight-only INT8 (the `int8w` variant): a storage format, not an integer compute path. Every large float
 * weight of a Conv, ConvTranspose, MatMul, Gemm or embedding Gather is stored as INT8 with one symmetric
 * scale per output channel (per row of an embedding table), and rebuilt by a `DequantizeLinear` node whose
 * output keeps the weight's original name, so no consumer changes:
 *
 *   W (fp32 initializer)  ->  W__int8 (int8) + W__scale (fp32 [C])  ->  DequantizeLinear(axis) -> W
 *
 * Both inputs of that DequantizeLinear are constant, so onnxruntime's constant folding replaces it by an fp32
 * initializer when the session is created, and every run is plain fp32 compute: the file is about a quarter
 * of fp32 to store and download, while ConvInteger (slow in WASM) is never used. onnxruntime only folds a
 * DequantizeLinear when its QDQ handling is off (`session.disable_quant_qdq = 1`; ConstantFolding is built
 * with `skip_dequantize_linear = !disable_quant_qdq` in graph_transformer_utils.cc), so the manifest marks
 * the variant with `load.fold_dequantize` and the engine sets that option for it alone. Without the option
 * the model is still correct, only each run dequantizes again.
 *
 * Biases, norms and tensors under `minElements` stay fp32 (their bytes are negligible, and a per-channel scale
 * on a tiny tensor would cost more than it saves). Only the top-level graph's consumers are looked at; a
 * subgraph (If/Loop body) that reads a top-level weight sees the dequantized tensor under the same name.
 */
import { floatTensor, int8Tensor, node } from '../../onnx/build.js';
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../../onnx/types.js';
import { floats } from './graph.js';

/** Float weights smaller than this (elements) stay fp32 by default. */
export const INT8W_MIN_ELEMENTS = 256;

export interface WeightOnlyReport {
  /** Initializers stored as int8, with the axis their scales run along. */
  quantized: { name: string; axis: number; elements: number }[];
  /** Float bytes before, and bytes of int8 values plus scales after, of the quantized weights. */
  floatBytes: number;
  storedBytes: number;
}

const attrI = (n: NodeProto, name: string, d: number) => { const a = n.attribute?.find((x) => x.name === name); return a ? (a.i ?? 0) : d; };

/**
 * Which input of `n` is a weight, and the axis of its output channels (one scale per slice along it):
 * Conv [M, C/g, k...] axis 0; ConvTranspose [C, M/g, k...] axis 1; MatMul [..., K, N] the last axis;
 * Gemm B axis 1, or 0 with transB; Gather's table axis 0 (one scale per row).
 */
function weightOf(n: NodeProto, rank: (name: string) => number): { input: number; axis: number } | undefined {
  if ((n.domain ?? '') !== '' && n.domain !== 'ai.onnx') return undefined;
  switch (n.op_type) {
    case 'Conv': return { input: 1, axis: 0 };
    case 'ConvTranspose': return { input: 1, axis: 1 };
    case 'MatMul': return rank(n.input[1] ?? '') >= 2 ? { input: 1, axis: rank(n.input[1]!) - 1 } : undefined;
    case 'Gemm': return { input: 1, axis: attrI(n, 'transB', 0) ? 0 : 1 };
    case 'Gather': return attrI(n, 'axis', 0) === 0 ? { input: 0, axis: 0 } : undefined;
    default: return undefined;
  }
}

/** Symmetric int8 of a tensor with one scale per slice along `axis` (zero point 0, range ±127). */
export function quantizePerAxis(w: Float32Array, dims: number[], axis: number): { q: Int8Array; scale: Float32Array } {
  const channels = dims[axis]!;
  const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const channelOf = (i: number) => Math.floor(i / inner) % channels;
  const scale = new Float32Array(channels);
  for (let i = 0; i < w.length; i++) scale[channelOf(i)] = Math.max(scale[channelOf(i)]!, Math.abs(w[i]!));
  // An all-zero channel keeps scale 1 (DequantizeLinear of 0 is 0 whatever the scale).
  for (let c = 0; c < channels; c++) scale[c] = scale[c]! > 0 ? scale[c]! / 127 : 1;
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(w[i]! / scale[channelOf(i)]!)));
  return { q, scale };
}

/** The default-domain opset a model imports. */
function opsetOf(m: ModelProto): number {
  return m.opset_import.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version ?? 0;
}

/**
 * Returns a copy of `source` with its large Conv/MatMul/Gemm/Gather weights stored int8 behind
 * DequantizeLinear nodes; nodes named in `exclude` keep their weights fp32 (a weight shared with an excluded
 * node stays fp32 too). Needs opset >= 13 (per-axis DequantizeLinear); the pipeline upgrades older graphs.
 */
export function toWeightOnlyInt8(source: ModelProto, exclude: ReadonlySet<string> = new Set(), minElements = INT8W_MIN_ELEMENTS): { model: ModelProto; report: WeightOnlyReport } {
  if (opsetOf(source) < 13) throw new Error(`weight-only int8 needs opset >= 13 (per-channel DequantizeLinear); this model imports opset ${opsetOf(source)}`);
  const m = structuredClone(source);
  const g = m.graph;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const rank = (name: string) => inits.get(name)?.dims.length ?? 0;
  const fixed = new Set([...g.input.map((i) => i.name), ...g.output.map((o) => o.name)]);
  const names = new Set([...g.initializer.map((t) => t.name), ...g.node.flatMap((n) => [...n.input, ...n.output])]);
  const fresh = (base: string) => { let n = base; for (let i = 1; names.has(n); i++) n = `${base}_${i}`; names.add(n); return n; };

  // First pass: the axis each weight is quantized along (its first consumer decides), and the weights an
  // excluded node reads, which stay fp32.
  const axes = new Map<string, number>();
  const kept = new Set<string>();
  for (const n of g.node) {
    const w = weightOf(n, rank);
    const name = w ? n.input[w.input] : undefined;
    if (!w || !name) continue;
    if (exclude.has(n.name)) kept.add(name);
    else if (!axes.has(name)) axes.set(name, w.axis);
  }

  const report: WeightOnlyReport = { quantized: [], floatBytes: 0, storedBytes: 0 };
  const added: TensorProto[] = [];
  const dequantize: NodeProto[] = [];
  const replaced = new Set<string>();
  for (const [name, axis] of axes) {
    const t = inits.get(name);
    if (!t || t.data_type !== DataType.FLOAT || kept.has(name) || fixed.has(name) || axis >= t.dims.length) continue;
    const elements = t.dims.reduce((a, b) => a * b, 1);
    if (elements < minElements) continue;
    const { q, scale } = quantizePerAxis(floats(t), t.dims, axis);
    const qName = fresh(`${name}__int8`);
    const sName = fresh(`${name}__scale`);
    added.push(int8Tensor(qName, t.dims, q), floatTensor(sName, [scale.length], scale));
    dequantize.push(node('DequantizeLinear', [qName, sName], [name], fresh(`${name}/DequantizeLinear`), { axis }));
    replaced.add(name);
    report.quantized.push({ name, axis, elements });
    report.floatBytes += elements * 4;
    report.storedBytes += elements + scale.length * 4;
  }
  // The DequantizeLinear nodes read only initializers, so putting them first keeps the graph topologically sorted.
  g.initializer = [...g.initializer.filter((t) => !replaced.has(t.name)), ...added];
  g.node = [...dequantize, ...g.node];
  g.value_info = [];
  m.doc_string = `${m.doc_string ?? ''} [weight-only int8: per-channel symmetric weights, DequantizeLinear folded at load, fp32 compute]`.trim();
  return { model: m, report };
}
