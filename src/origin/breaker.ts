/**
 * A circuit breaker for the origin: closed while calls succeed; open after `failures` consecutive failures,
 * refusing calls for `openMs`; then half-open, letting one probe through, which closes it on success or
 * opens it again on failure. The selector reads `available()` so an open breaker drops the origin candidate.
 * A call that says nothing about the origin's health (it was cut short by the client's own deadline, or the
 * client left) is `release`d: neither a failure nor a success.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  failures: number;
  openMs: number;
  now?: () => number;
}

export class CircuitBreaker {
  private consecutive = 0;
  private openedAt: number | undefined;
  private openFor: number;
  private probing = false;
  private readonly now: () => number;

  constructor(private readonly options: BreakerOptions) {
    this.now = options.now ?? (() => Date.now());
    this.openFor = options.openMs;
  }

  state(): BreakerState {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.openFor ? 'half_open' : 'open';
  }

  /** Whether a call may go now (does not take the half-open probe slot). */
  available(): boolean {
    const s = this.state();
    return s === 'closed' || (s === 'half_open' && !this.probing);
  }

  /** Takes permission for one call; false when open or a half-open probe is already in flight. */
  acquire(): boolean {
    const s = this.state();
    if (s === 'closed') return true;
    if (s === 'open' || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** Seconds until the breaker lets a probe through (for Retry-After); 0 when closed. */
  retryAfterSeconds(): number {
    if (this.openedAt === undefined) return 0;
    return Math.max(1, Math.ceil((this.openedAt + this.openFor - this.now()) / 1000));
  }

  /**
   * Gives back a call's permission without a verdict: the call taught nothing about the origin (a timeout the
   * request's own SLO made too short to meet, a client that hung up). Frees the half-open probe slot so the
   * next call can probe; the failure count is left as it was.
   */
  release(): void {
    this.probing = false;
  }

  success(): void {
    this.consecutive = 0;
    this.openedAt = undefined;
    this.probing = false;
  }

  /**
   * Counts a failure; opens (or re-opens) the breaker for `openMs`, by default the configured time. A caller
   * passes less for failures that cost nothing to probe again (nothing answered at all), so a restarted
   * origin is noticed within that time instead of a whole open period.
   */
  failure(openMs = this.options.openMs): void {
    this.consecutive++;
    if (this.probing || this.consecutive >= this.options.failures) {
      this.openedAt = this.now();
      this.openFor = Math.min(openMs, this.options.openMs);
    }
    this.probing = false;
  }
}
