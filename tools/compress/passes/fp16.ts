/**
 * FP16 variant: float initializers stored as fp16, graph inputs and outputs kept fp32 (keep_io_types), and
 * each node computing in fp16 only where the CPU execution provider has an fp16 kernel; other nodes run in
 * fp32 behind explicit Casts.
 *
 * Which ops have fp16 CPU kernels was found by trying (`npx tsx tools/compress/passes/fp16-kernels.ts`): a
 * one-node fp16 model per op, loaded in onnxruntime 1.30 with the optimized graph dumped; where the runtime had
 * to insert its own Casts around the node, the op has no fp16 kernel. onnxruntime-web 1.30 loads and runs all
 * of them (it inserts the same Casts), so the table decides where we put casts, not whether the model runs.
 * Measured 2025 for onnxruntime 1.30: almost every arithmetic op lacks an fp16 CPU kernel, so on the edge
 * the fp16 variant is a storage format (half the bytes) whose arithmetic stays fp32.
 *
 * Subgraphs (`If` branches, `Loop`/`Scan` bodies) are converted by the same rule: their own initializers
 * become fp16, and a node inside reads an outer tensor through a Cast placed in its own subgraph when the
 * outer tensor's precision is not the one it computes in. The control-flow node itself and every subgraph
 * input and output stay fp32, so branch outputs agree and the node's signature does not change.
 * Constants whose value fp16 would change (fp16-constants.ts: overflow, a guard epsilon flushed to 0) stay
 * fp32 and are listed in the report; their consumers then compute in fp32.
 */
import { halfTensor, node } from '../../onnx/build.js';
import { toHalfArray } from '../../onnx/float16.js';
import { allGraphs, labelledSubgraphs, topoSort } from '../../onnx/scopes.js';
import { DataType, type GraphProto, type ModelProto, type NodeProto } from '../../onnx/types.js';
import { fp32Reason, type KeptConstant, type Read } from './fp16-constants.js';
import { elemTypes, floats } from './graph.js';

/** Ops with an fp16 kernel in the onnxruntime 1.30 CPU provider (tried, see the module header). */
export const FP16_CPU_KERNELS: ReadonlySet<string> = new Set([
  'Clip', 'Transpose', 'LayerNormalization', 'Concat', 'Gather',
  'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Identity', 'Slice', 'Split', 'Expand',
]);

/** Ops tried and found without an fp16 CPU kernel in onnxruntime 1.30 (kept fp32 behind casts). */
export const FP16_NO_CPU_KERNEL: readonly string[] = [
  'Conv', 'ConvTranspose', 'BatchNormalization', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Relu', 'Sigmoid',
  'Tanh', 'Erf', 'HardSigmoid', 'GlobalAveragePool', 'MaxPool', 'AveragePool', 'MatMul', 'Gemm', 'Softmax',
  'ReduceMean', 'Resize', 'Neg', 'Exp', 'Where',
];

/** Inputs that must stay fp32 whatever the node computes in (Resize roi and scales). */
const FP32_ONLY_INPUTS: Record<string, number[]> = { Resize: [1, 2], Upsample: [1] };

export interface Fp16Report {
  /** Nodes computing in fp16 / fp32 (subgraph nodes included; a control-flow node counts as fp32). */
  fp16Nodes: number;
  fp32Nodes: number;
  castsInserted: number;
  /** Subgraphs converted (If branches, Loop and Scan bodies, at any depth). */
  subgraphs: number;
  /** Float constants left in fp32 because fp16 would change their value, with the reason. */
  kept: KeptConstant[];
}

interface Pass {
  types: Map<string, number>;
  keepFp32: ReadonlySet<string>;
  /** Where each tensor is read, in any graph (for fp32-only slots and the special-constant rule). */
  reads: Map<string, Read[]>;
  report: Fp16Report;
}

/** Returns the fp16 variant of a normalized model (see graph.ts `normalize`); `keepFp32` names nodes to leave alone. */
export function toFp16(source: ModelProto, keepFp32: ReadonlySet<string> = new Set()): { model: ModelProto; report: Fp16Report } {
  const m = structuredClone(source);
  const reads = new Map<string, Read[]>();
  for (const g of allGraphs(m.graph)) for (const n of g.node) n.input.forEach((i, slot) => i && reads.set(i, [...(reads.get(i) ?? []), { op: n.op_type, slot }]));
  const report: Fp16Report = { fp16Nodes: 0, fp32Nodes: 0, castsInserted: 0, subgraphs: 0, kept: [] };
  convertGraph(m.graph, { types: elemTypes(m.graph), keepFp32, reads, report }, new Map(), '');
  topoSort(m.graph);
  m.doc_string = `${m.doc_string ?? ''} [fp16 weights; fp16 compute where the CPU provider has fp16 kernels, fp32 io]`.trim();
  return { model: m, report };
}

/** The manifest's `method` text for an fp16 variant. */
export function fp16Method(r: Fp16Report): string {
  const kept = r.kept.length ? `; kept fp32 because fp16 would change their value: ${r.kept.map((k) => `${k.tensor} (${k.reason})`).join('; ')}` : '; no constant changed meaning in fp16';
  const subs = r.subgraphs ? `, inside ${r.subgraphs} If/Loop/Scan subgraph(s) too` : '';
  return `fp16 weights${subs}${kept}; fp16 compute only where the CPU provider has fp16 kernels (${r.fp16Nodes} nodes), fp32 elsewhere behind casts (${r.fp32Nodes} nodes); fp32 io`;
}

/**
 * Converts one graph in place. `outerHome` is the precision of every tensor visible from enclosing scopes;
 * `scope` is '' for the model's graph and a unique label for a subgraph (it keeps inserted names unique).
 */
function convertGraph(g: GraphProto, pass: Pass, outerHome: ReadonlyMap<string, 'fp16' | 'fp32'>, scope: string): void {
  const { types, report } = pass;
  const isFloat = (t: string) => t !== '' && types.get(t) === DataType.FLOAT;
  const home = new Map(outerHome);
  const graphOutputs = new Set(g.output.map((o) => o.name));

  // An initializer read only through fp32-only slots stays fp32 (exact resize scales), as does one the
  // graph returns as it is (its output type is declared fp32) and one whose value fp16 would change.
  g.initializer = g.initializer.map((t) => {
    if (t.data_type !== DataType.FLOAT) return t;
    const reads = pass.reads.get(t.name) ?? [];
    const values = floats(t);
    const reason = fp32Reason(values, reads);
    if (reason) report.kept.push({ tensor: t.name, reason });
    if (reason || graphOutputs.has(t.name) || (reads.length > 0 && reads.every((r) => FP32_ONLY_INPUTS[r.op]?.includes(r.slot)))) {
      home.set(t.name, 'fp32');
      return t;
    }
    home.set(t.name, 'fp16');
    return halfTensor(t.name, t.dims, toHalfArray(values));
  });
  for (const i of g.input) if (isFloat(i.name)) home.set(i.name, 'fp32');

  const nodes: NodeProto[] = [];
  const casts = new Set<string>();
  const unique = scope ? `__${scope}` : '';
  const want = (tensor: string, dtype: 'fp16' | 'fp32'): string => {
    if (!isFloat(tensor) || home.get(tensor) === dtype) return tensor;
    const key = `${tensor}__${dtype}${unique}`;
    if (!casts.has(key)) {
      nodes.push(node('Cast', [tensor], [key], `${scope ? `${scope}/` : ''}${tensor}/CastTo${dtype}`, { to: dtype === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT }));
      home.set(key, dtype);
      types.set(key, DataType.FLOAT);
      casts.add(key);
      report.castsInserted++;
    }
    return key;
  };
  for (const n of g.node) {
    const fixed = FP32_ONLY_INPUTS[n.op_type] ?? [];
    const floatIns = n.input.filter((i, k) => isFloat(i) && !fixed.includes(k));
    const subs = labelledSubgraphs(n);
    const half = subs.length === 0 && !pass.keepFp32.has(n.name) && FP16_CPU_KERNELS.has(n.op_type) && floatIns.length > 0 && floatIns.every((i) => home.get(i) === 'fp16');
    const dtype = half ? 'fp16' : 'fp32';
    n.input = n.input.map((i, k) => (fixed.includes(k) ? want(i, 'fp32') : want(i, dtype)));
    for (const s of subs) {
      convertGraph(s.graph, pass, home, s.scope);
      report.subgraphs++;
    }
    const tail: NodeProto[] = [];
    n.output = n.output.map((o) => {
      if (!isFloat(o)) return o;
      if (half && graphOutputs.has(o)) {
        home.set(`${o}__fp16`, 'fp16');
        types.set(`${o}__fp16`, DataType.FLOAT);
        home.set(o, 'fp32');
        tail.push(node('Cast', [`${o}__fp16`], [o], `${o}/CastToFp32`, { to: DataType.FLOAT }));
        report.castsInserted++;
        return `${o}__fp16`;
      }
      home.set(o, dtype);
      return o;
    });
    if (half) report.fp16Nodes++;
    else report.fp32Nodes++;
    nodes.push(n, ...tail);
  }
  // A subgraph may return an outer fp16 tensor as it is; its declared output type is fp32.
  if (scope) for (const o of g.output) if (home.get(o.name) === 'fp16') o.name = want(o.name, 'fp32');
  g.node = nodes;
  g.value_info = [];
}
