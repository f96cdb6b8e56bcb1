/**
 * The response headers of an inference: what ran (`x-model-variant`), where (`x-served-by`), why
 * (`x-route-reason`) and how long each step took (`server-timing`, with the router's prediction), rendered from
 * the data plane's result.
 */
import type { InferOutcome } from '../../src/dataplane.js';
import { formatServerTiming } from '../../src/lib/server-timing.js';
import { RESPONSE_HEADER } from '../../src/protocol/headers.js';

/** The routing headers of one answered request; `totalMs`: the server's whole time on it, where it reports one. */
export function routedHeaders(outcome: InferOutcome, totalMs?: number): Record<string, string> {
  return {
    [RESPONSE_HEADER.modelVariant]: outcome.served.variant,
    [RESPONSE_HEADER.servedBy]: outcome.served.site,
    [RESPONSE_HEADER.routeReason]: outcome.served.reason,
    // The SLO is a target: a request that cannot meet it is served, and this says so.
    [RESPONSE_HEADER.slo]: outcome.slo,
    // `predicted`: the served candidate's predicted compute (no network), next to what was measured.
    [RESPONSE_HEADER.serverTiming]: formatServerTiming({ ...outcome.timings, predicted: outcome.predictedMs, total: totalMs }),
  };
}
