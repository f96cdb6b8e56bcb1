/**
 * The routing decision: a pure function of (request profile, model variants, policy, live state) that
 * returns where to run, which variant, and why. Most accurate candidate predicted to meet the budget wins;
 * if none can, the fastest, flagged as a predicted miss. The decision also names what to do when the chosen
 * backend fails (the fallback) and which cold edge variant to load meanwhile (prewarm), so the data plane
 * makes no routing choice of its own.
 *
 * The SLO is a routing target, never a reason to refuse on a guess (docs: "The SLO contract"). The budget
 * that steers the choice takes out the network as estimated (hints, else `network_defaults`, and the upload
 * time of the body, which has in fact already arrived); a refusal uses only facts: it happens only when the
 * caller asked for one (`x-slo-strict`, or a v2 `parameters.timeout` deadline) or the operator set
 * `refuse_predicted_miss`, and its arithmetic counts only the round trip the caller's own RTT/ECT hints state,
 * the gateway's overhead and measured latency: never a default network, never the upload.
 */
import { networkMs } from './hints.js';
import { enforcedLimit } from './refusal.js';
import { backups, mostFaithful } from './ranking.js';
import { edgeCandidate, originCandidate } from './candidates.js';
import type { Candidate, RouteDecision, SelectionInput } from './route-types.js';

export type { CallerLimits } from './refusal.js';
export type { Candidate, Fallback, LearnedEstimates, LiveState, RouteDecision, SelectionInput, SelectionPolicy, Target } from './route-types.js';

const round = (x: number) => Math.round(x * 10) / 10;

/** Chooses a target and variant for one request. Pure: same input, same decision. */
export function selectRoute(input: SelectionInput): RouteDecision {
  const network = round(networkMs(input.network, input.request_bytes));
  const overhead = input.policy.request_overhead_ms ?? 0;
  const fromSlo = round(input.policy.slo_ms - network - overhead);
  const deadline = input.caller?.deadline_ms;
  // The caller's deadline is server time (no network in it): the tighter of the two steers.
  const budget = deadline === undefined ? fromSlo : Math.min(fromSlo, round(deadline - overhead));
  const candidates = input.variants.map((v) => edgeCandidate(v, input, budget));
  const origin = originCandidate(input);
  if (origin) candidates.push(origin);
  const kept = candidates.filter((c) => c.kept);
  const base = { budget_ms: budget, network_ms: network, candidates };
  const enforced = enforcedLimit(input.policy, input.network, input.caller);
  // Checked before the backends' state: no backend could help, so the answer must not depend on it.
  if (enforced && enforced.ms <= 0) return { ...base, target: 'none', refused: true, predicted_ms: 0, meets_slo: false, reason: `SLO cannot be met: ${enforced.arithmetic}` };
  if (kept.length === 0) {
    const why = candidates.map((c) => `${c.target}/${c.variant}: ${c.why}`).join('; ');
    return { ...base, target: 'none', predicted_ms: 0, meets_slo: false, reason: `no candidate can serve: ${why || 'no variants'}` };
  }
  const meeting = kept.filter((c) => c.predicted_ms <= budget);
  let chosen: Candidate;
  let reason: string;
  if (meeting.length === 0) {
    chosen = kept.reduce((a, b) => (b.predicted_ms < a.predicted_ms ? b : a));
    if (enforced && chosen.predicted_ms > enforced.ms) {
      const reason = `SLO cannot be met: fastest is ${chosen.variant} at ${chosen.target}, predicted ${chosen.predicted_ms} ms > ${enforced.arithmetic}`;
      return { ...base, target: 'none', refused: true, predicted_ms: chosen.predicted_ms, meets_slo: false, reason };
    }
    reason = `predicted SLO miss: fastest is ${chosen.variant} at ${chosen.target} (${chosen.predicted_ms} ms > ${budget} ms budget)`;
  } else {
    // 'avoid': unverified fidelity only counts when nothing verified meets the budget.
    const verified = meeting.filter((c) => c.verified);
    const pool = input.policy.unverified_fidelity === 'avoid' && verified.length > 0 ? verified : meeting;
    const canary = input.prefer === undefined ? undefined : meeting.find((c) => c.target === 'edge' && c.variant === input.prefer);
    chosen = canary ?? mostFaithful(pool, input.policy.fidelity_tolerance ?? 0);
    if (input.network.save_data && !canary) {
      const slack = input.policy.save_data_fidelity_slack;
      chosen = pool.filter((c) => c.fidelity >= chosen.fidelity - slack).reduce((a, b) => (b.predicted_ms < a.predicted_ms ? b : a));
    }
    reason = input.pinned
      ? `pinned ${chosen.variant} at ${chosen.target}`
      : canary
        ? `canary ${chosen.variant} at edge: in its share, answer checked against the reference (predicted ${chosen.predicted_ms} ms within ${budget} ms budget)`
        : `${chosen.variant} at ${chosen.target}: most accurate within ${budget} ms budget (predicted ${chosen.predicted_ms} ms)`;
    if (input.network.save_data && !input.pinned && !canary) reason += ', save-data';
    if (!chosen.verified) reason += ', fidelity unverified';
  }
  if (chosen.target === 'origin' && !input.pinned) {
    const edgeKept = kept.some((c) => c.target === 'edge');
    if (!edgeKept) reason = `origin: no edge variant can run (${candidates.find((c) => c.target === 'edge')?.why ?? 'none'}); ${reason}`;
  }
  if (chosen.target === 'edge' && origin && !origin.kept && origin.why === 'origin unhealthy') reason += '; origin unhealthy, served at the edge';
  const chosenFields = { target: chosen.target, variant: chosen.variant, predicted_ms: chosen.predicted_ms, meets_slo: chosen.predicted_ms <= budget, reason };
  return { ...base, ...chosenFields, ...backups(chosen, kept, input.live.loaded_variants) };
}
