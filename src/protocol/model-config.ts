/**
 * Triton's model configuration extension (`GET /v2/models/{m}/config`): the JSON form of its ModelConfig
 * (common/protobuf/model_config.proto) as Triton prints it, so tritonclient and perf_analyzer read ours like
 * theirs: snake_case field names, enums by name ("TYPE_FP32", "KIND_CPU"), every scalar and repeated field
 * printed even at its default (Triton prints with protobuf's always_print_primitive_fields), 64-bit integers
 * as JSON numbers (Triton rewrites protobuf's strings), and message fields only where they mean something
 * here (no `optimization`, `rate_limiter`, `sequence_batching`: nothing of ours answers to them).
 *
 * Pure, and below the registry and config layers: it takes the parts of a manifest and of a resolved policy it
 * needs as plain shapes (ModelManifest and ResolvedPolicy are both assignable to them).
 */
import type { Datatype, TensorSpec } from './datatypes.js';
import { inListOrder } from '../lib/variant-list.js';

/** What the config is built from, read from a model manifest. */
export interface ConfigModel {
  name: string;
  version: string;
  /** Axis 0 of every input and output is the batch axis (Triton: max_batch_size > 0, dims without it). */
  batch_axis: boolean;
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  variants: Readonly<Partial<Record<string, unknown>>>;
}

/** What the config says of scheduling, read from the model's resolved policy. */
export interface SchedulingPolicy {
  batching: boolean;
  max_batch_size: number;
  max_queue_delay_ms: number;
  slo_ms: number;
  /** Triton's request priorities, as the batch queue orders them (src/engine/batch-queue.ts). */
  priority_levels: number;
  default_priority_level: number;
  /** Variants the policy lets the edge run. */
  variants: readonly string[];
}

export interface TritonQueuePolicy {
  timeout_action: 'REJECT' | 'DELAY';
  default_timeout_microseconds: number;
  allow_timeout_override: boolean;
  max_queue_size: number;
}

export interface TritonModelConfig {
  name: string;
  platform: 'onnxruntime_onnx';
  backend: 'onnxruntime';
  runtime: string;
  version_policy: { latest: { num_versions: number } };
  max_batch_size: number;
  input: { name: string; data_type: string; format: 'FORMAT_NONE'; dims: number[]; is_shape_tensor: false; allow_ragged_batch: false; optional: false; is_non_linear_format_io: false }[];
  output: { name: string; data_type: string; dims: number[]; label_filename: string; is_shape_tensor: false; is_non_linear_format_io: false }[];
  batch_input: never[];
  batch_output: never[];
  dynamic_batching?: {
    preferred_batch_size: number[];
    max_queue_delay_microseconds: number;
    preserve_ordering: boolean;
    priority_levels: number;
    default_priority_level: number;
    default_queue_policy: TritonQueuePolicy;
    priority_queue_policy: Record<string, never>;
  };
  instance_group: { name: string; kind: 'KIND_CPU'; count: number; gpus: never[]; secondary_devices: never[]; profile: never[]; passive: boolean; host_policy: string }[];
  default_model_filename: string;
  cc_model_filenames: Record<string, never>;
  metric_tags: Record<string, never>;
  parameters: Record<string, { string_value: string }>;
  model_warmup: never[];
}

/** Triton's DataType enum name of a v2 datatype (BYTES is TYPE_STRING in model_config.proto). */
export function tritonDataType(datatype: Datatype): string {
  return datatype === 'BYTES' ? 'TYPE_STRING' : `TYPE_${datatype}`;
}

const micros = (ms: number) => Math.round(ms * 1000);

/**
 * The ModelConfig of `model` under `policy`. `site` decides the queue's timeout action: the origin never
 * starts a run past its request's deadline (REJECT, 504); the edge runs it anyway, since a late answer still
 * reaches a client that waits for it (DELAY). The default timeout is the policy's SLO, which a request may
 * override (`x-slo-ms`, `parameters.slo_ms`).
 *
 * max_batch_size is the largest batch one execution takes (the dynamic batcher's cap), as in Triton; a single
 * request may carry more (up to `limits.max_batch`), so a client that keeps within it is never refused.
 */
export function modelConfig(model: ConfigModel, policy: SchedulingPolicy, site: 'edge' | 'origin'): TritonModelConfig {
  const batched = model.batch_axis;
  // Triton's dims leave out the batch axis when max_batch_size > 0; -1 stays a dynamic dimension.
  const dims = (spec: TensorSpec) => (batched ? spec.shape.slice(1) : [...spec.shape]);
  const variants = inListOrder(policy.variants, Object.keys(model.variants));
  return {
    name: model.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    runtime: '',
    version_policy: { latest: { num_versions: 1 } },
    max_batch_size: batched ? policy.max_batch_size : 0,
    input: model.inputs.map((spec) => ({
      name: spec.name,
      data_type: tritonDataType(spec.datatype),
      format: 'FORMAT_NONE',
      dims: dims(spec),
      is_shape_tensor: false,
      allow_ragged_batch: false,
      optional: false,
      is_non_linear_format_io: false,
    })),
    output: model.outputs.map((spec) => ({ name: spec.name, data_type: tritonDataType(spec.datatype), dims: dims(spec), label_filename: '', is_shape_tensor: false, is_non_linear_format_io: false })),
    batch_input: [],
    batch_output: [],
    ...(batched && policy.batching
      ? {
          dynamic_batching: {
            preferred_batch_size: [],
            max_queue_delay_microseconds: micros(policy.max_queue_delay_ms),
            preserve_ordering: false,
            priority_levels: policy.priority_levels,
            default_priority_level: Math.min(policy.default_priority_level, policy.priority_levels),
            default_queue_policy: { timeout_action: site === 'origin' ? 'REJECT' : 'DELAY', default_timeout_microseconds: micros(policy.slo_ms), allow_timeout_override: true, max_queue_size: 0 },
            priority_queue_policy: {},
          },
        }
      : {}),
    // One WASM thread per isolate (edge); the origin's one engine: a single CPU instance either way.
    instance_group: [{ name: `${model.name}_0`, kind: 'KIND_CPU', count: 1, gpus: [], secondary_devices: [], profile: [], passive: false, host_policy: '' }],
    default_model_filename: '',
    cc_model_filenames: {},
    metric_tags: {},
    // Not Triton's own (ModelParameter string values): the variants the router may choose from, and the default SLO.
    parameters: { variants: { string_value: variants.join(',') }, slo_ms: { string_value: String(policy.slo_ms) } },
    model_warmup: [],
  };
}
