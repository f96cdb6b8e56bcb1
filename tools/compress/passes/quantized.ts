/**
 * Whether a variant file quantizes anything: a node that quantizes, dequantizes or computes in integers
 * (QuantizeLinear, DequantizeLinear, DynamicQuantizeLinear, MatMulInteger, ConvInteger, QLinear*), or an
 * int8/uint8 initializer, anywhere in the graph or its subgraphs. An exclusion search that kept every
 * quantizable node fp32 passes every floor with a copy of fp32 renamed int8: such a file is never written
 * as int8 or int8w (choose/int8.ts, choose/written.ts).
 */
import { decodeModel } from '../../onnx/io.js';
import { allGraphs, allNodes } from '../../onnx/scopes.js';
import { DataType, type ModelProto } from '../../onnx/types.js';

const INTEGER_OPS = new Set(['QuantizeLinear', 'DequantizeLinear', 'DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger']);

/** True when the model (or its encoded bytes) holds any quantization; see the header. */
export function quantizes(model: ModelProto | Uint8Array): boolean {
  const m = model instanceof Uint8Array ? decodeModel(model) : model;
  if (allNodes(m.graph).some((n) => INTEGER_OPS.has(n.op_type) || n.op_type.startsWith('QLinear'))) return true;
  return allGraphs(m.graph).some((g) => g.initializer.some((t) => t.data_type === DataType.INT8 || t.data_type === DataType.UINT8));
}
