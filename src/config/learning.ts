/**
 * The `learning` section of the gateway config: how the isolate learns latency from its own runs and the
 * origin's round trips (src/select/estimator.ts, src/select/clock-guard.ts) and how the selector uses it.
 * Deployment-level, like `edge`: the KV policy cannot change it.
 */
import { z } from 'zod';

export const LearningSchema = z
  .object({
    /** Predict from what this isolate learned (seeded by the manifest); off: the manifest profile x speed factor. */
    enabled: z.boolean().default(true),
    /** How many observations the manifest prior weighs at first (its weight halves every 10 learned runs). */
    prior_weight: z.number().positive().default(4),
    /** Weight kept by what was learned, per new observation (0.98: a memory of about 50 runs). */
    forgetting: z.number().gt(0).max(1).default(0.98),
    /** Readings are clamped into [prediction / f, prediction x f] before they are learned (GC pauses). */
    outlier_factor: z.number().gt(1).default(3),
    /** The selector predicts learned mean x (1 + tail_weight x tail), the tail being about the p90 relative residual. */
    tail_weight: z.number().nonnegative().default(1),
    /** Edge runs predicted to take at least this (ms) are checked for a frozen clock. */
    frozen_clock_min_work_ms: z.number().nonnegative().default(0.5),
    /** An edge reading below this share of its prediction is suspect (a frozen clock reads about 0). */
    frozen_clock_ratio: z.number().gt(0).lt(1).default(0.1),
    /** Suspect readings after which the isolate's clock is considered frozen and edge runs are not learned. */
    frozen_clock_after: z.number().int().positive().default(3),
    /** Origin calls served at once without queueing: in-flight calls x learned cost / this is the origin's wait. */
    origin_parallelism: z.number().positive().default(4),
  })
  .strict();

export type LearningConfig = z.infer<typeof LearningSchema>;
