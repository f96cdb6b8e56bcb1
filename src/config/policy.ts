/**
 * The routing policy's schema: the knobs ops may set globally (`policy`) and override per model (`models`),
 * by config or the POLICY KV overlay. Their precedence is resolved in one place, `resolvePolicy` (config.ts).
 */
import { z } from 'zod';
import { ANY_VARIANT } from '../lib/variant-list.js';
import { VariantList } from './variant-list.js';
import { ModelDevice } from './device.js';
import { CanarySchema, ModelMonitoring } from './monitoring.js';

const MiB = 1024 * 1024;

/** Routing policy knobs that can be set globally and overridden per model. */
export const PolicyFields = {
  slo_ms: z.number().positive().describe('Latency budget (ms) when the request names none.').default(500),
  variants: VariantList.describe('Variants the edge may run, by name, in any order; `*` stands for every variant of the model (the default, so a variant added to a model\'s folder is a candidate at once). The origin always serves `origin.variant`.').default([ANY_VARIANT]),
  accuracy_floor: z.number().min(0).max(1).describe('Lowest fidelity (accuracy, else top-1 agreement with fp32) a variant may have to be chosen.').default(0),
  save_data_fidelity_slack: z.number().min(0).max(1).describe('With Save-Data: accept this much fidelity loss for the cheapest candidate.').default(0.01),
  fidelity_tolerance: z.number().min(0).max(1).describe('Fidelities this close count as equal: the resolution of the measurement (top-1 agreement on 2000 samples moves in steps of 0.0005). Among equally faithful candidates meeting the budget the edge, then the faster, wins: a slower variant that is not measurably better only lengthens the queue for the requests behind it.').default(0.0005),
  edge_memory_budget_bytes: z.number().int().positive().describe('WASM memory a single variant may take in the isolate.').default(96 * MiB),
  origin_enabled: z.boolean().describe('Whether the origin may serve this model.').default(true),
  batching: z.boolean().describe('Dynamic batching at the edge for models with a batch axis.').default(true),
  max_batch_size: z.number().int().positive().describe('Largest batch (sum of request batch sizes) one edge run may take.').default(32),
  max_queue_delay_ms: z.number().nonnegative().describe('Longest wait for more requests to batch (ms); a request\'s SLO slack bounds it further.').default(2),
  allow_client_pins: z.boolean().describe('Whether a client\'s `x-model-variant` may pick a variant outside `variants` or below `accuracy_floor` (off: 400).').default(false),
  allow_non_finite: z.boolean().describe('Whether float inputs may hold NaN or ±Infinity (JSON `1e999`, binary bit patterns). Off: 400.').default(false),
  refuse_predicted_miss: z.boolean().describe('Refuse (422, with the arithmetic) a request whose SLO the facts say cannot be met: the fastest candidate\'s measured latency against the SLO less the round trip the client\'s own hints state and the gateway\'s overhead (never a default network or the upload time). Off: the fastest runs, flagged as a predicted miss, unless the caller itself asks (`x-slo-strict: 1`, or a v2 `parameters.timeout`).').default(false),
  priority_levels: z.number().int().min(1).max(100).describe('Triton\'s request priorities: `parameters.priority` 1 (highest) to `priority_levels` (lowest) orders the batch queue; 0 or absent is `default_priority_level` (clamped to the levels).').default(2),
  default_priority_level: z.number().int().min(1).max(100).describe('The priority level of a request that sends none (or 0); clamped to `priority_levels`.').default(2),
  unverified_fidelity: z.enum(['serve', 'avoid', 'refuse']).describe('What to do with a compressed variant whose fidelity was measured on random inputs (manifest `eval_set_kind: random`), which overstate it: `serve` treats it as measured; `avoid` chooses it only when no verified candidate meets the budget; `refuse` never runs it unless pinned. fp32 is the reference, always verified.').default('avoid'),
};
export const PolicySchema = z.object(PolicyFields).strict();
export type Policy = z.infer<typeof PolicySchema>;

/** The layer a resolved policy value came from (request > model policy > global policy). */
export const PolicyLayer = z.enum(['request', 'model', 'global']);

/**
 * A policy as resolved for one request (config.ts `resolvePolicy`), with where each value came from: the
 * type the core returns and the schema explain's answer is documented with (routes/admin.ts), one declaration.
 */
export const ResolvedPolicySchema = PolicySchema.extend({
  sources: z.record(PolicySchema.keyof(), PolicyLayer).describe('Where each value came from: request, model or global'),
});

// Listed field by field, defaults unwrapped: Policy.partial() would fill every default in and make a model
// policy override the global one with values nobody set (zod 4 applies defaults inside optional).
export const ModelPolicy = z
  .object({
    slo_ms: PolicyFields.slo_ms.unwrap().optional(),
    variants: PolicyFields.variants.unwrap().optional(),
    accuracy_floor: PolicyFields.accuracy_floor.unwrap().optional(),
    save_data_fidelity_slack: PolicyFields.save_data_fidelity_slack.unwrap().optional(),
    fidelity_tolerance: PolicyFields.fidelity_tolerance.unwrap().optional(),
    edge_memory_budget_bytes: PolicyFields.edge_memory_budget_bytes.unwrap().optional(),
    origin_enabled: PolicyFields.origin_enabled.unwrap().optional(),
    batching: PolicyFields.batching.unwrap().optional(),
    max_batch_size: PolicyFields.max_batch_size.unwrap().optional(),
    max_queue_delay_ms: PolicyFields.max_queue_delay_ms.unwrap().optional(),
    allow_client_pins: PolicyFields.allow_client_pins.unwrap().optional(),
    allow_non_finite: PolicyFields.allow_non_finite.unwrap().optional(),
    refuse_predicted_miss: PolicyFields.refuse_predicted_miss.unwrap().optional(),
    priority_levels: PolicyFields.priority_levels.unwrap().optional(),
    default_priority_level: PolicyFields.default_priority_level.unwrap().optional(),
    unverified_fidelity: PolicyFields.unverified_fidelity.unwrap().optional(),
    device: ModelDevice.optional().describe('The device tier for this model (src/config/device.ts): `allow`, download budget, variants, ...'),
    monitoring: ModelMonitoring.optional().describe('Production fidelity for this model (src/config/monitoring.ts): its floor, operators\' clears, and the shared `monitoring` knobs for this model alone (unset: the global value).'),
    canary: CanarySchema.optional().describe('A canary rollout of one of this model\'s variants (src/config/monitoring.ts): its share, the samples it must pass, its latency bound, who may pin it.'),
  })
  .strict();
