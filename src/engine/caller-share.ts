/**
 * Each caller's recent compute on one engine, for fair scheduling: a sum of the milliseconds its runs took
 * that halves every `halfLifeMs`. One ledger serves every run queue of the engine (the origin keeps one
 * queue per variant), so a caller cannot escape its share by spreading its work over variants. The queue
 * runs the caller with the least recent compute first (batch-queue.ts): a caller who just spent 12 s of the
 * origin waits behind everyone who did not, and is forgiven within a few half-lives.
 *
 * The caller is an opaque, non-secret id (src/protocol/caller.ts); requests without one share the key ''.
 */

/** Long enough to remember a burst of heavy runs (seconds each), short enough to forgive it within a minute. */
const HALF_LIFE_MS = 10_000;
/** Callers the ledger remembers before it forgets those whose share has decayed to nothing. */
const MAX_CALLERS = 10_000;

export class CallerShare {
  private readonly spent = new Map<string, { ms: number; at: number }>();

  constructor(
    private readonly now: () => number,
    private readonly halfLifeMs = HALF_LIFE_MS,
  ) {}

  /** The caller's recent compute (ms), decayed to now. */
  usage(caller: string | undefined): number {
    const e = this.spent.get(caller ?? '');
    return e ? this.decayed(e) : 0;
  }

  /** Adds `ms` of compute to the caller's share (negative to correct an estimate; never below zero). */
  charge(caller: string | undefined, ms: number): void {
    const key = caller ?? '';
    const e = this.spent.get(key);
    this.spent.set(key, { ms: Math.max(0, (e ? this.decayed(e) : 0) + ms), at: this.now() });
    if (this.spent.size > MAX_CALLERS) for (const [k, v] of this.spent) if (this.decayed(v) < 1) this.spent.delete(k);
  }

  private decayed(e: { ms: number; at: number }): number {
    return e.ms * 2 ** (-(this.now() - e.at) / this.halfLifeMs);
  }
}
