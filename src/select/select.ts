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
import type { VariantName } from '../registry/manifest.js';
import type { LatencyEstimate } from '../latency/estimator.js';
import { estimateMs } from '../latency/estimator.js';
import type { VariantFacts } from './facts.js';
import { computeMs, fitsEdge } from './facts.js';
import type { NetworkProfile } from './hints.js';
import { networkMs } from './hints.js';
import type { CallerLimits } from './refusal.js';
import { enforcedLimit } from './refusal.js';
import { backups, mostFaithful } from './ranking.js';
import { listsVariant } from '../lib/variant-list.js';

export type { CallerLimits } from './refusal.js';

export type Target = 'edge' | 'origin';

export interface SelectionPolicy {
  slo_ms: number;
  variants: readonly VariantName[];
  accuracy_floor: number;
  save_data_fidelity_slack: number;
  /** Fidelities this close count as equal (measurement resolution); absent: exact comparison. */
  fidelity_tolerance?: number;
  edge_memory_budget_bytes: number;
  origin_enabled: boolean;
  edge_speed_factor: number;
  origin_speed_factor: number;
  origin_variant: VariantName;
  /** The gateway's own time per request (HTTP, decode, select, encode), taken out of the budget. */
  request_overhead_ms?: number;
  /** Refuse, rather than run best effort, when no kept candidate is predicted to meet the budget. */
  refuse_predicted_miss?: boolean;
  /** Longest an idle edge engine waits for company to batch with (0 without batching), bounded by the slack. */
  batch_wait_ms?: number;
  /** Variants whose fidelity is unverified (random eval set): see the policy field; absent: 'serve'. */
  unverified_fidelity?: 'serve' | 'avoid' | 'refuse';
}

/** Live state of this isolate, read at decision time. */
export interface LiveState {
  origin_configured: boolean;
  origin_healthy: boolean;
  /** Measured (EWMA) or assumed round trip to the origin, excluding its compute. */
  origin_rtt_ms: number;
  unhealthy_variants: ReadonlySet<VariantName>;
  loaded_variants: ReadonlySet<VariantName>;
  /** Predicted wait before an edge run can start (work already queued in the isolate). */
  edge_queue_ms: number;
  /**
   * Extra ms the first session of an isolate pays to instantiate the WASM runtime (0 once any session
   * is loaded). Optional so callers that do not track it predict as before.
   */
  edge_runtime_init_ms?: number;
  /** Predicted wait at the origin for the calls already in flight (their learned cost over its parallelism). */
  origin_queue_ms?: number;
}

/**
 * What this isolate has learned of each variant's compute, per target (src/latency/learner.ts), in the
 * target's own ms (no speed factor applies). A variant without an estimate is predicted from its manifest.
 */
export interface LearnedEstimates {
  edge?: Partial<Record<VariantName, LatencyEstimate>>;
  origin?: Partial<Record<VariantName, LatencyEstimate>>;
  /** Margin on learned compute: mean x (1 + tail_weight x tail). */
  tail_weight?: number;
}

export interface SelectionInput {
  variants: readonly VariantFacts[];
  items: number;
  request_bytes: number;
  network: NetworkProfile;
  policy: SelectionPolicy;
  live: LiveState;
  pinned?: VariantName;
  estimates?: LearnedEstimates;
  caller?: CallerLimits;
}

export interface Candidate {
  target: Target;
  variant: VariantName;
  fidelity: number;
  /** False when the fidelity was measured on random inputs only. */
  verified: boolean;
  /** Everything until the answer is back (compute with its margin, load, queue, batch wait; origin: round trip). */
  predicted_ms: number;
  /** The run's own predicted compute (the learned mean, else the manifest's): what `predicted` in Server-Timing says. */
  compute_ms: number;
  /** What the manifest profile x speed factor predicts for the same run, for comparison. */
  manifest_ms: number;
  /** Runs the learned estimate rests on (0: the manifest prior alone). */
  observations: number;
  kept: boolean;
  why: string;
}

/** Another target and variant to run a request on. */
export interface Fallback {
  target: Target;
  variant: VariantName;
}

export interface RouteDecision {
  /** 'none': nothing runs; the request is refused (`refused`) or no candidate can serve it now. */
  target: Target | 'none';
  /**
   * The caller (or the operator) asked for a refusal and the facts say its SLO or deadline cannot be met (the
   * reason gives the arithmetic): answered 422 without running, unlike a target of 'none' for want of a backend (503).
   */
  refused?: boolean;
  variant?: VariantName;
  predicted_ms: number;
  budget_ms: number;
  network_ms: number;
  meets_slo: boolean;
  /** Short and human: goes to `x-route-reason`. */
  reason: string;
  candidates: Candidate[];
  /**
   * Where to retry if the chosen backend fails: edge chosen -> the origin's variant when the origin
   * candidate is kept; origin chosen -> the most faithful kept edge variant, then the fastest.
   */
  fallback?: Fallback;
  /**
   * Origin chosen: the most faithful kept edge variant that is not loaded, to load in the background so
   * later requests can stay at the edge (a cold isolate would otherwise never warm up under tight SLOs).
   */
  prewarm?: VariantName;
}

const round = (x: number) => Math.round(x * 10) / 10;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** A run's compute on one target: learned when there is an estimate, else the manifest's p95 fit x speed. */
function compute(v: VariantFacts, input: SelectionInput, target: Target, speedFactor: number) {
  const manifest = computeMs(v, input.items, speedFactor);
  const learned = input.estimates?.[target]?.[v.name];
  if (!learned) return { mean: manifest, margined: manifest, manifest, observations: 0 };
  const mean = estimateMs(learned, input.items);
  return { mean, margined: estimateMs(learned, input.items, input.estimates?.tail_weight ?? 0), manifest, observations: Math.round(learned.observations * 10) / 10 };
}

function edgeCandidate(v: VariantFacts, input: SelectionInput, budget: number): Candidate {
  const { policy, live } = input;
  const c = compute(v, input, 'edge', policy.edge_speed_factor);
  const load = live.loaded_variants.has(v.name) ? 0 : (v.load_ms + (live.edge_runtime_init_ms ?? 0)) * policy.edge_speed_factor;
  const ahead = c.margined + load + live.edge_queue_ms;
  // An idle engine waits for company up to the batch delay (less what the queue already made it wait), never past the slack.
  const wait = Math.max(0, Math.min((policy.batch_wait_ms ?? 0) - live.edge_queue_ms, budget - ahead));
  const predicted = ahead + wait;
  const base = { target: 'edge' as const, variant: v.name, fidelity: v.fidelity, verified: v.verified !== false, predicted_ms: round(predicted), compute_ms: round3(c.mean), manifest_ms: round3(c.manifest), observations: c.observations };
  const pinned = input.pinned === v.name;
  if (input.pinned && !pinned) return { ...base, kept: false, why: `not the pinned variant ${input.pinned}` };
  if (!fitsEdge(v, policy.edge_memory_budget_bytes)) {
    return { ...base, kept: false, why: `needs ${mb(v.edge_memory_bytes)} MB, edge budget is ${mb(policy.edge_memory_budget_bytes)} MB` };
  }
  if (live.unhealthy_variants.has(v.name)) return { ...base, kept: false, why: 'failed at the edge recently' };
  if (!pinned && !listsVariant(policy.variants, v.name)) return { ...base, kept: false, why: 'not in the allowed variants' };
  if (!pinned && v.accuracy < policy.accuracy_floor) return { ...base, kept: false, why: `accuracy ${v.accuracy} below floor ${policy.accuracy_floor}` };
  if (!pinned && !base.verified && policy.unverified_fidelity === 'refuse') return { ...base, kept: false, why: 'fidelity unverified (measured on random inputs); policy refuses it' };
  return { ...base, kept: true, why: load ? `includes ${round(load)} ms to load` : 'loaded' };
}

function originCandidate(input: SelectionInput): Candidate | undefined {
  const { policy, live } = input;
  const variant = input.pinned ?? policy.origin_variant;
  const v = input.variants.find((x) => x.name === variant);
  if (!v || !live.origin_configured) return undefined;
  const c = compute(v, input, 'origin', policy.origin_speed_factor);
  const queued = live.origin_queue_ms ?? 0;
  const predicted = live.origin_rtt_ms + c.margined + queued;
  const base = { target: 'origin' as const, variant, fidelity: v.fidelity, verified: v.verified !== false, predicted_ms: round(predicted), compute_ms: round3(c.mean), manifest_ms: round3(c.manifest), observations: c.observations };
  if (!policy.origin_enabled) return { ...base, kept: false, why: 'origin disabled for this model' };
  if (!live.origin_healthy) return { ...base, kept: false, why: 'origin unhealthy' };
  return { ...base, kept: true, why: `~${round(live.origin_rtt_ms)} ms round trip${queued > 0 ? `, ~${round(queued)} ms behind calls in flight` : ''}` };
}

const mb = (bytes: number) => Math.round(bytes / 1048576);

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
    chosen = mostFaithful(pool, input.policy.fidelity_tolerance ?? 0);
    if (input.network.save_data) {
      const slack = input.policy.save_data_fidelity_slack;
      chosen = pool.filter((c) => c.fidelity >= chosen.fidelity - slack).reduce((a, b) => (b.predicted_ms < a.predicted_ms ? b : a));
    }
    reason = input.pinned
      ? `pinned ${chosen.variant} at ${chosen.target}`
      : `${chosen.variant} at ${chosen.target}: most accurate within ${budget} ms budget (predicted ${chosen.predicted_ms} ms)`;
    if (input.network.save_data && !input.pinned) reason += ', save-data';
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
