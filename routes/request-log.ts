/**
 * The request log line of one request (schema: src/latency/request-line.ts), built from what the request was
 * and, for a served inference, from the data plane's typed outcome: the same values its routing headers carry
 * (routes/v2/headers.ts), read from the outcome rather than back out of the response's headers.
 */
import type { InferOutcome } from '../src/dataplane.js';
import type { RequestLogLine } from '../src/latency/request-line.js';
import { RESPONSE_HEADER } from '../src/protocol/headers.js';
import { routedHeaders } from './v2/headers.js';

/** What every logged request has, inference or not. */
export interface LoggedRequest {
  requestId: string | undefined;
  method: string;
  path: string;
  status: number;
  ms: number;
  /** The caller id, where the route authenticated one. */
  caller?: string | undefined;
}

/** The line for `req`; with the outcome of the inference it answered, what ran and what was predicted. */
export function requestLogLine(req: LoggedRequest, outcome?: InferOutcome): RequestLogLine {
  const base = { event: 'request' as const, request_id: req.requestId, method: req.method, path: req.path, model: /^\/v2\/models\/([^/]+)/.exec(req.path)?.[1], status: req.status };
  if (!outcome) return { ...base, ms: req.ms };
  const d = outcome.decision;
  // What ran was what was predicted unless a fallback ran something else.
  const asPredicted = d.variant === outcome.served.variant && (d.target === 'edge') === (outcome.served.site !== 'origin');
  return {
    ...base,
    variant: outcome.served.variant,
    target: outcome.served.site,
    reason: outcome.served.reason,
    server_timing: routedHeaders(outcome)[RESPONSE_HEADER.serverTiming],
    items: outcome.items,
    batch: outcome.batch,
    predicted_ms: asPredicted ? d.predicted_ms : undefined,
    caller: req.caller,
    body_bytes: outcome.wire.body_bytes,
    tensor_bytes: outcome.wire.tensor_bytes,
    ms: req.ms,
  };
}
