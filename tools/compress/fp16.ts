/**
 * FP16 variant: every float initializer stored as fp16 (clamped to ±65504), graph inputs and outputs kept
 * fp32 (keep_io_types), and each node computing in fp16 only where the CPU execution provider has an fp16
 * kernel; other nodes run in fp32 behind explicit Casts.
 *
 * Which ops have fp16 CPU kernels was found by trying (`npx tsx tools/compress/fp16-kernels.ts`): a one-node
 * fp16 model per op, loaded in onnxruntime 1.30 with the optimized graph dumped; where the runtime had to
 * insert its own Casts around the node, the op has no fp16 kernel. onnxruntime-web 1.30 loads and runs all
 * of them (it inserts the same Casts), so the table decides where we put casts, not whether the model runs.
 * Measured 2025 for onnxruntime 1.30: almost every arithmetic op lacks an fp16 CPU kernel, so on the edge
 * the fp16 variant is a storage format (half the bytes) whose arithmetic stays fp32.
 */
import { halfTensor } from '../onnx/build.js';
import { toHalfBits, FP16_MAX } from '../onnx/float16.js';
import { node } from '../onnx/build.js';
import { DataType, type ModelProto, type NodeProto } from '../onnx/types.js';
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
  /** Nodes computing in fp16 / fp32. */
  fp16Nodes: number;
  fp32Nodes: number;
  castsInserted: number;
  /** Weight values beyond the fp16 range, clamped to ±65504. */
  clamped: number;
}

/** Returns the fp16 variant of a normalized model (see graph.ts `normalize`); `keepFp32` names nodes to leave alone. */
export function toFp16(source: ModelProto, keepFp32: ReadonlySet<string> = new Set()): { model: ModelProto; report: Fp16Report } {
  const m = structuredClone(source);
  const g = m.graph;
  const types = elemTypes(g);
  const isFloat = (t: string) => t !== '' && types.get(t) === DataType.FLOAT;
  const home = new Map<string, 'fp16' | 'fp32'>();
  const report: Fp16Report = { fp16Nodes: 0, fp32Nodes: 0, castsInserted: 0, clamped: 0 };

  // An initializer read only through fp32-only slots stays fp32 (exact resize scales).
  const fp32OnlyUse = new Map<string, boolean>();
  for (const n of g.node) n.input.forEach((i, k) => fp32OnlyUse.set(i, (fp32OnlyUse.get(i) ?? true) && (FP32_ONLY_INPUTS[n.op_type]?.includes(k) ?? false)));
  g.initializer = g.initializer.map((t) => {
    if (t.data_type !== DataType.FLOAT || fp32OnlyUse.get(t.name)) {
      if (t.data_type === DataType.FLOAT) home.set(t.name, 'fp32');
      return t;
    }
    const values = floats(t);
    const bits = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) {
      if (Math.abs(values[i]!) > FP16_MAX) report.clamped++;
      bits[i] = toHalfBits(values[i]!);
    }
    home.set(t.name, 'fp16');
    return halfTensor(t.name, t.dims, bits);
  });
  for (const i of g.input) if (isFloat(i.name)) home.set(i.name, 'fp32');

  const nodes: NodeProto[] = [];
  const casts = new Map<string, string>();
  const want = (tensor: string, dtype: 'fp16' | 'fp32'): string => {
    if (!isFloat(tensor) || home.get(tensor) === dtype) return tensor;
    const key = `${tensor}__${dtype}`;
    if (!casts.has(key)) {
      nodes.push(node('Cast', [tensor], [key], `${tensor}/CastTo${dtype}`, { to: dtype === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT }));
      home.set(key, dtype);
      casts.set(key, key);
      report.castsInserted++;
    }
    return key;
  };
  const graphOutputs = new Set(g.output.map((o) => o.name));
  for (const n of g.node) {
    const fixed = FP32_ONLY_INPUTS[n.op_type] ?? [];
    const floatIns = n.input.filter((i, k) => isFloat(i) && !fixed.includes(k));
    const half = !keepFp32.has(n.name) && FP16_CPU_KERNELS.has(n.op_type) && floatIns.length > 0 && floatIns.every((i) => home.get(i) === 'fp16');
    const dtype = half ? 'fp16' : 'fp32';
    n.input = n.input.map((i, k) => (fixed.includes(k) ? want(i, 'fp32') : want(i, dtype)));
    const tail: NodeProto[] = [];
    n.output = n.output.map((o) => {
      if (!isFloat(o)) return o;
      if (half && graphOutputs.has(o)) {
        home.set(`${o}__fp16`, 'fp16');
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
  g.node = nodes;
  g.value_info = [];
  m.doc_string = `${m.doc_string ?? ''} [fp16 weights; fp16 compute where the CPU provider has fp16 kernels, fp32 io]`.trim();
  return { model: m, report };
}
