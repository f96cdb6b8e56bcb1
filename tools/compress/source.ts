/**
 * Reading the FP32 model a user hands to `npm run compress`, with every check that can refuse it made
 * before anything is written: not ONNX, truncated, unsupported opset, external-data weights, no float
 * weights, input types the edge probe cannot feed. Each refusal is a `CompressInputError` naming the problem.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { decodeModel } from '../onnx/io.js';
import { DataType, type ModelProto } from '../onnx/types.js';
import type { TensorSpec } from '../../src/protocol/datatypes.js';
import { normalize } from './graph.js';

/** A problem with the user's input files: the CLI prints the message and exits 2, writing nothing. */
export class CompressInputError extends Error {
  override readonly name = 'CompressInputError';
}

/** Default-domain opsets the passes understand (ConvInteger/MatMulInteger need 10; LayerNormalization 17). */
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

const ELEM_DATATYPE: Record<number, TensorSpec['datatype']> = { [DataType.FLOAT]: 'FP32', [DataType.INT64]: 'INT64' };

export interface SourceModel {
  path: string;
  bytes: Uint8Array;
  /** As read. */
  original: ModelProto;
  /** Constants lifted, nodes named, BatchNorm folded: what the passes rewrite. */
  model: ModelProto;
  opset: number;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  floatWeights: number;
  lifted: number;
  folded: number;
}

function specs(list: ModelProto['graph']['input'], what: string): TensorSpec[] {
  return list.map((v) => {
    const datatype = ELEM_DATATYPE[v.type?.tensor_type?.elem_type ?? 0];
    if (!datatype) throw new CompressInputError(`${what} '${v.name}' has element type ${v.type?.tensor_type?.elem_type}; only FP32 and INT64 ${what}s are supported`);
    return { name: v.name, datatype, shape: (v.type.tensor_type.shape?.dim ?? []).map((d) => (d.dim_value !== undefined && d.dim_value > 0 ? d.dim_value : -1)) };
  });
}

/** Reads and checks a model file; throws CompressInputError on anything the pipeline cannot handle. */
export function readSource(path: string): SourceModel {
  if (!existsSync(path) || !statSync(path).isFile()) throw new CompressInputError(`${path}: no such file`);
  const bytes = new Uint8Array(readFileSync(path));
  if (bytes.length === 0) throw new CompressInputError(`${path}: empty file, not an ONNX model`);
  let original: ModelProto;
  try {
    original = decodeModel(bytes);
  } catch (err) {
    const msg = (err as Error).message;
    if (/index out of range/.test(msg)) throw new CompressInputError(`${path}: truncated or corrupt ONNX file (protobuf ends early: ${msg})`);
    throw new CompressInputError(`${path}: not an ONNX model (protobuf decode failed: ${msg})`);
  }
  if (!original.graph || !original.graph.node?.length || !original.ir_version) throw new CompressInputError(`${path}: not an ONNX model (no ir_version or no graph nodes)`);
  const opset = original.opset_import?.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')?.version;
  if (opset === undefined) throw new CompressInputError(`${path}: no default-domain opset_import; not a standard ONNX model`);
  if (opset < MIN_OPSET || opset > MAX_OPSET) throw new CompressInputError(`${path}: unsupported opset ${opset} (supported ${MIN_OPSET}..${MAX_OPSET})`);
  const custom = original.opset_import.filter((o) => o.domain && o.domain !== 'ai.onnx').map((o) => o.domain);
  if (custom.length) throw new CompressInputError(`${path}: custom operator domains ${custom.join(', ')} are not supported`);
  const tensors = [...original.graph.initializer, ...original.graph.node.flatMap((n) => (n.attribute ?? []).flatMap((a) => (a.t ? [a.t] : [])))];
  const external = tensors.filter((t) => t.data_location === 1 || (t.external_data?.length ?? 0) > 0);
  if (external.length) throw new CompressInputError(`${path}: weights stored as external data (${external.slice(0, 3).map((t) => t.name || '(constant)').join(', ')}${external.length > 3 ? ', ...' : ''}); save the model with weights inside the .onnx file`);
  const inputs = specs(original.graph.input.filter((i) => !original.graph.initializer.some((t) => t.name === i.name)), 'input');
  const outputs = specs(original.graph.output, 'output');
  const { model, lifted, folded } = normalize(original);
  const floatWeights = model.graph.initializer.filter((t) => t.data_type === DataType.FLOAT && t.dims.reduce((a, b) => a * b, 1) > 1).length;
  if (floatWeights === 0) throw new CompressInputError(`${path}: no float weights (no FP32 initializer or constant with more than one value): nothing to compress`);
  model.graph.input = model.graph.input.filter((i) => inputs.some((s) => s.name === i.name));
  return { path, bytes, original, model, opset, inputs, outputs, floatWeights, lifted, folded };
}
