/**
 * The evidence that crosses isolates, in both directions, as data with one schema each: the shadow log line
 * an isolate writes per comparison (what the feedback Tail Worker reads, like the request line of the latency
 * loop), and the `fidelity` section the Tail Worker publishes in the POLICY KV next to `learned` (what every
 * isolate reads back with its policy). Evidence is kept as sums of per-sample scores per output (stats.ts),
 * which add up across requests, isolates and time buckets without losing the confidence arithmetic.
 */
import { z } from 'zod';
import { VariantName } from '../registry/manifest.js';
import type { FidelityMetric } from './compare.js';
import type { OutputEvidence } from './verdict.js';

const METRICS = ['agreement', 'cosine', 'rel_err', 'drift'] as const satisfies readonly FidelityMetric[];

/** One output's evidence: its metric and the sums of its per-sample scores. */
export const OutputSums = z
  .object({ metric: z.enum(METRICS), n: z.number().int().nonnegative(), sum: z.number(), sumsq: z.number().nonnegative() })
  .strict() satisfies z.ZodType<OutputEvidence>;

/** Evidence per output name. */
export const EvidenceSchema = z.record(z.string(), OutputSums);
export type Evidence = Record<string, OutputEvidence>;

/** Why a shadow comparison ran: a sampled answer, a canary's answer (always checked), or a demoted variant probed for fresh evidence. */
export const SHADOW_ROLES = ['served', 'canary', 'probe'] as const;
export type ShadowRole = (typeof SHADOW_ROLES)[number];

/** The log line of one shadow comparison (`{"event":"shadow", ...}`), written by src/dataplane/shadow.ts, read by tail/fidelity.ts. */
export const ShadowLine = z.object({
  event: z.literal('shadow'),
  model: z.string(),
  variant: VariantName,
  reference: VariantName,
  /** Where the reference ran. */
  site: z.enum(['edge', 'origin']),
  role: z.enum(SHADOW_ROLES),
  outputs: EvidenceSchema,
  /** Predicted compute the comparison spent (ms): production clocks stand still during CPU work. */
  cost_ms: z.number().nonnegative(),
  request_id: z.string().optional(),
});
export type ShadowLine = z.infer<typeof ShadowLine>;

/** The shadow line in one console.log argument, or undefined for any other line. */
export function parseShadowLine(part: unknown): ShadowLine | undefined {
  if (typeof part !== 'string' || !part.startsWith('{"event":"shadow"')) return undefined;
  try {
    const line = ShadowLine.safeParse(JSON.parse(part));
    return line.success ? line.data : undefined;
  } catch {
    return undefined;
  }
}

/** A time bucket of evidence: `t` its start (ms since the Unix epoch). */
export const FidelityBucket = z.object({ t: z.number().int().nonnegative(), outputs: EvidenceSchema }).strict();
export type FidelityBucket = z.infer<typeof FidelityBucket>;

/** One variant across the fleet: its buckets, oldest first, over the Tail Worker's window. */
export const PublishedVariant = z.object({ buckets: z.array(FidelityBucket) }).strict();
export type PublishedVariant = z.infer<typeof PublishedVariant>;

/** The `fidelity` section of the policy: production evidence per model and variant, fleet-wide. */
export const FidelityProfiles = z
  .object({
    published_at: z.string(),
    source: z.string().optional(),
    bucket_ms: z.number().int().positive(),
    models: z.record(z.string(), z.record(VariantName, PublishedVariant)).default({}),
  })
  .strict();
export type FidelityProfiles = z.infer<typeof FidelityProfiles>;

/** `b` added into `a` (a new object). */
export function addEvidence(a: Readonly<Evidence>, b: Readonly<Evidence>): Evidence {
  const out: Evidence = { ...a };
  for (const [name, e] of Object.entries(b)) {
    const prev = out[name];
    out[name] = prev ? { metric: prev.metric, n: prev.n + e.n, sum: prev.sum + e.sum, sumsq: prev.sumsq + e.sumsq } : { ...e };
  }
  return out;
}

/**
 * The evidence of the buckets that start at or after `since` (ms), what is fresh after a demotion or a clear,
 * newest first until `maxSamples` samples (whole buckets): the fleet's window, like an isolate's.
 */
export function evidenceSince(buckets: readonly FidelityBucket[], since: number, maxSamples = Infinity): Evidence {
  let acc: Evidence = {};
  for (let i = buckets.length - 1; i >= 0 && buckets[i]!.t >= since; i--) {
    acc = addEvidence(acc, buckets[i]!.outputs);
    if (Math.max(0, ...Object.values(acc).map((o) => o.n)) >= maxSamples) break;
  }
  return acc;
}

/** The score of a bucket or window: the worst output's mean score (NaN without samples). */
export function scoreOf(e: Readonly<Evidence>): { score: number; n: number } {
  const outs = Object.values(e).filter((o) => o.n > 0);
  if (!outs.length) return { score: NaN, n: 0 };
  return { score: Math.min(...outs.map((o) => o.sum / o.n)), n: Math.min(...outs.map((o) => o.n)) };
}
