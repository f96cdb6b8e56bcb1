/**
 * Multiply-adds of one inference at the dims given (batch 1 from taps.ts): Conv, MatMul and Gemm only, which
 * is where the time of these models goes; elementwise ops, pooling and BatchNorm are left out (BatchNorm
 * folds into the Conv before it when onnxruntime optimises the graph).
 */
import { attr } from './graph.js';
import type { ModelProto } from '../onnx/types.js';

const prod = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

/** Multiply-adds per op type and in total. */
export function countMacs(m: ModelProto, dims: ReadonlyMap<string, number[]>): { total: number; byOp: Record<string, number> } {
  const inits = new Map(m.graph.initializer.map((t) => [t.name, t.dims]));
  const dimsOf = (t: string) => inits.get(t) ?? dims.get(t);
  const byOp: Record<string, number> = {};
  for (const n of m.graph.node) {
    const y = dimsOf(n.output[0] ?? '');
    const w = dimsOf(n.input[1] ?? '');
    if (!y || !w) continue;
    let macs = 0;
    if (n.op_type === 'Conv') macs = prod(y) * prod(w.slice(1)); // W is [Cout, Cin/group, kh, kw]
    else if (n.op_type === 'MatMul') macs = prod(y) * w.at(-2)!;
    else if (n.op_type === 'Gemm') macs = prod(y) * (attr(n, 'transB', 0) ? w[1]! : w[0]!);
    else continue;
    byOp[n.op_type] = (byOp[n.op_type] ?? 0) + macs;
  }
  return { total: Object.values(byOp).reduce((a, b) => a + b, 0), byOp };
}
