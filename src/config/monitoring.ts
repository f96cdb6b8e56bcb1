/**
 * The `monitoring` section of the gateway config and its per-model overrides (`models.<name>.monitoring`,
 * `models.<name>.canary`): how often answers are checked against the model's reference in the background,
 * what that may cost an isolate, when production evidence is sure enough to demote a variant, and canary
 * rollouts. The per-model parts ride the KV policy like any model knob, so ops can start a canary, move a
 * floor or clear a demotion without a deploy; the budgets are the deployment's.
 */
import { z } from 'zod';
import { VariantName } from '../registry/manifest.js';
import type { WatchSettings } from '../monitor/monitor.js';

/** Every knob that can also be set per model, with its global default. */
const Shared = {
  enabled: z.boolean().describe('Check answers against the model\'s reference in the background (shadow checks), judge each variant\'s production fidelity, demote and run canaries. Off: no shadow work, no demotion, a canary is held out.').default(true),
  shadow_rate: z.number().min(0).max(1).describe('Share of answered requests per model whose inputs also run on the model\'s reference variant (fp32 at the edge when it fits, else at the origin) after the answer is sent, to compare the two outputs. A canary\'s answers are always checked.').default(0.01),
  confidence: z.number().gt(0.5).lt(1).describe('One-sided confidence of every verdict: a variant is demoted (a canary rolled back) when the upper bound of its production fidelity at this confidence is below its floor (Wilson\'s interval for agreement, mean + z·standard error for cosine and errors), re-admitted or promoted when the lower bound is at or above it. 0.999 by default: the verdict is looked at after every check, and at 0.99 a variant 1 point above its floor was demoted by chance in 10% of 10,000-check runs (npm run bench:looks).').default(0.999),
  min_samples: z.number().int().positive().describe('Production samples a variant needs before any verdict: with fewer it keeps its offline figure. A test looked at after every sample is optimistic at small n.').default(30),
  window: z.number().int().positive().describe('The most recent samples a verdict is drawn from (per variant, in each isolate and fleet-wide): older evidence ages out, so a variant that served well for a week is judged on what it does now, and a drift shows within about this many checked samples. A canary\'s window is at least its `min_samples`.').default(400),
};

export const MonitoringSchema = z
  .object({
    ...Shared,
    max_concurrent: z.number().int().positive().describe('Shadow checks one isolate runs at once; more are skipped (counted by reason in `gateway_shadow_skipped_total`).').default(1),
    cpu_ms_per_minute: z.number().nonnegative().describe('Predicted compute (ms) shadow work may spend per minute in one isolate, refilled continuously: production clocks stand still during CPU work, so the allowance is counted in the latency learner\'s predictions (the fleet\'s fits in production).').default(600),
    origin_per_minute: z.number().nonnegative().describe('Shadow calls to the origin (for references that do not fit the edge) per minute per isolate; never while its circuit breaker is open.').default(30),
    max_queue_ms: z.number().nonnegative().describe('No shadow work starts while more than this much predicted edge work (ms) is queued in the isolate: callers first.').default(5),
  })
  .strict();
export type MonitoringConfig = z.infer<typeof MonitoringSchema>;

/** A canary rollout of one of the model's variants (a new variant, or a new version of the model as a variant). */
export const CanarySchema = z
  .object({
    variant: VariantName.describe('The variant under canary: held out of automatic choice but for its share.'),
    share: z.number().gt(0).max(1).describe('Share of the model\'s requests routed to the canary (when it is kept and meets the budget, and a shadow check can be afforded); every canary answer is checked against the reference.').default(0.05),
    min_samples: z.number().int().positive().describe('Checked canary answers over which it must be surely at or above its floor (and within its latency bound) to be promoted.').default(200),
    max_latency_ms: z.number().positive().optional().describe('The canary\'s predicted compute for a one-item request (learned; in production the fleet\'s fit) must be within this to be promoted; over it after `min_samples`, it is rolled back. Absent: the model\'s `slo_ms`.'),
    pin_callers: z.array(z.string().min(1)).describe('Caller ids (the first 16 hex digits of an API key\'s SHA-256) that may pin the canary with `x-model-variant` before it is promoted; any other pin is a 400 unless the policy sets `allow_client_pins`.').default([]),
    started: z.iso.datetime().optional().describe('When the canary started: fleet evidence of the variant from before this does not count for it.'),
  })
  .strict();
export type CanaryConfig = z.infer<typeof CanarySchema>;

/** Per-model monitoring: any shared knob, the floor, and operators' clears. None defaulted (the global value shows through). */
export const ModelMonitoring = z
  .object({
    ...(Object.fromEntries(Object.entries(Shared).map(([k, v]) => [k, v.unwrap().optional()])) as { [K in keyof typeof Shared]: z.ZodOptional<ReturnType<(typeof Shared)[K]['unwrap']>> }),
    floor: z.number().min(0).max(1).optional().describe('The production fidelity (agreement with the reference, else cosine, 1 − relative error, 1 − drift) below which a variant is demoted. Absent: the model\'s `accuracy_floor` (default 0: nothing is demoted).'),
    cleared: z.record(VariantName, z.iso.datetime()).optional().describe('Operators\' clears, variant -> when (written by `POST /admin/variants/{model}/{variant}/clear`): evidence from before it no longer counts, a demotion is lifted, a rolled-back canary is a canary again.'),
  })
  .strict();
export type ModelMonitoring = z.infer<typeof ModelMonitoring>;

/** The monitor's settings for one model: model > global > default; the floor falls back to the policy's accuracy floor. */
export function resolveMonitoring(global: MonitoringConfig, model: { monitoring?: ModelMonitoring | undefined; canary?: CanaryConfig | undefined } | undefined, accuracyFloor: number, sloMs: number): WatchSettings {
  const m = model?.monitoring ?? {};
  const canary = model?.canary;
  return {
    enabled: m.enabled ?? global.enabled,
    shadowRate: m.shadow_rate ?? global.shadow_rate,
    rule: { floor: m.floor ?? accuracyFloor, confidence: m.confidence ?? global.confidence, minSamples: m.min_samples ?? global.min_samples },
    windowSamples: Math.max(m.window ?? global.window, canary?.min_samples ?? 0),
    limits: { maxConcurrent: global.max_concurrent, cpuMsPerMinute: global.cpu_ms_per_minute, originPerMinute: global.origin_per_minute, maxQueueMs: global.max_queue_ms },
    cleared: Object.fromEntries(Object.entries(m.cleared ?? {}).map(([v, at]) => [v, Date.parse(at)])),
    ...(canary
      ? { canary: { variant: canary.variant, share: canary.share, minSamples: canary.min_samples, maxLatencyMs: canary.max_latency_ms ?? sloMs, pinCallers: canary.pin_callers, started: canary.started ? Date.parse(canary.started) : 0 } }
      : {}),
  };
}
