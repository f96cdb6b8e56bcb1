/**
 * Every HTTP header name the gateway speaks, declared once: what a caller sends (routing parameters, the
 * request id, body framing and codings, Client Hints) and what the gateway answers (what ran, where, why,
 * how long, when to retry). Everything else, in src/, routes/, origin/ and tail/, names a header through
 * these tables; test/protocol/headers.unit.test.ts fails on a literal of one of these names anywhere else,
 * so a rename is one edit and a grep for a header finds its one declaration.
 *
 * Lower case, as HTTP/2 sends them and as Node hands them over (Fetch's Headers and Hono match any case);
 * Client Hints keep their registered spelling, which Accept-CH, Vary and explain's `from_hints` show.
 */
import type { GatewayError } from '../errors.js';
import { UnsupportedEncoding } from '../errors.js';

/** Headers a caller (a client, or a gateway calling its origin) sends. */
export const REQUEST_HEADER = {
  /** Latency budget in ms for this request; wins over `parameters.slo_ms`. */
  sloMs: 'x-slo-ms',
  /** `1`: refuse (422) rather than serve late what the facts say cannot meet the SLO. */
  sloStrict: 'x-slo-strict',
  /** Pins a variant (and, on an answer, names the one that ran). */
  modelVariant: 'x-model-variant',
  /** How long the caller will wait, in ms from now: a gateway tells its origin (relative, so clocks need not agree). */
  requestDeadlineMs: 'x-request-deadline-ms',
  /** Kept, returned and sent on to the origin; generated when absent (Hono's requestId). */
  requestId: 'x-request-id',
  /** Triton's binary tensor extension: bytes of the JSON header before the tensor bytes (answers too). */
  inferenceHeaderContentLength: 'inference-header-content-length',
  /** The coding of a request body (and of a compressed answer). */
  contentEncoding: 'content-encoding',
  /** The codings a caller takes (and, on a 415, the ones the gateway decodes: RFC 7694). */
  acceptEncoding: 'accept-encoding',
} as const;

/** The Client Hints the selector reads (src/select/hints.ts), by their registered names. */
export const CLIENT_HINT = {
  rtt: 'RTT',
  ect: 'ECT',
  downlink: 'Downlink',
  saveData: 'Save-Data',
  deviceMemory: 'Device-Memory',
  secChDeviceMemory: 'Sec-CH-Device-Memory',
  secChUaMobile: 'Sec-CH-UA-Mobile',
} as const;

export type ClientHint = (typeof CLIENT_HINT)[keyof typeof CLIENT_HINT];

/** Every Client Hint, in the order Accept-CH and Vary list them. */
export const CLIENT_HINTS: readonly ClientHint[] = Object.values(CLIENT_HINT);

/** Headers the gateway answers with; those it also reads on requests are the request table's own entries. */
export const RESPONSE_HEADER = {
  /** The variant that produced the answer. */
  modelVariant: REQUEST_HEADER.modelVariant,
  /** Where it ran: this deployment's site (`edge`), or `origin`. */
  servedBy: 'x-served-by',
  /** What was chosen, the budget and the prediction. */
  routeReason: 'x-route-reason',
  /** The answer against the SLO: met, predicted-miss or missed. */
  slo: 'x-slo',
  /** select, load, queue, infer or origin durations, and the router's prediction (src/lib/server-timing.ts). */
  serverTiming: 'server-timing',
  requestId: REQUEST_HEADER.requestId,
  /** Seconds to wait before trying again (503, 429). */
  retryAfter: 'retry-after',
  /** The Client Hints the gateway asks browsers for. */
  acceptCh: 'accept-ch',
  inferenceHeaderContentLength: REQUEST_HEADER.inferenceHeaderContentLength,
  contentEncoding: REQUEST_HEADER.contentEncoding,
  acceptEncoding: REQUEST_HEADER.acceptEncoding,
} as const;

/** The routing headers of an answered inference, which a browser may read across origins (CORS). */
export const EXPOSED_HEADERS = [
  RESPONSE_HEADER.modelVariant,
  RESPONSE_HEADER.servedBy,
  RESPONSE_HEADER.routeReason,
  RESPONSE_HEADER.slo,
  RESPONSE_HEADER.serverTiming,
  RESPONSE_HEADER.requestId,
] as const;

/**
 * The protocol headers of an error answer, from the facts the domain error carries: Retry-After when it says
 * when to come back, Accept-Encoding on a 415 (what the gateway decodes). Its own one-off headers included.
 */
export function errorHeaders(err: GatewayError): Record<string, string> {
  return {
    ...err.headers,
    ...(err.retryAfterSeconds === undefined ? {} : { [RESPONSE_HEADER.retryAfter]: String(err.retryAfterSeconds) }),
    ...(err instanceof UnsupportedEncoding ? { [RESPONSE_HEADER.acceptEncoding]: err.accepted.join(', ') } : {}),
  };
}
