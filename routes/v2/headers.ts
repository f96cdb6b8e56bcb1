/**
 * The response headers of an inference: what ran (`x-model-variant`), where (`x-served-by`), why
 * (`x-route-reason`) and how long each step took (`server-timing`, with the router's prediction), rendered from
 * the data plane's result.
 */
import type { InferOutcome } from '../../src/dataplane.js';

/** A Server-Timing header value from named durations (ms), in their order; undefined ones are left out. */
export function serverTiming<T extends { [K in keyof T]: number | undefined }>(t: T): string {
  return Object.entries(t as Record<string, number | undefined>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k};dur=${v!.toFixed(2)}`)
    .join(', ');
}

/** The routing headers of one answered request. */
export function routedHeaders(outcome: InferOutcome): Record<string, string> {
  return {
    'x-model-variant': outcome.served.variant,
    'x-served-by': outcome.served.site,
    'x-route-reason': outcome.served.reason,
    // `predicted`: the served candidate's predicted compute (no network), next to what was measured.
    'server-timing': serverTiming({ ...outcome.timings, predicted: outcome.predictedMs }),
  };
}
