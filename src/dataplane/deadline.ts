/**
 * A request's deadline: how long a backend call may take before its answer is useless, and, when the request
 * itself made that shorter than the origin's own limit, what did (for the 504's message). Pure arithmetic,
 * so the rule can be read and table-tested in one place:
 *
 *   deadline = min(origin.timeout_ms, budget - spent in the gateway + origin.deadline_grace_ms, caller's deadline)
 *
 * The budget is the selector's (SLO minus the client's network and the gateway's overhead): past it the client
 * has given up, so waiting longer for a hung origin only holds the request (issue #9: a 1.5 s SLO used to be
 * answered 504 at 3 s). No timeout counts against the origin's breaker, whatever set it (src/origin/client.ts).
 */

/** What the deadline of one request is computed from (all in ms). */
export interface DeadlineInput {
  /** The selector's budget: the SLO minus the client's network and the gateway's own overhead. */
  budgetMs: number;
  /** The request's SLO, for the message when its deadline runs out. */
  sloMs: number;
  /** Time already spent on the request in the gateway (decode, select, a failed first backend). */
  spentMs: number;
  /** origin.deadline_grace_ms: how long past the budget the gateway still waits. */
  graceMs: number;
  /** origin.timeout_ms: the origin's own limit. */
  limitMs: number;
  /** The caller's own deadline (`x-request-deadline-ms`), when it sent one: a gateway calling this origin. */
  callerMs?: number | undefined;
}

/** The deadline of one request, relative to now. */
export interface RequestDeadline {
  /** How long a backend call may take (ms, at least 1). */
  ms: number;
  /** Set when the request (its SLO or its caller) made the deadline shorter than the origin's own limit: what set it, for the 504's message. */
  short?: { why: string };
}

/** The deadline of one request; see the module comment for the rule. */
export function requestDeadline(input: DeadlineInput): RequestDeadline {
  const fromBudget = input.budgetMs - input.spentMs + input.graceMs;
  const ms = Math.max(1, Math.floor(Math.min(input.limitMs, fromBudget, input.callerMs ?? Infinity)));
  if (ms >= input.limitMs) return { ms };
  const byCaller = input.callerMs !== undefined && input.callerMs <= fromBudget;
  const why = byCaller
    ? `the caller's deadline of ${input.callerMs} ms`
    : `its ${input.sloMs} ms SLO (budget ${round(input.budgetMs)} ms, ${round(input.spentMs)} ms spent, + ${input.graceMs} ms grace)`;
  return { ms, short: { why } };
}

const round = (x: number) => Math.round(x * 10) / 10;
