/**
 * The frozen-clock guard. In production Workers, `Date.now()` and `performance.now()` do not advance during
 * CPU work (a Spectre mitigation: the clock moves only on I/O), so an edge run times itself at about 0 ms.
 * Such a reading must never be learned: it would teach the router that every model is free.
 *
 * A reading is suspect when the work is predicted to take at least `minWorkMs` and the clock says it took
 * less than `ratio` of that. The isolate's clock is considered frozen once `frozenAfter` suspect readings
 * are in the last WINDOW judged ones and they are at least as many as the credible ones; while it is, no
 * edge reading is learned (the origin's round trips include I/O, so they still are).
 */

export interface ClockGuardOptions {
  /** Work predicted below this (ms) is not judged: a fast run can honestly read 0 on a coarse clock. */
  minWorkMs: number;
  /** A reading below this share of the prediction is suspect. */
  ratio: number;
  /** Suspect readings (in the window) after which the clock is considered frozen. */
  frozenAfter: number;
}

export const DEFAULT_CLOCK_GUARD: ClockGuardOptions = { minWorkMs: 0.5, ratio: 0.1, frozenAfter: 3 };

/** The last judged readings the isolate's verdict rests on. */
const WINDOW = 20;

/** What to do with one timed run. */
export type Reading = 'credible' | 'suspect' | 'unjudged' | 'invalid';

export class ClockGuard {
  /** true = suspect, false = credible, over the last WINDOW judged readings. */
  private readonly window: boolean[] = [];
  private suspects = 0;

  constructor(private readonly options: ClockGuardOptions = DEFAULT_CLOCK_GUARD) {}

  /** Judges one reading of `observedMs` for work predicted at `predictedMs`, and remembers the verdict. */
  judge(predictedMs: number, observedMs: number): Reading {
    if (!Number.isFinite(observedMs) || observedMs < 0) return 'invalid';
    if (!(predictedMs >= this.options.minWorkMs)) return 'unjudged';
    const suspect = observedMs < predictedMs * this.options.ratio;
    this.window.push(suspect);
    if (suspect) this.suspects++;
    if (this.window.length > WINDOW && this.window.shift()) this.suspects--;
    return suspect ? 'suspect' : 'credible';
  }

  /** Whether this isolate's clock looks frozen during CPU work (so edge runs cannot time themselves). */
  frozen(): boolean {
    return this.suspects >= this.options.frozenAfter && this.suspects * 2 >= this.window.length;
  }

  /** Whether a reading may be learned: credible or unjudged, and the clock not frozen. */
  learnable(reading: Reading): boolean {
    return (reading === 'credible' || reading === 'unjudged') && !this.frozen();
  }
}
