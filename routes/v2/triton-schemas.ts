/**
 * The schemas of Triton's model_configuration, model_repository and statistics extensions
 * (routes/v2/triton.ts): the answers in the JSON shapes tritonclient.http reads, and the optional request
 * bodies, which the routes parse themselves (an empty body is Triton's default, and a zod body would make
 * zod-openapi refuse it before the route's own 400).
 */
import { z } from '@hono/zod-openapi';

const Duration = z.object({ count: z.number().int(), ns: z.number().int() }).openapi('TritonDurationStat');
/** A field Triton prints that is always empty here (z.never has no OpenAPI form). */
const EmptyList = z.array(z.unknown()).max(0);
const EmptyMap = z.object({}).strict();
const Dims = z.array(z.number().int()).openapi({ description: 'Without the batch axis when max_batch_size > 0; -1 is dynamic' });

export const ModelConfigBody = z
  .object({
    name: z.string(),
    platform: z.literal('onnxruntime_onnx'),
    backend: z.literal('onnxruntime'),
    runtime: z.string(),
    version_policy: z.object({ latest: z.object({ num_versions: z.number().int() }) }),
    max_batch_size: z.number().int().openapi({ description: 'Largest batch of one execution (dynamic batching cap); 0: no batch axis' }),
    input: z.array(z.object({ name: z.string(), data_type: z.string().openapi({ example: 'TYPE_FP32' }), format: z.string(), dims: Dims, is_shape_tensor: z.boolean(), allow_ragged_batch: z.boolean(), optional: z.boolean(), is_non_linear_format_io: z.boolean() })),
    output: z.array(z.object({ name: z.string(), data_type: z.string(), dims: Dims, label_filename: z.string(), is_shape_tensor: z.boolean(), is_non_linear_format_io: z.boolean() })),
    batch_input: EmptyList,
    batch_output: EmptyList,
    dynamic_batching: z
      .object({
        preferred_batch_size: z.array(z.number().int()),
        max_queue_delay_microseconds: z.number().int(),
        preserve_ordering: z.boolean(),
        priority_levels: z.number().int(),
        default_priority_level: z.number().int(),
        default_queue_policy: z.object({
          timeout_action: z.enum(['REJECT', 'DELAY']),
          default_timeout_microseconds: z.number().int().openapi({ description: 'The policy SLO; overridable per request (x-slo-ms)' }),
          allow_timeout_override: z.boolean(),
          max_queue_size: z.number().int(),
        }),
        priority_queue_policy: EmptyMap,
      })
      .optional()
      .openapi({ description: 'Present when the model has a batch axis and its policy batches' }),
    instance_group: z.array(z.object({ name: z.string(), kind: z.literal('KIND_CPU'), count: z.number().int(), gpus: EmptyList, secondary_devices: EmptyList, profile: EmptyList, passive: z.boolean(), host_policy: z.string() })),
    default_model_filename: z.string(),
    cc_model_filenames: EmptyMap,
    metric_tags: EmptyMap,
    parameters: z.record(z.string(), z.object({ string_value: z.string() })).openapi({ description: '`variants` the router may choose from, the default `slo_ms`' }),
    model_warmup: EmptyList,
  })
  .openapi('TritonModelConfig');

export const RepositoryIndex = z
  .array(z.object({ name: z.string(), version: z.string(), state: z.enum(['READY', 'UNAVAILABLE']), reason: z.string() }))
  .openapi('TritonRepositoryIndex');

/** `{"ready": true}` lists only the ready models; unknown fields are ignored. */
export const RepositoryIndexRequest = z.object({ ready: z.boolean().optional() }).openapi('TritonRepositoryIndexRequest');

/** Triton's load and unload bodies: only `parameters`, whose unknown keys are ignored. */
export const RepositoryModelRequest = z.object({ parameters: z.record(z.string(), z.unknown()).optional() }).openapi('TritonRepositoryModelRequest');

const BatchStat = z.object({ batch_size: z.number().int(), compute_input: Duration, compute_infer: Duration, compute_output: Duration });
const InferenceStats = z.object({
  success: Duration,
  fail: Duration,
  queue: Duration,
  compute_input: Duration,
  compute_infer: Duration,
  compute_output: Duration,
  cache_hit: Duration,
  cache_miss: Duration,
});
const Counts = {
  last_inference: z.number().int().openapi({ description: 'ms since the epoch; 0: none yet' }),
  inference_count: z.number().int(),
  execution_count: z.number().int(),
  inference_stats: InferenceStats,
  batch_stats: z.array(BatchStat),
};

export const ModelStats = z
  .object({
    model_stats: z.array(
      z.object({
        name: z.string(),
        version: z.string(),
        ...Counts,
        response_stats: EmptyMap,
        memory_usage: EmptyList,
        variant_stats: z
          .array(z.object({ variant: z.string(), target: z.enum(['edge', 'origin']), ...Counts }))
          .openapi({ description: 'Not Triton\'s: the successes per variant and target (failures count on the model)' }),
      }),
    ),
  })
  .openapi('TritonModelStats');
