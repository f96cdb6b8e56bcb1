/**
 * When a request may be refused up front, and the arithmetic that says so. The SLO is a routing target: the
 * gateway runs the best candidate and flags a predicted miss, unless the caller asked to be held to a limit
 * (`x-slo-strict: 1`, or a v2 `parameters.timeout` deadline, Triton's) or the operator set
 * `refuse_predicted_miss`. Even then only facts count: the SLO or deadline, the round trip the caller's own
 * RTT/ECT hints state, the gateway's overhead, and the measured latency of the fastest candidate. A default
 * network, the mobile guess and the upload time of a body that has already arrived are estimates that may
 * steer the routing (select.ts) but never refuse it.
 */
import { CLIENT_HINT } from '../protocol/headers.js';
import type { NetworkProfile } from './hints.js';
import { hintedRttMs } from './hints.js';

/** What the caller asked to be held to: with the policy's `refuse_predicted_miss`, the only grounds for a refusal. */
export interface CallerLimits {
  /** The caller asked for its SLO to be enforced (`x-slo-strict: 1`): a predicted miss is refused, not run. */
  strict_slo?: boolean;
  /** The caller's own deadline for the server's work, ms from arrival (v2 `parameters.timeout`, sent in µs). */
  deadline_ms?: number;
}

/** The parts of the selection policy a refusal reads. */
export interface RefusalPolicy {
  slo_ms: number;
  request_overhead_ms?: number;
  refuse_predicted_miss?: boolean;
}

/** A limit the request is held to: its budget for the server's work (ms) and how that was computed. */
export interface EnforcedLimit {
  ms: number;
  arithmetic: string;
}

const round = (x: number) => Math.round(x * 10) / 10;

/** The tightest limit the facts allow when a refusal was asked for; undefined when none was. */
export function enforcedLimit(policy: RefusalPolicy, network: NetworkProfile, caller: CallerLimits | undefined): EnforcedLimit | undefined {
  const overhead = round(policy.request_overhead_ms ?? 0);
  const limits: EnforcedLimit[] = [];
  if (caller?.strict_slo || policy.refuse_predicted_miss) {
    const rtt = round(hintedRttMs(network));
    const ms = round(policy.slo_ms - rtt - overhead);
    const hint = network.from_hints.includes(CLIENT_HINT.rtt) ? CLIENT_HINT.rtt : CLIENT_HINT.ect;
    const trip = rtt > 0 ? ` - ${rtt} ms round trip (your ${hint} hint)` : '';
    limits.push({ ms, arithmetic: `${round(policy.slo_ms)} ms SLO${trip} - ${overhead} ms gateway overhead = ${ms} ms budget` });
  }
  if (caller?.deadline_ms !== undefined) {
    const ms = round(caller.deadline_ms - overhead);
    limits.push({ ms, arithmetic: `${round(caller.deadline_ms)} ms timeout - ${overhead} ms gateway overhead = ${ms} ms budget` });
  }
  return limits.length ? limits.reduce((a, b) => (b.ms < a.ms ? b : a)) : undefined;
}
