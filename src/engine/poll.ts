/**
 * Waiting on shared state without sharing a promise. In workerd a promise belongs to the request that
 * created it: if that request is cancelled (its client went away) the promise may never settle for anyone
 * else. So a request that waits on work another request started re-checks the shared state on its own
 * timer, in its own context, until the work is done or its own deadline passes.
 */

/** Resolves after `ms` on the caller's own timer. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface PollOptions {
  /** Latest time (on `now`'s clock) to keep waiting. */
  deadline: number;
  now: () => number;
  /** Pause between checks (ms). */
  everyMs: number;
  sleep?: (ms: number) => Promise<void>;
}

/** Re-checks `done` until it holds (true) or the deadline passes (false); checks once even when late. */
export async function pollUntil(done: () => boolean, { deadline, now, everyMs, sleep: wait = sleep }: PollOptions): Promise<boolean> {
  while (!done()) {
    const left = deadline - now();
    if (left <= 0) return false;
    await wait(Math.min(everyMs, left));
  }
  return true;
}
