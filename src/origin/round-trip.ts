/**
 * The network round trip to the origin, as the selector reads it: what an origin call took minus what the
 * origin says it spent on it (its Server-Timing `total`: from the request's arrival to its answer, parsing
 * included; else its load, queue and infer). No caller can steer it: each caller seen in the recent window
 * is one vote (its own median), however many requests it sends, and the estimate is the lower median of the
 * votes. The link's round trip is the same for everyone; what one caller adds above it (a huge body to move)
 * is that caller's own, so with two callers the faster one speaks for the link, and a minority of callers
 * cannot move it at all. Before any call it is the configured expectation.
 */
import { median } from '../lib/robust.js';
import { parseServerTiming } from '../lib/server-timing.js';

/** Calls remembered: enough for stable medians, few enough that a changed network shows within seconds. */
export const ROUND_TRIP_WINDOW = 64;

/** What the origin reported spending on a call (ms): `total` where it says it, else the sum of its parts. */
export function originSpentMs(serverTiming: string | null | undefined): number {
  const spent = parseServerTiming(serverTiming);
  return spent['total'] ?? (spent['load'] ?? 0) + (spent['queue'] ?? 0) + (spent['infer'] ?? 0);
}

export class RoundTrips {
  private readonly samples: { caller: string; ms: number }[] = [];
  private cached: number | undefined;

  constructor(
    private readonly expectedMs: number,
    private readonly window = ROUND_TRIP_WINDOW,
  ) {}

  /** One call of `caller` that took `elapsedMs`, of which the origin spent `spentMs`. */
  observe(caller: string | undefined, elapsedMs: number, spentMs: number): void {
    const ms = Math.max(0, elapsedMs - spentMs);
    if (!Number.isFinite(ms)) return;
    this.samples.push({ caller: caller ?? '', ms });
    if (this.samples.length > this.window) this.samples.splice(0, this.samples.length - this.window);
    this.cached = undefined;
  }

  /** The round trip (ms): the lower median of the callers' medians over the window. */
  ms(): number {
    if (this.samples.length === 0) return this.expectedMs;
    if (this.cached !== undefined) return this.cached;
    const byCaller = new Map<string, number[]>();
    for (const s of this.samples) byCaller.get(s.caller)?.push(s.ms) ?? byCaller.set(s.caller, [s.ms]);
    const votes = [...byCaller.values()].map(median).sort((a, b) => a - b);
    this.cached = votes[(votes.length - 1) >> 1]!;
    return this.cached;
  }
}
