/**
 * Learned latency profiles: what production measured for each edge variant, published by the feedback Tail
 * Worker (tail/) under `learned` in the POLICY KV overlay, next to ops' `policy` and `models`. A manifest
 * profile was measured once on a bench machine; a learned one comes from the fleet's own CPU time per
 * invocation (Workers trace events), so it already includes the fleet's speed: it replaces the manifest fit
 * for prediction and is not multiplied by `edge.speed_factor` again. How it reaches predictions: fleet.ts.
 */
import { z } from 'zod';
import { VariantName } from '../registry/manifest.js';

/** A fitted cost, in ms of CPU per run on the fleet: fixed_ms + per_item_ms x items. */
export const LearnedFit = z
  .object({
    fixed_ms: z.number().nonnegative(),
    per_item_ms: z.number().nonnegative(),
    /** Invocations the fit was made from (after outlier rejection). */
    samples: z.number().int().positive(),
    /** Item counts observed, smallest and largest: outside them the fit extrapolates. */
    items: z.tuple([z.number().positive(), z.number().positive()]).optional(),
    /** Median of |logged prediction - measured| / measured over the samples, when the log carried one. */
    prediction_error: z.number().nonnegative().optional(),
  })
  .strict();
export type LearnedFit = z.infer<typeof LearnedFit>;

/** Fleet-wide fit of one variant, and per colo (Cloudflare data centre, `request.cf.colo`) where known. */
export const LearnedVariant = LearnedFit.extend({ colos: z.record(z.string(), LearnedFit).optional() }).strict();
export type LearnedVariant = z.infer<typeof LearnedVariant>;

/** The `learned` section of the policy: per model, per variant. */
export const LearnedProfiles = z
  .object({
    published_at: z.string(),
    /** Who published it, e.g. "tail:gateway-feedback". */
    source: z.string().optional(),
    models: z.record(z.string(), z.partialRecord(VariantName, LearnedVariant)).default({}),
  })
  .strict();
export type LearnedProfiles = z.infer<typeof LearnedProfiles>;

/** The learned fit for a variant: its colo's when given and present, else the fleet-wide one. */
export function learnedFit(learned: LearnedProfiles | undefined, model: string, variant: VariantName, colo?: string): LearnedFit | undefined {
  const v = learned?.models[model]?.[variant];
  if (!v) return undefined;
  return (colo !== undefined ? v.colos?.[colo] : undefined) ?? v;
}
