/**
 * Domain errors: small classes with an HTTP status and no framework imports. They are mapped to
 * `{"error": "..."}` responses in one place (the app's onError).
 */
export class GatewayError extends Error {
  readonly status: number;
  /** Extra response headers of this one error (WWW-Authenticate, Allow, Content-Range). */
  readonly headers: Record<string, string>;
  /**
   * When to come back, in seconds (503, 429). A fact, not a header: errors sit below the protocol layer, whose
   * header table (src/protocol/headers.ts errorHeaders) renders it as Retry-After.
   */
  readonly retryAfterSeconds: number | undefined;
  constructor(status: number, message: string, options?: { cause?: unknown; headers?: Record<string, string>; retryAfterSeconds?: number | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.headers = options?.headers ?? {};
    this.retryAfterSeconds = options?.retryAfterSeconds;
    this.name = new.target.name;
  }
}

export class InvalidInput extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(400, message, options);
  }
}

export class ModelNotFound extends GatewayError {
  constructor(model: string, version?: string) {
    super(404, version === undefined ? `unknown model '${model}'` : `unknown version '${version}' of model '${model}'`);
  }
}

export class ModelNotReady extends GatewayError {
  constructor(message: string, retryAfterSeconds = 5) {
    super(503, message, { retryAfterSeconds });
  }
}

export class PayloadTooLarge extends GatewayError {
  constructor(message: string) {
    super(413, message);
  }
}

/**
 * The request body is in a content coding the server cannot decode (415). `Accept-Encoding` on the answer
 * lists the ones it can (`accepted`), as RFC 7694 asks and Triton does.
 */
export class UnsupportedEncoding extends GatewayError {
  constructor(
    message: string,
    readonly accepted: readonly string[],
  ) {
    super(415, message);
  }
}

/**
 * The origin failed the gateway. 502 when it answered wrongly (5xx, malformed body); 503 with Retry-After
 * when nothing answered at all (connection refused or reset: the service is down, come back later).
 */
export class OriginUnavailable extends GatewayError {
  constructor(message: string, options?: { cause?: unknown; retryAfterSeconds?: number }) {
    const down = options?.retryAfterSeconds !== undefined;
    super(down ? 503 : 502, message, { cause: options?.cause, retryAfterSeconds: options?.retryAfterSeconds });
  }
}

/** The origin's circuit breaker is open: nothing was sent; try again after Retry-After. */
export class OriginCircuitOpen extends GatewayError {
  constructor(retryAfterSeconds: number) {
    super(503, `origin circuit breaker is open; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}

export class OriginTimeout extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(504, message, options);
  }
}

/**
 * The request's SLO or deadline cannot be met, so it is refused before anything runs (422). Only when the
 * caller asked (`x-slo-strict: 1`, v2 `parameters.timeout`) or the policy says so (`refuse_predicted_miss`),
 * and only from facts (src/select/refusal.ts). The message carries the arithmetic so the client can see what to change.
 */
export class SloUnattainable extends GatewayError {
  constructor(message: string) {
    super(422, message);
  }
}

/**
 * The client closed the connection before it was answered: the work for it was abandoned (499, nginx's code
 * for it; nobody reads the answer, but logs and metrics see why the request ended).
 */
export class ClientClosedRequest extends GatewayError {
  constructor(message = 'the client closed the request before it was answered') {
    super(499, message);
  }
}

/**
 * The model refused an input that passed every check the gateway can make (a token id beyond the vocabulary,
 * a sequence longer than the model's positions, an image size its layers cannot take): the caller's fault,
 * 422 with the runtime's reason cleaned to one line. Never a cooldown or a breaker failure. `unproven` says
 * the variant has not yet answered any request in this process, so the file itself may be at fault: the data
 * plane then asks the origin once before blaming the input (src/dataplane/serve.ts).
 */
export class ModelRejectedInput extends GatewayError {
  readonly unproven: boolean;
  constructor(message: string, options?: { cause?: unknown; unproven?: boolean }) {
    super(422, message, options);
    this.unproven = options?.unproven ?? false;
  }
}

/** A run was never started because its deadline had already passed (the caller would not read the answer). */
export class DeadlineExceeded extends GatewayError {
  constructor(message: string) {
    super(504, message);
  }
}

/**
 * The origin judged the request itself (a 4xx other than auth and timeouts, its 429 included): its status,
 * words and Retry-After are passed on, shortened; the origin is healthy, so nothing is retried or counted
 * against it.
 */
export class OriginRejected extends GatewayError {
  constructor(status: number, message: string, headers?: Record<string, string>) {
    super(status, message, headers ? { headers } : undefined);
  }
}

/**
 * The serving side failed (a missing or corrupt file, a load error, a WASM trap, memory): the data plane falls
 * back to the origin when it can and the variant sits out a cooldown; otherwise the model cannot be served
 * right now: 503.
 */
export class EngineFailure extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(503, message, { ...options, retryAfterSeconds: 5 });
  }
}

/**
 * A variant's session found the memory budget held by sessions busy serving other requests, and none was given
 * back within the load's bound: contention, not a broken variant. The data plane serves another candidate
 * without cooling the variant down; with none, 503 with a short Retry-After (the budget frees as runs end).
 */
export class MemoryBusy extends GatewayError {
  constructor(message: string, retryAfterSeconds = 1) {
    super(503, message, { retryAfterSeconds });
  }
}

/** No credential was sent where one is required (API key, admin token). */
export class Unauthorized extends GatewayError {
  constructor(message: string) {
    super(401, message, { headers: { 'www-authenticate': 'Bearer' } });
  }
}

/** A credential was sent but is not one the config or the API_KEYS namespace knows. */
export class Forbidden extends GatewayError {
  constructor(message: string) {
    super(403, message);
  }
}

/** A rate limiter said no (requests, or failed authentications of an address); Retry-After says when to come back. */
export class TooManyRequests extends GatewayError {
  constructor(retryAfterSeconds: number, what = 'rate limit exceeded') {
    super(429, `${what}; retry in ${retryAfterSeconds} s`, { retryAfterSeconds });
  }
}

export class MethodNotAllowed extends GatewayError {
  constructor(allow: string) {
    super(405, `method not allowed; use ${allow}`, { headers: { allow } });
  }
}

/** Something the path names does not exist (a variant, its artifact); unknown models are ModelNotFound. */
export class NotFound extends GatewayError {
  constructor(message: string) {
    super(404, message);
  }
}

/** A Range the resource cannot satisfy (416), with `Content-Range: bytes *\/<size>` as RFC 9110 asks. */
export class RangeNotSatisfiable extends GatewayError {
  constructor(message: string, size: number) {
    super(416, message, { headers: { 'content-range': `bytes */${size}` } });
  }
}
