/**
 * The deadline arithmetic (src/dataplane/deadline.ts): min(origin limit, budget - spent + grace, caller's
 * deadline), and when a timeout of a deadline the request shortened is still the origin's fault.
 */
import { describe, expect, it } from 'vitest';
import type { DeadlineInput, RequestDeadline } from '../../src/dataplane/deadline.js';
import { requestDeadline } from '../../src/dataplane/deadline.js';

/** A 500 ms SLO with 54 ms of network and 4 ms of overhead: a 442 ms budget, 100 ms of grace, a 10 s limit. */
const BASE: DeadlineInput = { budgetMs: 442, sloMs: 500, spentMs: 0, graceMs: 100, limitMs: 10_000, expectedMs: 369, blameFactor: 1 };

describe('requestDeadline', () => {
  const rows: { name: string; input: Partial<DeadlineInput>; ms: number; blameAfterMs?: number; why?: RegExp }[] = [
    {
      name: 'is the remaining budget plus the grace, well under the origin limit',
      input: {},
      ms: 542,
      blameAfterMs: 369,
      why: /^its 500 ms SLO \(budget 442 ms, 0 ms spent, \+ 100 ms grace\)$/,
    },
    { name: 'shrinks by the time already spent in the gateway', input: { spentMs: 40 }, ms: 502, blameAfterMs: 369, why: /40 ms spent/ },
    { name: 'is the origin limit when the budget is longer, and then every timeout is the origin fault', input: { budgetMs: 60_000 }, ms: 10_000 },
    { name: 'is the origin limit when budget plus grace is exactly it', input: { budgetMs: 9_900 }, ms: 10_000 },
    { name: 'with no grace is exactly the remaining budget', input: { graceMs: 0 }, ms: 442, blameAfterMs: 369 },
    { name: 'is at least 1 ms once the budget is spent, so an attempt is still bounded', input: { spentMs: 600 }, ms: 1, blameAfterMs: 369 },
    {
      name: "is the caller's deadline when that is shorter, and says so",
      input: { callerMs: 300 },
      ms: 300,
      blameAfterMs: 369,
      why: /^the caller's deadline of 300 ms$/,
    },
    { name: "ignores a caller's deadline longer than the budget allows", input: { callerMs: 5_000 }, ms: 542, why: /SLO/ },
    { name: "caps a long budget by a caller's deadline", input: { budgetMs: 60_000, callerMs: 2_000 }, ms: 2_000, why: /caller/ },
    { name: 'scales what the origin should have managed by the blame factor', input: { blameFactor: 2 }, ms: 542, blameAfterMs: 738 },
    { name: 'blames no timeout of a shortened deadline when nothing was predicted', input: { expectedMs: undefined }, ms: 542, blameAfterMs: Infinity },
  ];

  it.each(rows)('$name', ({ input, ms, blameAfterMs, why }) => {
    const d: RequestDeadline = requestDeadline({ ...BASE, ...input });
    expect(d.ms).toBe(ms);
    if (blameAfterMs === undefined && why === undefined) {
      expect(d.short).toBeUndefined();
      return;
    }
    if (blameAfterMs !== undefined) expect(d.short?.blameAfterMs).toBe(blameAfterMs);
    if (why) expect(d.short?.why).toMatch(why);
  });

  it('answers a hung origin near the SLO, not at twice it: a 1.5 s SLO gets a deadline within its budget plus the grace', () => {
    const d = requestDeadline({ ...BASE, sloMs: 1500, budgetMs: 1500 - 54 - 4 });
    expect(d.ms).toBe(1542);
    expect(d.ms).toBeLessThanOrEqual(1500 + BASE.graceMs);
  });

  it('keeps whole milliseconds, for the header that tells the origin', () => {
    expect(Number.isInteger(requestDeadline({ ...BASE, budgetMs: 441.7, spentMs: 0.4 }).ms)).toBe(true);
  });
});
