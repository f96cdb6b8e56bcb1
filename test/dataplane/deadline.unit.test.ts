/**
 * The deadline arithmetic (src/dataplane/deadline.ts): min(origin limit, budget - spent + grace, caller's
 * deadline), and what set a deadline shorter than the origin's own limit.
 */
import { describe, expect, it } from 'vitest';
import type { DeadlineInput, RequestDeadline } from '../../src/dataplane/deadline.js';
import { requestDeadline } from '../../src/dataplane/deadline.js';

/** A 500 ms SLO with 54 ms of network and 4 ms of overhead: a 442 ms budget, 100 ms of grace, a 10 s limit. */
const BASE: DeadlineInput = { budgetMs: 442, sloMs: 500, spentMs: 0, graceMs: 100, limitMs: 10_000 };

describe('requestDeadline', () => {
  const rows: { name: string; input: Partial<DeadlineInput>; ms: number; why?: RegExp }[] = [
    {
      name: 'is the remaining budget plus the grace, well under the origin limit',
      input: {},
      ms: 542,
      why: /^its 500 ms SLO \(budget 442 ms, 0 ms spent, \+ 100 ms grace\)$/,
    },
    { name: 'shrinks by the time already spent in the gateway', input: { spentMs: 40 }, ms: 502, why: /40 ms spent/ },
    { name: 'is the origin limit when the budget is longer, and then nothing shortened it', input: { budgetMs: 60_000 }, ms: 10_000 },
    { name: 'is the origin limit when budget plus grace is exactly it', input: { budgetMs: 9_900 }, ms: 10_000 },
    { name: 'with no grace is exactly the remaining budget', input: { graceMs: 0 }, ms: 442, why: /SLO/ },
    { name: 'is at least 1 ms once the budget is spent, so an attempt is still bounded', input: { spentMs: 600 }, ms: 1, why: /SLO/ },
    {
      name: "is the caller's deadline when that is shorter, and says so",
      input: { callerMs: 300 },
      ms: 300,
      why: /^the caller's deadline of 300 ms$/,
    },
    { name: "ignores a caller's deadline longer than the budget allows", input: { callerMs: 5_000 }, ms: 542, why: /SLO/ },
    { name: "caps a long budget by a caller's deadline", input: { budgetMs: 60_000, callerMs: 2_000 }, ms: 2_000, why: /caller/ },
  ];

  it.each(rows)('$name', ({ input, ms, why }) => {
    const d: RequestDeadline = requestDeadline({ ...BASE, ...input });
    expect(d.ms).toBe(ms);
    if (why === undefined) expect(d.short).toBeUndefined();
    else expect(d.short?.why).toMatch(why);
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
