/**
 * One Triton model configuration (config.pbtxt's content, as ModelConfig's JSON form) for a served model:
 * its inputs and outputs read from the ONNX graph and checked against the manifest, the batching and queue
 * policy derived from the gateway's SLO (../slo.ts), onnxruntime's threads, the labels of classifier outputs.
 *
 * Variants are versions of one Triton model, not models of their own: the gateway's origin client calls
 * `/v2/models/<name>/infer` (the variant rides in `x-model-variant`, a header Triton ignores), so Triton must
 * serve the model under its catalog name, and a version is how Triton serves other weights behind one name,
 * one signature and one config. Triton answers an unversioned request with the highest version it has loaded,
 * so the variant the origin serves (`origin.variant`) is the highest; the model's other variants (an open set)
 * are numbered 1, 2, ... below it in name order, over all its variants whichever are exported, so a number
 * means the same variant in every export of one catalog. `version_policy: specific` loads only the exported ones.
 */
import type { JsonObject } from '@bufbuild/protobuf';
import type { GatewayConfig } from '../../../src/config.js';
import { resolvePolicy } from '../../../src/config.js';
import type { Datatype } from '../../../src/protocol/datatypes.js';
import type { ModelManifest, VariantName } from '../../../src/registry/manifest.js';
import type { ModelSignature, TensorSignature } from '../../onnx/signature.js';
import type { CloudTargets } from '../slo.js';

/** Triton version numbers of a model's variants: the served one highest, the others below it in name order. */
export function tritonVersions(manifest: Pick<ModelManifest, 'variants'>, served: VariantName): Record<VariantName, number> {
  const others = Object.keys(manifest.variants).filter((v) => v !== served).sort();
  return Object.fromEntries([...others.map((v, i) => [v, i + 1] as const), [served, others.length + 1] as const]);
}

/** ONNX TensorProto.DataType codes -> Triton's DataType names. */
const ONNX_TO_TRITON: Readonly<Record<number, string>> = Object.freeze({
  1: 'TYPE_FP32', 2: 'TYPE_UINT8', 3: 'TYPE_INT8', 4: 'TYPE_UINT16', 5: 'TYPE_INT16', 6: 'TYPE_INT32', 7: 'TYPE_INT64',
  8: 'TYPE_STRING', 9: 'TYPE_BOOL', 10: 'TYPE_FP16', 11: 'TYPE_FP64', 12: 'TYPE_UINT32', 13: 'TYPE_UINT64', 16: 'TYPE_BF16',
});

/** The v2 datatype of the manifest as Triton's DataType name (BYTES is TYPE_STRING). */
export function tritonType(datatype: Datatype): string {
  return datatype === 'BYTES' ? 'TYPE_STRING' : `TYPE_${datatype}`;
}

/** Triton's type for an ONNX element type code; throws on one Triton has none for. */
export function tritonTypeOfOnnx(elemType: number): string {
  const t = ONNX_TO_TRITON[elemType];
  if (!t) throw new Error(`ONNX element type ${elemType} has no Triton DataType`);
  return t;
}

/** The file (in the model's folder) that holds one output's labels, one per line: Triton's label_filename. */
export function labelFile(output: string): string {
  return `labels_${output.replace(/[^A-Za-z0-9_.-]/g, '_')}.txt`;
}

/**
 * The dims Triton wants for one graph tensor: without the batch axis when the model has one (Triton adds it
 * back, up to max_batch_size), a symbolic or unknown dim as -1. Checked against the manifest's shape, whose -1s
 * must be the graph's symbolic dims and whose numbers its numbers, and against a batch axis the graph fixes.
 */
export function tritonDims(model: ModelManifest, spec: { name: string; shape: number[] }, graph: TensorSignature): number[] {
  const dims = graph.dims.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
  const where = `${model.name}: ${spec.name}`;
  if (model.batch_axis && dims[0] !== -1) throw new Error(`${where}: the manifest has a batch axis but the graph fixes axis 0 at ${dims[0]}`);
  if (dims.length !== spec.shape.length || dims.some((d, i) => d !== spec.shape[i])) {
    throw new Error(`${where}: the ONNX graph's shape [${dims}] is not the manifest's [${spec.shape}]`);
  }
  return model.batch_axis ? dims.slice(1) : dims;
}

/** The graph's tensor named `name`, with its type checked against the manifest's datatype. */
function graphTensor(model: ModelManifest, graph: TensorSignature[], spec: { name: string; datatype: Datatype }, kind: string): TensorSignature {
  const t = graph.find((g) => g.name === spec.name);
  if (!t) throw new Error(`${model.name}: the ONNX graph has no ${kind} '${spec.name}' (it has ${graph.map((g) => g.name).join(', ')})`);
  if (tritonTypeOfOnnx(t.elemType) !== tritonType(spec.datatype)) {
    throw new Error(`${model.name}: ${kind} '${spec.name}' is ${tritonTypeOfOnnx(t.elemType)} in the graph, ${spec.datatype} in the manifest`);
  }
  return t;
}

export interface ModelConfigInput {
  config: GatewayConfig;
  manifest: ModelManifest;
  /** The signature shared by every exported variant (checked equal by the caller). */
  signature: ModelSignature;
  /** Exported variants, and the one the origin serves (the highest version). */
  variants: VariantName[];
  served: VariantName;
  targets: CloudTargets;
  /** CPU cores one replica has: onnxruntime's intra-op threads. */
  cpus: number;
}

/** The model's ModelConfig in JSON form (proto3 JSON names), ready for proto.ts `toPbtxt`. */
export function tritonModelConfig({ config, manifest, signature, variants, served, targets, cpus }: ModelConfigInput): JsonObject {
  const version = tritonVersions(manifest, served);
  const policy = resolvePolicy(config, manifest.name);
  if (manifest.inputs.length !== signature.inputs.length) {
    throw new Error(`${manifest.name}: the manifest has ${manifest.inputs.length} inputs, the ONNX graph ${signature.inputs.length}`);
  }
  const input = manifest.inputs.map((spec) => ({
    name: spec.name,
    dataType: tritonType(spec.datatype),
    dims: tritonDims(manifest, spec, graphTensor(manifest, signature.inputs, spec, 'input')),
  }));
  const output = manifest.outputs.map((spec) => ({
    name: spec.name,
    dataType: tritonType(spec.datatype),
    dims: tritonDims(manifest, spec, graphTensor(manifest, signature.outputs, spec, 'output')),
    ...(spec.labels ? { labelFilename: labelFile(spec.name) } : {}),
  }));
  const levels = policy.priority_levels;
  return {
    name: manifest.name,
    platform: 'onnxruntime_onnx',
    versionPolicy: { specific: { versions: variants.map((v) => version[v]!).sort((a, b) => a - b) } },
    // Every request the gateway accepts (limits.max_batch) is one Triton accepts; without a batch axis, 0.
    maxBatchSize: manifest.batch_axis ? config.limits.max_batch : 0,
    input,
    output,
    ...(manifest.batch_axis
      ? {
          dynamicBatching: {
            // policy.batching off: no waiting for batch mates, the queue policy still holds.
            maxQueueDelayMicroseconds: policy.batching ? targets.max_queue_delay_us : 0,
            // The gateway forwards `priority` as sent, with the same levels and default as its own batch queue.
            priorityLevels: levels,
            defaultPriorityLevel: Math.min(policy.default_priority_level, levels),
            // A caller's own `parameters.timeout` (µs, forwarded by the gateway) may shorten it, never lengthen it.
            defaultQueuePolicy: { timeoutAction: 'REJECT', defaultTimeoutMicroseconds: targets.queue_timeout_us, allowTimeoutOverride: true },
          },
        }
      : {}),
    instanceGroup: [{ count: 1, kind: 'KIND_CPU' }],
    // onnxruntime_backend's session threads: one replica's cores for one run, runs side by side across models.
    parameters: {
      intra_op_thread_count: { stringValue: String(cpus) },
      inter_op_thread_count: { stringValue: '1' },
    },
  };
}
