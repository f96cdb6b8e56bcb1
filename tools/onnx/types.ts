/**
 * Plain-object shapes of the ONNX messages as protobufjs reads and writes them (snake_case, int64 as
 * number). Only the fields the model tools use are typed; the rest pass through untouched.
 */

/** ONNX `TensorProto.DataType` codes used by the tools. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  FLOAT16: 10,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

export interface TensorProto {
  name: string;
  dims: number[];
  data_type: number;
  raw_data?: Uint8Array;
  float_data?: number[];
  int64_data?: number[];
  int32_data?: number[];
  /** Set when the values live in a separate file (ONNX external data); the tools refuse such models. */
  external_data?: { key: string; value: string }[];
  data_location?: number;
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
  /** A subgraph (type 5, GRAPH): `If` then/else branches, `Loop` and `Scan` bodies. */
  g?: GraphProto;
  /** Subgraphs (type 10, GRAPHS). */
  graphs?: GraphProto[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain?: string;
  attribute?: AttributeProto[];
}

export interface Dimension {
  dim_value?: number;
  dim_param?: string;
}

export interface ValueInfoProto {
  name: string;
  /** Subgraph inputs of some exporters leave the type (or its shape) out: read it with `?.`. */
  type: { tensor_type: { elem_type: number; shape: { dim: Dimension[] } } };
}

export interface GraphProto {
  name: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
  value_info?: ValueInfoProto[];
  /** Sparse initializers, kept as their encoded bytes (the passes refuse models that have them). */
  sparse_initializer?: Uint8Array[];
  doc_string?: string;
}

export interface ModelProto {
  ir_version: number;
  opset_import: { domain: string; version: number }[];
  producer_name: string;
  producer_version?: string;
  doc_string?: string;
  graph: GraphProto;
  metadata_props?: { key: string; value: string }[];
}
