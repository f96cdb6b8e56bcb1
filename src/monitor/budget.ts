/**
 * What shadow work may cost one isolate: a few comparisons in flight, a CPU allowance per minute and origin
 * calls per minute (token buckets that refill continuously), and nothing while the edge queue holds more than
 * a bound of predicted work. CPU is counted as predicted compute (the latency learner's, in production fed by
 * the fleet's fits): a production isolate's clock stands still during CPU work, so it cannot time its own.
 * A ticket is taken before the work and released after it, whatever happens.
 */

export interface BudgetLimits {
  maxConcurrent: number;
  cpuMsPerMinute: number;
  originPerMinute: number;
  /** Predicted edge work queued above which no shadow work starts (ms). */
  maxQueueMs: number;
}

export const SKIP_REASONS = ['concurrency', 'cpu', 'origin_rate', 'load', 'no_reference', 'origin_unavailable', 'failed'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Held while shadow work is under way; `release` is idempotent. */
export interface Ticket {
  release(): void;
}

export class ShadowBudget {
  private inFlight = 0;
  private cpuTokens: number | undefined;
  private originTokens: number | undefined;
  private at: number;
  /** Predicted compute spent on shadow work since the isolate started (ms), and origin calls made. */
  spentCpuMs = 0;
  originCalls = 0;

  constructor(private readonly now: () => number = () => Date.now()) {
    this.at = now();
  }

  /** Shadow work in flight now. */
  get running(): number {
    return this.inFlight;
  }

  /**
   * A ticket for work predicted to cost `cpuMs` of this isolate's CPU (and one origin call when `origin`), with
   * `queueMs` of edge work waiting; or why not. Costs are charged when the ticket is taken.
   */
  take(limits: BudgetLimits, cost: { cpuMs: number; origin: boolean; queueMs: number }): Ticket | SkipReason {
    this.refill(limits);
    if (this.inFlight >= limits.maxConcurrent) return 'concurrency';
    if (cost.queueMs > limits.maxQueueMs) return 'load';
    // A cost larger than the whole allowance runs once the bucket is full, then waits for it to refill.
    if (this.cpuTokens! < Math.min(cost.cpuMs, limits.cpuMsPerMinute) || (cost.cpuMs > 0 && this.cpuTokens! <= 0)) return 'cpu';
    if (cost.origin && this.originTokens! < 1) return 'origin_rate';
    this.cpuTokens! -= cost.cpuMs;
    this.spentCpuMs += cost.cpuMs;
    if (cost.origin) {
      this.originTokens! -= 1;
      this.originCalls++;
    }
    this.inFlight++;
    let held = true;
    return {
      release: () => {
        if (held) this.inFlight--;
        held = false;
      },
    };
  }

  private refill(limits: BudgetLimits): void {
    const now = this.now();
    const minutes = Math.max(0, now - this.at) / 60_000;
    this.at = now;
    this.cpuTokens = Math.min(limits.cpuMsPerMinute, (this.cpuTokens ?? limits.cpuMsPerMinute) + minutes * limits.cpuMsPerMinute);
    this.originTokens = Math.min(limits.originPerMinute, (this.originTokens ?? limits.originPerMinute) + minutes * limits.originPerMinute);
  }
}
