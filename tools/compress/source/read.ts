/**
 * Reading the FP32 model a user hands to `npm run compress`, with every check that can refuse it made
 * before anything is written: not ONNX, truncated, unsupported opset, external-data weights, no float
 * weights, input types the edge probe cannot feed, operators outside the domains onnxruntime-web runs.
 * Each refusal is a `CompressInputError` (../failure.ts) naming the problem.
 *
 * Domains: a model may declare any domain in `opset_import` (TF and sklearn exports declare `ai.onnx.ml`
 * without using it); what is refused is a node whose op comes from a domain onnxruntime-web has no kernels
 * for, named with its domain. `ai.onnx.ml` and `com.microsoft` (onnxruntime's contrib ops) are accepted:
 * onnxruntime-web runs them. Whether each op of an accepted domain really loads is then asked of
 * onnxruntime-web itself (web-check.ts).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { decodeModel } from '../../onnx/io.js';
import { DataType, type ModelProto } from '../../onnx/types.js';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { allGraphs, allNodes } from '../../onnx/scopes.js';
import { CompressInputError } from '../failure.js';
import { normalize } from '../passes/graph.js';

/** Default-domain opsets the passes understand (ConvInteger/MatMulInteger need 10; LayerNormalization 17). */
export const MIN_OPSET = 7;
export const MAX_OPSET = 21;

/** Operator domains onnxruntime-web has kernels for ('' and 'ai.onnx' are the default domain). */
export const RUNNABLE_DOMAINS: ReadonlySet<string> = new Set(['', 'ai.onnx', 'ai.onnx.ml', 'com.microsoft']);

const ELEM_DATATYPE: Record<number, TensorSpec['datatype']> = { [DataType.FLOAT]: 'FP32', [DataType.INT64]: 'INT64' };

export interface SourceModel {
  path: string;
  bytes: Uint8Array;
  /** As read. */
  original: ModelProto;
  /** Constants lifted, nodes named, BatchNorm folded: what the passes rewrite (the source as read with `passes: false`). */
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

/**
 * Reads and checks a model file; throws CompressInputError on anything the pipeline cannot handle. With
 * `passes: false` (only the fp32 variant is wanted) the checks that only the compression passes need (opset
 * range, float weights) are skipped and the model is not normalized.
 */
export function readSource(path: string, o: { passes: boolean } = { passes: true }): SourceModel {
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
  if (o.passes && (opset < MIN_OPSET || opset > MAX_OPSET)) throw new CompressInputError(`${path}: unsupported opset ${opset} (supported ${MIN_OPSET}..${MAX_OPSET}; --only fp32 profiles it without compressing)`);
  const foreign = new Map<string, string>();
  for (const n of allNodes(original.graph)) if (!RUNNABLE_DOMAINS.has(n.domain ?? '')) foreign.set(`${n.op_type} (domain ${n.domain})`, n.name);
  if (foreign.size) {
    const ops = [...foreign].map(([op, node]) => `${op}${node ? ` at node '${node}'` : ''}`).join(', ');
    throw new CompressInputError(`${path}: onnxruntime-web cannot run ${ops}: it only has kernels for the domains ${[...RUNNABLE_DOMAINS].filter(Boolean).join(', ')}`);
  }
  const graphs = allGraphs(original.graph);
  const sparse = graphs.reduce((n, g) => n + (g.sparse_initializer?.length ?? 0), 0);
  if (o.passes && sparse) throw new CompressInputError(`${path}: ${sparse} sparse initializer(s): the compression passes rewrite dense initializers only (--only fp32 profiles the model as it is)`);
  const tensors = graphs.flatMap((g) => [...g.initializer, ...g.node.flatMap((n) => (n.attribute ?? []).flatMap((a) => (a.t ? [a.t] : [])))]);
  const external = tensors.filter((t) => t.data_location === 1 || (t.external_data?.length ?? 0) > 0);
  if (external.length) throw new CompressInputError(`${path}: weights stored as external data (${external.slice(0, 3).map((t) => t.name || '(constant)').join(', ')}${external.length > 3 ? ', ...' : ''}); save the model with weights inside the .onnx file`);
  const inputs = specs(original.graph.input.filter((i) => !original.graph.initializer.some((t) => t.name === i.name)), 'input');
  const outputs = specs(original.graph.output, 'output');
  const { model, lifted, folded } = o.passes ? normalize(original) : { model: structuredClone(original), lifted: 0, folded: 0 };
  const floatWeights = allGraphs(model.graph).flatMap((g) => g.initializer).filter((t) => t.data_type === DataType.FLOAT && t.dims.reduce((a, b) => a * b, 1) > 1).length;
  if (o.passes && floatWeights === 0) throw new CompressInputError(`${path}: no float weights (no FP32 initializer or constant with more than one value, in the graph or its subgraphs): nothing to compress (--only fp32 profiles it as it is)`);
  model.graph.input = model.graph.input.filter((i) => inputs.some((s) => s.name === i.name));
  return { path, bytes, original, model, opset, inputs, outputs, floatWeights, lifted, folded };
}
