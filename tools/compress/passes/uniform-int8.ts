/**
 * Uniform int8, the synthetic transformer's int8 variant (tools/models/transformer/generate.ts), and the
 * symmetric weight quantizer the dynamic and static int8 passes share (`quantizeSymmetric`, `WEIGHT_BITS`):
 * dynamic quantization in the shape onnxruntime's `quantize_dynamic(per_channel=True)` produces, using only
 * standard ONNX ops both onnxruntime-node and the WASM build run:
 *
 *   MatMul(x, W)  ->  DynamicQuantizeLinear(x) -> MatMulInteger(x_q, W_q, x_zp) -> Cast(float)
 *                     -> Mul(a_scale * w_scale[col])
 *
 * W_q is INT8, symmetric per output column (zero point 0, so MatMulInteger's b_zero_point is omitted and
 * only the per-column scales differ). Activations are UINT8 asymmetric, quantized at run time.
 * Embedding tables read by Gather are stored INT8 with a per-row scale and dequantized after the lookup,
 * so the lookup never materialises the fp32 table. Everything else (biases, norms) stays FP32, and so does
 * everything inside `If`/`Loop`/`Scan` subgraphs (only the top-level graph is quantized; weights a subgraph
 * reads from the outer scope are kept).
 */
import { floatTensor, int8Tensor, node, tensorData } from '../../onnx/build.js';
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../../onnx/types.js';
import { nodeReads, topoSort } from '../../onnx/scopes.js';

/** Bits of an int8 weight that multiplies activations: 8, or 7 to stay clear of int16 saturation. */
export type WeightBits = 7 | 8;

/**
 * The weight bits new compressions use: 7, onnxruntime's `reduce_range`. With 8, a uint8 activation times an
 * int8 weight overflows int16 pair sums on x86 CPUs without VNNI (AVX2): on such a machine the same int8 file
 * scored cosine 0.97-0.98 in onnxruntime where a VNNI machine measured > 0.99. 7 bits answer alike on every
 * CPU the origin or a device may have, for a bit of weight precision.
 */
export const WEIGHT_BITS: WeightBits = 7;

/** The largest quantized magnitude for `bits`. */
export function weightQmax(bits: WeightBits): number {
  return bits === 7 ? 63 : 127;
}

/**
 * Symmetric int8 quantization of a [rows, cols] matrix, one scale per column or per row, into
 * [-qmax, qmax]: 127 uses all 8 bits; 63 (7 bits, onnxruntime's `reduce_range`) keeps a uint8 activation
 * times an int8 weight, summed in pairs, inside int16, where x86 CPUs without VNNI (AVX2's vpmaddubsw)
 * would otherwise saturate and lose the answer.
 */
export function quantizeSymmetric(w: Float32Array, rows: number, cols: number, axis: 'column' | 'row', qmax = 127): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(axis === 'column' ? cols : rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = axis === 'column' ? c : r;
      scale[s] = Math.max(scale[s]!, Math.abs(w[r * cols + c]!));
    }
  }
  for (let s = 0; s < scale.length; s++) scale[s] = scale[s]! > 0 ? scale[s]! / qmax : 1;
  const q = new Int8Array(w.length);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const s = scale[axis === 'column' ? c : r]!;
      q[r * cols + c] = Math.max(-qmax, Math.min(qmax, Math.round(w[r * cols + c]! / s)));
    }
  }
  return { q, scale };
}

/** Returns a new model with constant-weight MatMuls and embedding Gathers in int8; the argument is unchanged. */
export function toUniformInt8(source: ModelProto): ModelProto {
  const m = structuredClone(source);
  const g = m.graph;
  const inits = new Map(g.initializer.map((t) => [t.name, t]));
  const replaced = new Set<string>();
  const added: TensorProto[] = [];
  const quantizedInputs = new Map<string, string>(); // activation -> prefix of its DynamicQuantizeLinear outputs
  const nodes: NodeProto[] = [];
  const isFloatMatrix = (name: string | undefined) => {
    const t = name === undefined ? undefined : inits.get(name);
    return t !== undefined && t.data_type === DataType.FLOAT && t.dims.length === 2 ? t : undefined;
  };
  for (const n of g.node) {
    const weight = n.op_type === 'MatMul' ? isFloatMatrix(n.input[1]) : undefined;
    const table = n.op_type === 'Gather' && !(n.attribute ?? []).some((a) => a.name === 'axis' && a.i) ? isFloatMatrix(n.input[0]) : undefined;
    if (weight) {
      const [K, N] = weight.dims as [number, number];
      const { q, scale } = quantizeSymmetric(tensorData(weight) as Float32Array, K, N, 'column');
      added.push(int8Tensor(`${weight.name}_quantized`, [K, N], q), floatTensor(`${weight.name}_scale`, [N], scale));
      replaced.add(weight.name);
      const x = n.input[0]!;
      let p = quantizedInputs.get(x);
      if (!p) {
        p = `${x}__q`;
        quantizedInputs.set(x, p);
        nodes.push(node('DynamicQuantizeLinear', [x], [`${p}`, `${p}_scale`, `${p}_zero_point`], `${n.name}/DynamicQuantizeLinear`));
      }
      const out = n.output[0]!;
      nodes.push(
        node('MatMulInteger', [p, `${weight.name}_quantized`, `${p}_zero_point`], [`${out}__int32`], `${n.name}/MatMulInteger`),
        node('Cast', [`${out}__int32`], [`${out}__float`], `${n.name}/Cast`, { to: DataType.FLOAT }),
        node('Mul', [`${p}_scale`, `${weight.name}_scale`], [`${out}__scale`], `${n.name}/ScaleMul`),
        node('Mul', [`${out}__float`, `${out}__scale`], [out], `${n.name}/Dequantize`),
      );
    } else if (table) {
      const [V, D] = table.dims as [number, number];
      const { q, scale } = quantizeSymmetric(tensorData(table) as Float32Array, V, D, 'row');
      added.push(int8Tensor(`${table.name}_quantized`, [V, D], q), floatTensor(`${table.name}_scale`, [V, 1], scale));
      replaced.add(table.name);
      const out = n.output[0]!;
      const ids = n.input[1]!;
      nodes.push(
        node('Gather', [`${table.name}_quantized`, ids], [`${out}__int8`], `${n.name}/GatherQuantized`),
        node('Gather', [`${table.name}_scale`, ids], [`${out}__scale`], `${n.name}/GatherScale`),
        node('Cast', [`${out}__int8`], [`${out}__float`], `${n.name}/Cast`, { to: DataType.FLOAT }),
        node('Mul', [`${out}__float`, `${out}__scale`], [out], `${n.name}/Dequantize`),
      );
    } else {
      nodes.push(n);
    }
  }
  // A weight shared with a non-quantized consumer must be kept; only drop those no remaining node reads.
  const stillRead = new Set([...nodes.flatMap(nodeReads), ...g.output.map((o) => o.name)]);
  g.initializer = [...g.initializer.filter((t) => !replaced.has(t.name) || stillRead.has(t.name)), ...added];
  g.node = nodes;
  topoSort(g);
  g.value_info = [];
  m.doc_string = `${m.doc_string ?? ''} [dynamic int8, per-channel symmetric weights]`.trim();
  return m;
}
