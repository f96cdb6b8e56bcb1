/**
 * The response headers of an inference: what ran (`x-model-variant`), where (`x-served-by`), why
 * (`x-route-reason`) and how long each step took (`server-timing`, with the router's prediction), rendered from
 * the data plane's result.
 */
import type { InferOutcome } from '../../src/dataplane.js';
import { formatServerTiming } from '../../src/lib/server-timing.js';
import { RESPONSE_HEADER } from '../../src/protocol/headers.js';

/** The routing headers of one answered request. */
export function routedHeaders(outcome: InferOutcome): Record<string, string> {
  return {
    [RESPONSE_HEADER.modelVariant]: outcome.served.variant,
    [RESPONSE_HEADER.servedBy]: outcome.served.site,
    [RESPONSE_HEADER.routeReason]: outcome.served.reason,
    // The SLO is a target: a request that cannot meet it is served, and this says so.
    [RESPONSE_HEADER.slo]: outcome.slo,
    // `predicted`: the served candidate's predicted compute (no network), next to what was measured.
    [RESPONSE_HEADER.serverTiming]: formatServerTiming({ ...outcome.timings, predicted: outcome.predictedMs }),
  };
}

/**
 * What the request log line (routes/app.ts) adds for a served inference, for the feedback Tail Worker
 * (tail/) to pair with the invocation's CPU time: items, the edge run's batch, and the prediction made for
 * what actually ran (left out after a fallback, when what ran was not what was predicted).
 */
export interface InferenceLog {
  items: number;
  batch?: number | undefined;
  predicted_ms?: number | undefined;
}

export function inferenceLog(outcome: InferOutcome): InferenceLog {
  const d = outcome.decision;
  const asPredicted = d.variant === outcome.served.variant && (d.target === 'edge') === (outcome.served.site !== 'origin');
  return { items: outcome.items, batch: outcome.batch, predicted_ms: asPredicted ? d.predicted_ms : undefined };
}
