/**
 * Static INT8 in QDQ form (onnxruntime `quantize_static(QuantFormat.QDQ, per_channel=True)`): weights INT8
 * symmetric per output channel behind DequantizeLinear(axis), Conv biases INT32 (scale x_s·w_s), and a
 * QuantizeLinear→DequantizeLinear pair with calibrated UINT8 parameters on every activation entering or
 * leaving a quantized Conv/MatMul/Gemm. onnxruntime fuses DQ→Conv→Q into QLinearConv and DQ→MatMul→Q into
 * QLinearMatMul at load time, so these nodes run in integer arithmetic with no run-time range search.
 * Per-channel DequantizeLinear needs opset 13; older graphs are upgraded first (opset.ts).
 * Nodes inside `If`/`Loop`/`Scan` subgraphs stay fp32 (the dynamic forms do quantize them): calibration
 * runs the graph with activations exposed as outputs, which only top-level tensors can be. Weights a
 * subgraph reads from the outer scope are kept.
 */
import { floatTensor, int8Tensor, node } from '../../onnx/build.js';
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../../onnx/types.js';
import { quantizeSymmetric, WEIGHT_BITS, weightQmax, type WeightBits } from './uniform-int8.js';
import { floats } from './graph.js';
import { upgradeToOpset13 } from './opset.js';
import { nodeReads, topoSort } from '../../onnx/scopes.js';

/** Calibrated [min, max] per activation tensor, and the rank of each tensor seen (for the opset upgrade). */
export interface ActivationRanges {
  method: 'minmax' | 'percentile';
  ranges: Record<string, [number, number]>;
  ranks: Record<string, number>;
}

const attrI = (n: NodeProto, name: string, d: number) => { const a = n.attribute?.find((x) => x.name === name); return a ? (a.i ?? 0) : d; };

/** Nodes static QDQ quantizes (constant-weight Conv, MatMul with a 2-D weight, plain Gemm). */
export function staticCandidates(m: ModelProto): NodeProto[] {
  const inits = new Map(m.graph.initializer.map((t) => [t.name, t]));
  return m.graph.node.filter((n) => {
    const w = inits.get(n.input[1] ?? '');
    if (w?.data_type !== DataType.FLOAT) return false;
    if (n.op_type === 'Conv') return w.dims.length >= 3;
    if (n.op_type === 'MatMul') return w.dims.length === 2;
    if (n.op_type === 'Gemm') return w.dims.length === 2 && attrI(n, 'transA', 0) === 0 && attrI(n, 'transB', 0) === 0;
    return false;
  });
}

/** Activation tensors whose ranges calibration must collect. */
export function tensorsToCalibrate(m: ModelProto): string[] {
  return [...new Set(staticCandidates(m).flatMap((n) => [n.input[0]!, n.output[0]!]))];
}

function uint8Params([lo, hi]: [number, number]): { scale: number; zero: number } {
  const min = Math.min(0, lo);
  const max = Math.max(0, hi);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale: Math.fround(scale), zero: Math.max(0, Math.min(255, Math.round(-min / scale))) };
}

/** Returns the QDQ model; nodes in `exclude` (and nodes without calibrated ranges) stay fp32. */
export function toStaticInt8(source: ModelProto, calib: ActivationRanges, exclude: ReadonlySet<string> = new Set(), weightBits: WeightBits = WEIGHT_BITS): { model: ModelProto; quantized: string[] } {
  const qmax = weightQmax(weightBits);
  const m = upgradeToOpset13(structuredClone(source), calib.ranks);
  const g = m.graph;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const targets = new Set(staticCandidates(m).filter((n) => !exclude.has(n.name) && calib.ranges[n.input[0]!] && calib.ranges[n.output[0]!]).map((n) => n.name));
  const added: TensorProto[] = [];
  const nodes: NodeProto[] = [];
  const dequantized = new Map<string, string>(); // float tensor -> its QDQ'd name
  const qdq = (x: string, at: string): string => {
    const done = dequantized.get(x);
    if (done) return done;
    const { scale, zero } = uint8Params(calib.ranges[x]!);
    added.push(floatTensor(`${x}/q_scale`, [], Float32Array.of(scale)), { name: `${x}/q_zero`, dims: [], data_type: DataType.UINT8, raw_data: Uint8Array.of(zero) });
    nodes.push(
      node('QuantizeLinear', [x, `${x}/q_scale`, `${x}/q_zero`], [`${x}__q`], `${at}/QuantizeLinear`),
      node('DequantizeLinear', [`${x}__q`, `${x}/q_scale`, `${x}/q_zero`], [`${x}__dq`], `${at}/DequantizeLinear`),
    );
    dequantized.set(x, `${x}__dq`);
    return `${x}__dq`;
  };
  for (const n of g.node) {
    if (!targets.has(n.name)) {
      nodes.push(n);
      continue;
    }
    const x = qdq(n.input[0]!, n.name);
    const w = inits.get(n.input[1]!)!;
    const conv = n.op_type === 'Conv';
    const channels = conv ? w.dims[0]! : w.dims[1]!;
    const values = floats(w);
    const { q, scale } = conv ? quantizeSymmetric(values, channels, values.length / channels, 'row', qmax) : quantizeSymmetric(values, w.dims[0]!, channels, 'column', qmax);
    const wq = `${n.name}/W_int8`;
    added.push(int8Tensor(wq, w.dims, q), floatTensor(`${wq}/scale`, [channels], scale), int8Tensor(`${wq}/zero`, [channels], new Int8Array(channels)));
    nodes.push(node('DequantizeLinear', [wq, `${wq}/scale`, `${wq}/zero`], [`${wq}__dq`], `${n.name}/W_DequantizeLinear`, { axis: conv ? 0 : 1 }));
    const inputs = [x, `${wq}__dq`];
    const bias = n.input[2] ? inits.get(n.input[2]) : undefined;
    if (conv && bias?.data_type === DataType.FLOAT) {
      const xs = uint8Params(calib.ranges[n.input[0]!]!).scale;
      const bs = Float32Array.from(scale, (s) => Math.fround(s * xs));
      const bq = Int32Array.from(floats(bias), (b, i) => Math.round(b / bs[i]!));
      const bn = `${n.name}/B_int32`;
      added.push({ name: bn, dims: [channels], data_type: DataType.INT32, raw_data: new Uint8Array(bq.buffer) }, floatTensor(`${bn}/scale`, [channels], bs), { name: `${bn}/zero`, dims: [channels], data_type: DataType.INT32, raw_data: new Uint8Array(channels * 4) });
      nodes.push(node('DequantizeLinear', [bn, `${bn}/scale`, `${bn}/zero`], [`${bn}__dq`], `${n.name}/B_DequantizeLinear`, { axis: 0 }));
      inputs.push(`${bn}__dq`);
    } else if (n.input[2]) inputs.push(n.input[2]);
    const y = n.output[0]!;
    n.input = inputs;
    n.output = [`${y}__f`];
    nodes.push(n);
    const { scale: ys, zero: yz } = uint8Params(calib.ranges[y]!);
    added.push(floatTensor(`${y}/q_scale`, [], Float32Array.of(ys)), { name: `${y}/q_zero`, dims: [], data_type: DataType.UINT8, raw_data: Uint8Array.of(yz) });
    nodes.push(
      node('QuantizeLinear', [`${y}__f`, `${y}/q_scale`, `${y}/q_zero`], [`${y}__q`], `${n.name}/out_QuantizeLinear`),
      node('DequantizeLinear', [`${y}__q`, `${y}/q_scale`, `${y}/q_zero`], [y], `${n.name}/out_DequantizeLinear`),
    );
    dequantized.set(y, y);
  }
  const read = new Set([...nodes.flatMap(nodeReads), ...g.output.map((o) => o.name)]);
  g.initializer = [...g.initializer.filter((t) => read.has(t.name)), ...added];
  g.node = nodes;
  topoSort(g);
  g.value_info = [];
  m.doc_string = `${m.doc_string ?? ''} [static int8 QDQ, ${calib.method} calibration]`.trim();
  return { model: m, quantized: [...targets] };
}
