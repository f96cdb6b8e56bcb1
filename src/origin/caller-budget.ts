/**
 * What each caller may ask of the origin's compute from this gateway isolate: a token bucket of predicted
 * origin milliseconds per caller (`origin.caller_compute_ms_per_s`, up to `origin.caller_compute_burst_ms`
 * banked). A call the bucket cannot cover is the caller's own 429 with Retry-After, before it reaches the
 * origin, so one key cannot queue the shared origin's compute for everyone within its request quota. Per
 * isolate, like the edge's own fair share; the origin's fair share per caller id holds across all of them.
 */
import { OriginRejected } from '../errors.js';
import { RESPONSE_HEADER } from '../protocol/headers.js';

export interface CallerBudgetOptions {
  /** Predicted origin ms a caller earns per second; 0 turns the budget off. */
  msPerSecond: number;
  /** The most a caller may bank (and so spend at once). */
  burstMs: number;
  now: () => number;
}

/** Callers remembered at once: past it the longest idle (a full bucket by now) is forgotten. */
const MAX_CALLERS = 10_000;

export class CallerBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly options: CallerBudgetOptions) {}

  /** Spends `costMs` of `caller`'s budget, or throws its 429 saying when enough will be back. */
  spend(caller: string | undefined, costMs: number): void {
    const { msPerSecond, burstMs, now } = this.options;
    if (msPerSecond <= 0 || !(costMs > 0)) return;
    const key = caller ?? '';
    const t = now();
    const b = this.buckets.get(key) ?? { tokens: burstMs, at: t };
    b.tokens = Math.min(burstMs, b.tokens + ((t - b.at) / 1000) * msPerSecond);
    b.at = t;
    // A call dearer than the whole burst may go from a full bucket (the origin's own cost limit judges it).
    const need = Math.min(costMs, burstMs);
    if (b.tokens < need) {
      const retry = Math.max(1, Math.ceil((need - b.tokens) / msPerSecond));
      this.remember(key, b);
      throw new OriginRejected(429, `origin compute budget of this caller spent: ${Math.round(costMs)} ms predicted, ${Math.max(0, Math.floor(b.tokens))} ms left of ${burstMs} ms (origin.caller_compute_burst_ms, refilled at ${msPerSecond} ms/s); retry in ${retry} s`, { [RESPONSE_HEADER.retryAfter]: String(retry) });
    }
    b.tokens -= costMs;
    this.remember(key, b);
  }

  private remember(key: string, b: { tokens: number; at: number }): void {
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > MAX_CALLERS) this.buckets.delete(this.buckets.keys().next().value!);
  }
}
