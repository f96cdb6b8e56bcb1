/**
 * Client to the cloud origin: any Open Inference Protocol v2 server (ours in origin/, Triton, KServe).
 * Every attempt has a deadline inside the request's; a retryable failure is retried once when budget
 * remains; failures become 502/504 errors with the cause attached. A circuit breaker and an EWMA of the
 * network round trip are the live state the selector reads.
 */
import { InvalidInput, OriginCircuitOpen, OriginTimeout, OriginUnavailable } from '../errors.js';
import type { GatewayError } from '../errors.js';
import { decodeInferResponse, tensorValues } from '../protocol/v2.js';
import type { VariantName } from '../registry/manifest.js';
import { VariantName as VariantNameSchema } from '../registry/manifest.js';
import type { Backend, BackendRequest, BackendResult } from '../engine/backend.js';
import { CircuitBreaker } from './breaker.js';

export interface OriginClientOptions {
  url: string;
  /** Round trip assumed before one is measured. */
  expectedRttMs: number;
  /** Consecutive failures that open the breaker, and how long it stays open. */
  breakerFailures: number;
  breakerOpenMs: number;
  /** No attempt gets less than this; a retry is only made if this much budget remains. */
  minAttemptMs: number;
  fetch?: typeof fetch;
  now?: () => number;
}

const EWMA_ALPHA = 0.3;

/** A failed attempt, and whether trying again could help. */
class AttemptFailure extends Error {
  constructor(
    readonly error: GatewayError,
    readonly retryable: boolean,
  ) {
    super(error.message);
  }
}

export class OriginClient implements Backend {
  readonly breaker: CircuitBreaker;
  private rtt: number | undefined;
  private readonly base: string;
  private readonly doFetch: typeof fetch;
  private readonly now: () => number;

  constructor(private readonly options: OriginClientOptions) {
    this.base = options.url.replace(/\/+$/, '');
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.now = options.now ?? (() => Date.now());
    this.breaker = new CircuitBreaker({ failures: options.breakerFailures, openMs: options.breakerOpenMs, now: this.now });
  }

  healthy(): boolean {
    return this.breaker.available();
  }

  /** Network round trip to the origin, excluding its compute when the origin reports it. */
  rttMs(): number {
    return this.rtt ?? this.options.expectedRttMs;
  }

  async infer(req: BackendRequest): Promise<BackendResult> {
    const deadline = req.deadline ?? this.now() + 10_000;
    const body = JSON.stringify({
      id: req.request.id,
      parameters: req.request.parameters,
      inputs: req.request.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: tensorValues(t) })),
      outputs: req.request.outputs?.map((name) => ({ name })),
    });
    const started = this.now();
    for (let attempt = 1; ; attempt++) {
      if (!this.breaker.acquire()) {
        throw new OriginCircuitOpen(this.breaker.retryAfterSeconds());
      }
      const remaining = deadline - this.now();
      // Leave room for one retry when the budget allows it.
      const canRetry = attempt === 1 && remaining >= 3 * this.options.minAttemptMs;
      const timeout = Math.max(1, canRetry ? Math.max(this.options.minAttemptMs, Math.floor(remaining * 0.6)) : remaining);
      try {
        const result = await this.attempt(req, body, timeout);
        this.breaker.success();
        return { ...result, timings: { origin: this.now() - started } };
      } catch (e) {
        if (!(e instanceof AttemptFailure)) throw e;
        if (e.error instanceof InvalidInput) {
          this.breaker.success();
          throw e.error;
        }
        this.breaker.failure();
        if (!canRetry || !e.retryable || deadline - this.now() < this.options.minAttemptMs) throw e.error;
        console.warn(JSON.stringify({ event: 'origin_retry', error: e.message, request_id: req.requestId }));
      }
    }
  }

  private async attempt(req: BackendRequest, body: string, timeoutMs: number): Promise<Omit<BackendResult, 'timings'>> {
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-model-variant': req.variant };
    if (req.requestId) headers['x-request-id'] = req.requestId;
    const started = this.now();
    let res: Response;
    let text: string;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      res = await this.doFetch(`${this.base}/v2/models/${encodeURIComponent(req.model.name)}/infer`, { method: 'POST', headers, body, signal });
      text = await res.text();
    } catch (cause) {
      const name = (cause as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new AttemptFailure(new OriginTimeout(`origin did not answer within ${timeoutMs} ms`, { cause }), true);
      }
      throw new AttemptFailure(new OriginUnavailable(`origin unreachable: ${(cause as Error)?.message ?? cause}`, { cause }), true);
    }
    const elapsed = this.now() - started;
    if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 408) {
      // The origin judged the request itself: pass its words on; the origin is fine.
      throw new AttemptFailure(new InvalidInput(`origin rejected the request (${res.status}): ${errorText(text)}`), false);
    }
    if (!res.ok) throw new AttemptFailure(new OriginUnavailable(`origin answered ${res.status}: ${errorText(text)}`), true);
    let outputs;
    try {
      outputs = decodeInferResponse(JSON.parse(text));
    } catch (cause) {
      throw new AttemptFailure(new OriginUnavailable(`origin sent a malformed answer: ${(cause as Error).message}`, { cause }), true);
    }
    const compute = serverTimingTotal(res.headers.get('server-timing'));
    const network = Math.max(0, elapsed - compute);
    this.rtt = this.rtt === undefined ? network : this.rtt + EWMA_ALPHA * (network - this.rtt);
    const reported = VariantNameSchema.safeParse(res.headers.get('x-model-variant'));
    const variant: VariantName = reported.success ? reported.data : req.variant;
    return { outputs, variant };
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

/** Sum of `load`, `queue` and `infer` durations in a Server-Timing header (the origin's own compute). */
function serverTimingTotal(header: string | null): number {
  if (!header) return 0;
  let total = 0;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().split(';');
    if (!name || !['load', 'queue', 'infer'].includes(name.trim())) continue;
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith('dur='));
    const ms = dur ? Number(dur.slice(4)) : NaN;
    if (Number.isFinite(ms) && ms > 0) total += ms;
  }
  return total;
}
