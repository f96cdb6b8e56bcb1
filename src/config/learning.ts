/**
 * The `learning` section of the gateway config: how the isolate learns latency from its own runs and the
 * origin's round trips (src/latency/estimator.ts, src/latency/clock-guard.ts) and how the selector uses it.
 * Deployment-level, like `edge`: the KV policy cannot change it.
 */
import { z } from 'zod';
import type { LearnerOptions } from '../latency/learner.js';

export const LearningSchema = z
  .object({
    enabled: z.boolean().describe('Predict from what this isolate learned (seeded by the fleet\'s published fit for its colo, else the manifest); off: that seed alone, never updated.').default(true),
    prior_weight: z.number().positive().describe('How many observations the manifest prior weighs at first (its weight halves every 10 learned runs).').default(4),
    forgetting: z.number().gt(0).max(1).describe('Weight kept by what was learned, per new observation (0.98: a memory of about 50 runs).').default(0.98),
    outlier_factor: z.number().gt(1).describe('Readings are clamped into [prediction / f, prediction x f] before they are learned (GC pauses).').default(3),
    tail_weight: z.number().nonnegative().describe('The selector predicts learned mean x (1 + tail_weight x tail), the tail being about the p90 relative residual.').default(1),
    frozen_clock_min_work_ms: z.number().nonnegative().describe('Edge runs predicted to take at least this (ms) are checked for a frozen clock.').default(0.5),
    frozen_clock_ratio: z.number().gt(0).lt(1).describe('An edge reading below this share of its prediction is suspect (a frozen clock reads about 0).').default(0.1),
    frozen_clock_after: z.number().int().positive().describe('Suspect readings after which the isolate\'s clock is considered frozen and edge runs are not learned.').default(3),
    origin_parallelism: z.number().positive().describe('Origin calls served at once without queueing: in-flight calls x learned cost / this is the origin\'s wait.').default(4),
  })
  .strict();

export type LearningConfig = z.infer<typeof LearningSchema>;

/** The learner's options from the config's `learning` section. */
export function learnerOptions(l: LearningConfig): LearnerOptions {
  return {
    estimator: { priorWeight: l.prior_weight, forgetting: l.forgetting, outlierFactor: l.outlier_factor },
    clock: { minWorkMs: l.frozen_clock_min_work_ms, ratio: l.frozen_clock_ratio, frozenAfter: l.frozen_clock_after },
  };
}
