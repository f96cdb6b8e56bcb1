/**
 * Admission by predicted cost, for an engine that serves many callers at once (the origin): before a request
 * loads or queues, its compute is predicted (the learned per-item cost times its items) and judged against
 * two things. A request predicted to take longer than the per-request limit is refused 413, naming the limit
 * and the prediction: no single caller may hold the server that long, however legal its shapes. One that
 * cannot finish by its deadline (its compute plus the work the queue would run before it, in the queue's
 * fair order) fails 504 at once: running it would only hold up everyone behind it for an answer nobody reads.
 * Measured: one [5,512] transformer-large request with a 200 ms SLO held the origin for ~12 s after its
 * caller had given up, and the timeouts of the requests queued behind it opened the gateway's breaker.
 */
import { DeadlineExceeded, PayloadTooLarge } from '../errors.js';

/** The limit an engine admits by; `limitName` names its knob in the 413. */
export interface AdmissionLimit {
  maxCostMs: number;
  limitName: string;
}

/** What one admission decision reads (ms, on one clock). */
export interface AdmissionInput {
  /** The model and variant, for the messages. */
  name: string;
  /** Predicted compute of the request. */
  costMs: number;
  /** The latest time its run may start and still finish by its deadline; undefined: no deadline to hold. */
  latestStart: number | undefined;
  now: number;
  /** Predicted ms of work the queue would run before it. */
  aheadMs: () => number;
  limit: AdmissionLimit;
}

/** Throws PayloadTooLarge (413) or DeadlineExceeded (504) when the request may not run; see the module comment. */
export function admit({ name, costMs, latestStart, now, aheadMs, limit }: AdmissionInput): void {
  if (costMs > limit.maxCostMs) {
    throw new PayloadTooLarge(`${name}: this request is predicted to compute for ${round(costMs)} ms, over the limit of ${limit.maxCostMs} ms per request (${limit.limitName}); send fewer or shorter inputs per request`);
  }
  if (latestStart === undefined) return;
  const ahead = aheadMs();
  if (now + ahead > latestStart) {
    const left = Math.max(0, latestStart + costMs - now);
    throw new DeadlineExceeded(`${name}: cannot finish by the request's deadline: predicted ${round(costMs)} ms to compute + ${round(ahead)} ms of work queued ahead > ${round(left)} ms left; not started`);
  }
}

/**
 * The cost admission judges by: the larger of the learned prediction and the manifest's p95 fit x the speed
 * factor. The learned line comes from the requests the server has seen, mostly short, and a transformer's
 * cost grows faster than its tokens (attention is quadratic in the sequence): measured at the origin,
 * transformer-large [2,512] took 6.9 s where the line learned from short sequences said 3.5 s, and a [5,512]
 * request it put under 5 s was admitted and ran past its 10 s deadline. Admission errs on the side of
 * everyone else.
 */
export function admissionCostMs(learnedMs: number, fit: { fixed_ms: number; per_item_ms: number }, items: number, speedFactor: number): number {
  return Math.max(learnedMs, (fit.fixed_ms + fit.per_item_ms * items) * speedFactor);
}

const round = (ms: number) => Math.round(ms);
