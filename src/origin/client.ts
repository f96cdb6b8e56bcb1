/**
 * Client to the cloud origin: any Open Inference Protocol v2 server (ours in origin/, Triton, KServe).
 * Every attempt has a deadline inside the request's, which the origin is told (`x-request-deadline-ms`) and
 * which aborts the call, as does the client going away; a retryable failure is retried once when budget
 * remains; failures become 502/503/504 errors with the cause attached. Each call names its caller
 * (`x-caller-id`), so the origin limits and schedules per tenant. A circuit breaker and the network round
 * trip (round-trip.ts: the origin's own time taken out, one vote per caller) are the live state the selector reads.
 *
 * The breaker counts only what says the origin is unhealthy: a connection refused or reset, a 5xx the origin
 * blames on itself (500, 502, 503), an answer that is not a v2 answer, an origin that refuses the gateway's
 * secret. Everything else is the caller's or nobody's: bad input (4xx) and a 429 (that caller's rate limit,
 * passed on with its Retry-After) count the origin healthy; a client that left counts nothing. A timeout
 * counts nothing either, neither failure nor success, whatever deadline it had: many tenants share one
 * origin, and a timeout says the origin was busy with someone's queued work (one caller's [5,512]
 * transformer-large request used to hold it for ~12 s), not that it is down; counting those opened the
 * breaker for every tenant. An origin's own 504 (408) says the same: it would not finish by the deadline
 * (ours says so at once instead of computing for nobody), as does Triton's 503 "Request timeout expired" (its
 * queue policy's timeout; a 503 while loading still counts). A dead origin still opens the breaker by refusing
 * or resetting connections; a hung one that accepts and never answers costs each request its deadline.
 */
import { ClientClosedRequest, OriginCircuitOpen, OriginRejected, OriginTimeout, OriginUnavailable } from '../errors.js';
import type { GatewayError } from '../errors.js';
import { parseRequestBody } from '../protocol/binary.js';
import { REQUEST_HEADER, RESPONSE_HEADER } from '../protocol/headers.js';
import { CALLER_HEADER } from '../protocol/caller.js';
import { decodeInferResponse } from '../protocol/v2-response.js';
import type { VariantName } from '../registry/manifest.js';
import { VariantName as VariantNameSchema } from '../registry/manifest.js';
import type { Backend, BackendRequest, BackendResult } from '../backend.js';
import { CircuitBreaker } from './breaker.js';
import { CallerBudget } from './caller-budget.js';
import { encodeOriginRequest } from './request.js';
import { originSpentMs, RoundTrips } from './round-trip.js';

export interface OriginClientOptions {
  url: string;
  /** Round trip assumed before one is measured. */
  expectedRttMs: number;
  /** Consecutive failures that open the breaker, and how long it stays open. */
  breakerFailures: number;
  breakerOpenMs: number;
  /** Open time after failures where nothing answered (refused, reset): cheap to probe again sooner. */
  unreachableOpenMs?: number;
  /** No attempt gets less than this; a retry is only made if this much budget remains. */
  minAttemptMs: number;
  /** Send and ask for tensors in binary (Triton's binary tensor extension) instead of JSON numbers. */
  binary?: boolean;
  /** Predicted origin compute each caller may ask for per second, and bank (caller-budget.ts); 0: unlimited. */
  callerComputeMsPerS?: number;
  callerComputeBurstMs?: number;
  /** The shared secret the origin requires (sent as `Authorization: Bearer`); never logged. */
  token?: string | undefined;
  fetch?: typeof fetch;
  now?: () => number;
}

/** The header that tells the origin how long the gateway will wait for this attempt (ms, relative). */
export const DEADLINE_HEADER = REQUEST_HEADER.requestDeadlineMs;

/** What a failed attempt says of the origin's health: see the module comment. */
type Verdict = 'unhealthy' | 'healthy' | 'neutral';

/** A failed attempt, whether trying again could help, and whether anything answered at all. */
class AttemptFailure extends Error {
  constructor(
    readonly error: GatewayError,
    readonly retryable: boolean,
    readonly verdict: Verdict = 'unhealthy',
    readonly unreachable = false,
    /** Set when the attempt ran out of time: the timeout it had (ms). */
    readonly timedOutAfterMs?: number,
  ) {
    super(error.message);
  }
}

export class OriginClient implements Backend {
  readonly breaker: CircuitBreaker;
  private readonly roundTrips: RoundTrips;
  private readonly budget: CallerBudget;
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly options: OriginClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? (() => Date.now());
    this.roundTrips = new RoundTrips(options.expectedRttMs);
    this.budget = new CallerBudget({ msPerSecond: options.callerComputeMsPerS ?? 0, burstMs: options.callerComputeBurstMs ?? 0, now: this.now });
    this.breaker = new CircuitBreaker({ failures: options.breakerFailures, openMs: options.breakerOpenMs, now: this.now });
  }

  healthy(): boolean {
    return this.breaker.available();
  }

  /** Seconds until the breaker lets a call through again (Retry-After); 0 when it does now. */
  retryAfterSeconds(): number {
    return this.breaker.retryAfterSeconds();
  }

  /** Network round trip to the origin, excluding its compute when the origin reports it. */
  rttMs(): number {
    return this.roundTrips.ms();
  }

  async infer(req: BackendRequest): Promise<BackendResult> {
    const deadline = req.deadline ?? this.now() + 10_000;
    // The caller's own 429 when its share of the origin's compute is spent: before anything is sent.
    this.budget.spend(req.caller, req.originComputeMs ?? 0);
    // A caller's own deadline goes on as what is left of it once the answer has travelled back.
    const body = encodeOriginRequest(req.request, { binary: this.options.binary ?? false, ...(req.deadlineFromCaller ? { timeoutLeftMs: deadline - this.now() - this.rttMs() } : {}) });
    const started = this.now();
    for (let attempt = 1; ; attempt++) {
      if (!this.breaker.acquire()) {
        throw new OriginCircuitOpen(this.breaker.retryAfterSeconds());
      }
      const remaining = deadline - this.now();
      // What one attempt should have: what the origin is predicted to need for this request.
      const need = Math.max(this.options.minAttemptMs, req.expectedOriginMs ?? 0);
      // Keep room for a retry after a timeout only when each of two attempts could hold that; a first attempt
      // cut below it would time out for nothing.
      const split = attempt === 1 && remaining >= 3 * need;
      const timeout = Math.max(1, Math.floor(split ? Math.max(this.options.minAttemptMs, remaining * 0.6) : remaining));
      try {
        const result = await this.attempt(req, body, timeout);
        this.breaker.success();
        return { ...result, timings: { origin: this.now() - started } };
      } catch (e) {
        if (!(e instanceof AttemptFailure)) throw e;
        if (e.verdict === 'healthy') {
          this.breaker.success();
          throw e.error;
        }
        if (e.verdict === 'neutral') this.breaker.release();
        else this.breaker.failure(e.unreachable ? (this.options.unreachableOpenMs ?? this.options.breakerOpenMs) : undefined);
        // One retry, when what is left could still hold a run (a fast failure leaves most of it).
        if (attempt > 1 || !e.retryable || deadline - this.now() < need) {
          // A deadline the request itself set (its SLO, its caller) is named in the 504.
          if (e.timedOutAfterMs === undefined || !req.shortDeadline) throw e.error;
          const waited = Math.max(e.timedOutAfterMs, Math.round(this.now() - started));
          throw new OriginTimeout(`origin did not answer within ${waited} ms, the deadline set by ${req.shortDeadline.why}; not counted against the origin`, { cause: e.error });
        }
        console.warn(JSON.stringify({ event: 'origin_retry', error: e.message, request_id: req.requestId }));
      }
    }
  }

  private async attempt(req: BackendRequest, encoded: { bytes: Uint8Array<ArrayBuffer>; headers: Record<string, string> }, timeoutMs: number): Promise<Omit<BackendResult, 'timings'>> {
    const body = encoded.bytes;
    // The origin's share of the attempt: the answer must still travel back within it.
    const originMs = Math.max(1, Math.floor(timeoutMs - this.rttMs()));
    // Uncompressed answers: the origin's CPU is for inference, and tensors (logits, binary floats) shrink little.
    const headers: Record<string, string> = { ...encoded.headers, [REQUEST_HEADER.acceptEncoding]: 'identity', [REQUEST_HEADER.modelVariant]: req.variant, [REQUEST_HEADER.requestDeadlineMs]: String(originMs) };
    if (req.requestId) headers[REQUEST_HEADER.requestId] = req.requestId;
    if (req.caller) headers[CALLER_HEADER] = req.caller;
    if (this.options.token) headers['authorization'] = `Bearer ${this.options.token}`;
    const started = this.now();
    let res: Response;
    let raw: Uint8Array;
    const timer = AbortSignal.timeout(timeoutMs);
    // Either ends the call: the deadline, or the client going away (nobody would read the answer).
    const signal = req.signal ? AbortSignal.any([timer, req.signal]) : timer;
    try {
      if (req.signal?.aborted) throw new AttemptFailure(new ClientClosedRequest(), false, 'neutral');
      res = await this.doFetch(`${this.base}/v2/models/${encodeURIComponent(req.model.name)}/infer`, { method: 'POST', headers, body, signal });
      raw = new Uint8Array(await res.arrayBuffer());
    } catch (cause) {
      if (cause instanceof AttemptFailure) throw cause;
      // Checked before the error's name: an aborted caller's reason can be anything (a string on Node).
      if (req.signal?.aborted) throw new AttemptFailure(new ClientClosedRequest(), false, 'neutral');
      const name = (cause as Error)?.name;
      if (timer.aborted || name === 'TimeoutError' || name === 'AbortError') {
        throw new AttemptFailure(new OriginTimeout(`origin did not answer within ${timeoutMs} ms; not counted against the origin`, { cause }), true, 'neutral', false, timeoutMs);
      }
      const retryAfterSeconds = Math.max(1, Math.ceil((this.options.unreachableOpenMs ?? this.options.breakerOpenMs) / 1000));
      throw new AttemptFailure(new OriginUnavailable(`origin unreachable: ${(cause as Error)?.message ?? cause}`, { cause, retryAfterSeconds }), true, 'unhealthy', true);
    }
    const elapsed = this.now() - started;
    const text = () => new TextDecoder().decode(raw);
    if (res.status === 401 || res.status === 403) {
      // The origin refused the gateway, not the caller: a deployment fault (ORIGIN_TOKEN differs), never the client's.
      throw new AttemptFailure(new OriginUnavailable(`origin refused the gateway's credentials (${res.status}); check ORIGIN_TOKEN on both sides`), false);
    }
    if (res.status === 404) {
      // The gateway knows this model; an origin that does not is deployed with another catalog.
      throw new AttemptFailure(new OriginUnavailable(`origin does not serve ${req.model.name}/${req.variant} (404): ${errorText(text())}`), false, 'healthy');
    }
    if (res.status === 429) {
      // This caller's rate limit at the origin: the caller's to honour, with the origin's Retry-After.
      const retryAfter = res.headers.get(RESPONSE_HEADER.retryAfter);
      const headers = { [RESPONSE_HEADER.retryAfter]: retryAfter && /^\d{1,6}$/.test(retryAfter.trim()) ? retryAfter.trim() : '1' };
      throw new AttemptFailure(new OriginRejected(429, `origin rate limit for this caller: ${errorText(text())}`, headers), false, 'healthy');
    }
    if (res.status === 408 || res.status === 504) {
      // The origin would not finish by the deadline: busy, not broken (module comment); a retry has less time.
      const by = req.shortDeadline ? `, the deadline set by ${req.shortDeadline.why}` : '';
      throw new AttemptFailure(new OriginTimeout(`origin could not answer within ${originMs} ms${by} (${res.status}: ${errorText(text())}); not counted against the origin`), false, 'neutral');
    }
    if (res.status >= 400 && res.status < 500) {
      // The origin judged the request itself: pass its status and words on; the origin is fine.
      throw new AttemptFailure(new OriginRejected(res.status, `origin rejected the request: ${errorText(text())}`), false, 'healthy');
    }
    if (res.status === 503 && /request timeout expired/i.test(text())) {
      // Triton's queue policy gave up on it (the caller's `timeout`, or the queue's own): busy, not broken.
      throw new AttemptFailure(new OriginTimeout(`origin's queue timed the request out (503: ${errorText(text())}); not counted against the origin`), false, 'neutral');
    }
    if (!res.ok) throw new AttemptFailure(new OriginUnavailable(`origin answered ${res.status}: ${errorText(text())}`), true);
    let outputs;
    try {
      const parsed = parseRequestBody(raw, res.headers.get(RESPONSE_HEADER.inferenceHeaderContentLength) ?? undefined);
      outputs = decodeInferResponse(parsed.json, parsed.binary);
    } catch (cause) {
      throw new AttemptFailure(new OriginUnavailable(`origin sent a malformed answer: ${(cause as Error).message}`, { cause }), true);
    }
    // What the origin spent (parsing, queue, compute) is not network: the rest of the round trip is.
    this.roundTrips.observe(req.caller, elapsed, originSpentMs(res.headers.get(RESPONSE_HEADER.serverTiming)));
    const reported = VariantNameSchema.safeParse(res.headers.get(RESPONSE_HEADER.modelVariant));
    const variant: VariantName = reported.success ? reported.data : req.variant;
    const timing = res.headers.get(RESPONSE_HEADER.serverTiming);
    return { outputs, variant, ...(timing ? { originServerTiming: timing } : {}) };
  }
}

function errorText(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    if (typeof body.error === 'string') return body.error.slice(0, 300);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200) || '(empty body)';
}

