/**
 * Small helpers to assemble ONNX graphs by hand: initializers from typed arrays, nodes with typed
 * attributes (subgraphs included: `If` and `Loop` builders), value infos with symbolic (dim_param)
 * dimensions, and a model at opset 17 / IR 8.
 */
import { DataType, type AttributeProto, type GraphProto, type ModelProto, type NodeProto, type TensorProto, type ValueInfoProto } from './types.js';

/** The opset every generated model targets (LayerNormalization needs >= 17). */
export const OPSET = 17;
/** IR version matching opset 17. */
export const IR_VERSION = 8;

function bytesOf(view: ArrayBufferView): Uint8Array {
  // ONNX raw_data is little-endian; so are all hosts we run on (x86-64, arm64).
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** An FP32 initializer. */
export function floatTensor(name: string, dims: number[], data: Float32Array): TensorProto {
  return { name, dims, data_type: DataType.FLOAT, raw_data: bytesOf(data) };
}

/** An FP16 initializer from already-converted half bits. */
export function halfTensor(name: string, dims: number[], bits: Uint16Array): TensorProto {
  return { name, dims, data_type: DataType.FLOAT16, raw_data: bytesOf(bits) };
}

/** An INT8 initializer. */
export function int8Tensor(name: string, dims: number[], data: Int8Array): TensorProto {
  return { name, dims, data_type: DataType.INT8, raw_data: bytesOf(data) };
}

/** An INT64 initializer (shapes, axes). */
export function int64Tensor(name: string, dims: number[], data: number[]): TensorProto {
  return { name, dims, data_type: DataType.INT64, raw_data: bytesOf(BigInt64Array.from(data.map(BigInt))) };
}

/** Reads an initializer's raw data as the typed array of its data type. */
export function tensorData(t: TensorProto): Float32Array | Uint16Array | Int8Array | Uint8Array | BigInt64Array {
  const raw = t.raw_data ?? new Uint8Array();
  // Copy into a fresh buffer: protobufjs may hand out a Node Buffer that is a view into a shared pool
  // (where Buffer#slice is not a copy), and typed-array views need an aligned, exact-length buffer.
  const buf = new Uint8Array(raw).buffer;
  switch (t.data_type) {
    case DataType.FLOAT: return t.float_data?.length ? Float32Array.from(t.float_data) : new Float32Array(buf);
    case DataType.FLOAT16: return new Uint16Array(buf);
    case DataType.INT8: return new Int8Array(buf);
    case DataType.UINT8: return new Uint8Array(buf);
    case DataType.INT64: return new BigInt64Array(buf);
    default: throw new Error(`unsupported initializer type ${t.data_type} (${t.name})`);
  }
}

type AttrValue = number | string | number[] | { float: number } | { floats: number[] } | TensorProto | GraphProto;

function attribute(name: string, value: AttrValue): AttributeProto {
  if (typeof value === 'number') return { name, type: 2, i: value };
  if (typeof value === 'string') return { name, type: 3, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: 7, ints: value };
  if ('float' in value) return { name, type: 1, f: value.float };
  if ('floats' in value) return { name, type: 6, floats: value.floats };
  if ('node' in value) return { name, type: 5, g: value };
  return { name, type: 4, t: value };
}

/**
 * A node. Integer attributes are plain numbers, float attributes `{ float: x }` (so `epsilon: 1e-12` cannot
 * silently become an int), and int lists arrays.
 */
export function node(opType: string, inputs: string[], outputs: string[], name: string, attrs: Record<string, AttrValue> = {}): NodeProto {
  const n: NodeProto = { op_type: opType, input: inputs, output: outputs, name };
  const list = Object.entries(attrs).map(([k, v]) => attribute(k, v));
  if (list.length) n.attribute = list;
  return n;
}

/** A tensor value info; string dims become dim_param (dynamic), numbers dim_value. */
export function valueInfo(name: string, elemType: number, dims: (number | string)[]): ValueInfoProto {
  return {
    name,
    type: { tensor_type: { elem_type: elemType, shape: { dim: dims.map((d) => (typeof d === 'string' ? { dim_param: d } : { dim_value: d })) } } },
  };
}

/** A graph (for a subgraph: its inputs and outputs are the body's signature; it may read outer names). */
export function graph(name: string, nodes: NodeProto[], outputs: ValueInfoProto[], inputs: ValueInfoProto[] = [], initializer: TensorProto[] = []): GraphProto {
  return { name, node: nodes, initializer, input: inputs, output: outputs };
}

/** `If(cond)`: runs `then` or `otherwise`; both must have as many outputs, of the same types, as `outputs`. */
export function ifNode(cond: string, then: GraphProto, otherwise: GraphProto, outputs: string[], name: string): NodeProto {
  return node('If', [cond], outputs, name, { then_branch: then, else_branch: otherwise });
}

/**
 * `Loop(tripCount, '', ...carried)`: runs `body` tripCount times. The body's inputs are (iteration INT64 [],
 * condition BOOL [], ...carried) and its outputs (condition, ...carried updated).
 */
export function loopNode(tripCount: string, carried: string[], body: GraphProto, outputs: string[], name: string): NodeProto {
  return node('Loop', [tripCount, '', ...carried], outputs, name, { body });
}

/** Wraps a graph into a model at opset 17 / IR 8 with a fixed producer (no timestamps: bytes must be reproducible). */
export function model(graph: GraphProto, docString: string): ModelProto {
  return {
    ir_version: IR_VERSION,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: 'edge-inference-gateway/modelgen',
    producer_version: '1',
    doc_string: docString,
    graph,
  };
}
