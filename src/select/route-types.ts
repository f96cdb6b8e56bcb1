/**
 * The routing decision's vocabulary: what the selector is given (policy, live state, learned estimates, the
 * request) and what it returns (candidates, the decision with its fallback and prewarm). Types only, shared by
 * the selector (select.ts) and the candidates it builds (candidates.ts); select.ts re-exports them.
 */
import type { LatencyEstimate } from '../latency/estimator.js';
import type { VariantName } from '../registry/manifest.js';
import type { VariantFacts } from './facts.js';
import type { NetworkProfile } from './hints.js';
import type { CallerLimits } from './refusal.js';

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
  /**
   * Variants the fidelity monitor holds out of automatic choice (demoted, a canary outside its share, rolled
   * back), with the reason their candidate shows; a pin the data plane let through still runs them.
   */
  held_variants?: ReadonlyMap<VariantName, string>;
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
  /** A canary this request was drawn for: chosen when kept and within the budget (else the usual choice). */
  prefer?: VariantName;
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

