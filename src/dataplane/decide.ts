/**
 * From a request (or a hypothetical one) to the selector's input: the resolved policy, the network profile
 * from Client Hints, the variant facts and the live state, then `selectRoute`. Shared by inference and by
 * explain, so a what-if answer is the decision a real request would get.
 */
import type { GatewayConfig, ResolvedPolicy } from '../config.js';
import { resolvePolicy } from '../config.js';
import type { Feedback } from '../latency/feedback.js';
import type { MonitorRouting, VariantWatch } from '../monitor/monitor.js';
import { fleetFacts } from '../latency/fleet.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import type { VariantFacts } from '../select/facts.js';
import { variantFacts } from '../select/facts.js';
import type { HintReader, NetworkProfile } from '../select/hints.js';
import { networkProfile } from '../select/hints.js';
import type { LiveView } from '../select/live.js';
import { pinnedVariant, sloOf, timeoutMsOf } from '../select/request-params.js';
import type { CallerLimits, RouteDecision } from '../select/select.js';
import { selectRoute } from '../select/select.js';

/** What a decision reads besides the request: the config in force, live state, variants cooling down. */
export interface DecisionState {
  config: GatewayConfig;
  live: LiveView;
  unhealthy: ReadonlySet<VariantName>;
  /**
   * What this isolate learned of latency (seeded by the fleet's fits for its colo) and has in flight; absent
   * (tests, the fleet bench): the manifest's or the fleet-wide fit of `config.learned`, the engine's queue.
   */
  feedback?: Feedback | undefined;
  /** What the fidelity monitor holds out of routing, and the canary drawn for this request; absent: nothing held. */
  watch?: MonitorRouting | undefined;
}

/** The request as the selector profiles it. */
export interface RequestProfile {
  items: number;
  requestBytes: number;
  /** The request's Client Hints. */
  hints: HintReader;
  pinned?: VariantName | undefined;
  /** What the caller asked to be held to (`x-slo-strict`, `parameters.timeout`): the grounds for a refusal. */
  caller?: CallerLimits | undefined;
}

/** The routing decision for one request under `policy`. */
export function decide(model: ModelManifest, policy: ResolvedPolicy, req: RequestProfile, state: DecisionState): RouteDecision {
  const { config, live } = state;
  const learning = config.learning.enabled ? state.feedback : undefined;
  return selectRoute({
    // The fleet's fits come in once: as the learner's prior when it hands out estimates, else in the facts.
    variants: learning ? variantFacts(model) : decisionFacts(model, state),
    items: req.items,
    request_bytes: req.requestBytes,
    network: networkProfile(req.hints, config.network_defaults),
    policy: {
      ...policy,
      edge_speed_factor: config.edge.speed_factor,
      origin_speed_factor: config.origin.speed_factor,
      origin_variant: config.origin.variant,
      request_overhead_ms: config.edge.request_overhead_ms,
      batch_wait_ms: policy.batching && model.batch_axis ? policy.max_queue_delay_ms : 0,
    },
    live: {
      origin_configured: live.originConfigured(),
      origin_healthy: live.originHealthy(),
      origin_rtt_ms: live.originRttMs(),
      unhealthy_variants: state.unhealthy,
      loaded_variants: live.loadedVariants(model),
      // The engine sees what is queued; the feedback also sees the run in progress (and counts a batch once).
      edge_queue_ms: Math.max(live.edgeQueueMs(), learning?.edgeAheadMs() ?? 0),
      edge_runtime_init_ms: live.edgeRuntimeReady() ? 0 : config.edge.runtime_init_ms,
      origin_queue_ms: learning?.originAheadMs() ?? 0,
      ...(state.watch ? { held_variants: state.watch.held } : {}),
    },
    ...(req.pinned ? { pinned: req.pinned } : {}),
    ...(state.watch?.prefer ? { prefer: state.watch.prefer } : {}),
    ...(req.caller ? { caller: req.caller } : {}),
    ...(learning
      ? {
          estimates: {
            edge: learning.learner.estimates('edge', model, config.edge.speed_factor),
            origin: learning.learner.estimates('origin', model, config.origin.speed_factor),
            tail_weight: config.learning.tail_weight,
          },
        }
      : {}),
  });
}

/** Variant facts with the fleet's fits as the isolate's learner sees them (its colo's first): see src/latency/fleet.ts. */
export function decisionFacts(model: ModelManifest, state: DecisionState): VariantFacts[] {
  return fleetFacts(variantFacts(model), model, state.config.edge.speed_factor, state.feedback?.learner, state.config.learned);
}

/** A hypothetical request for explain: what the caller would send, without the tensors. */
export interface ExplainQuery {
  slo_ms?: number | undefined;
  items?: number | undefined;
  request_bytes?: number | undefined;
  variant?: string | undefined;
  /** As `x-slo-strict: 1`: the SLO is enforced (a predicted miss is refused). */
  strict?: boolean | undefined;
  /** As v2 `parameters.timeout`, in µs: the caller's deadline. */
  timeout_us?: number | undefined;
  /** Client Hints as they would arrive (RTT, ECT, Downlink, Save-Data, ...). */
  hints?: Record<string, string> | undefined;
}

/** The decision of explain, as the admin API has always shown it (without the fallback and prewarm plan). */
export type ExplainedDecision = Omit<RouteDecision, 'fallback' | 'prewarm'>;

/** What explain answers (admin API and dashboard): the policy, network profile, items and decision. */
export interface Explanation {
  model: string;
  policy: ResolvedPolicy;
  network: NetworkProfile;
  items: number;
  decision: ExplainedDecision;
  /** Whether predictions are learned, and whether this isolate's clock is frozen during CPU work. */
  learning: { enabled: boolean; clock_frozen: boolean };
  /** Each variant's standing and production fidelity next to its offline figure (src/monitor/), where the gateway monitors. */
  monitor?: VariantWatch[] | undefined;
}

/** The decision for a hypothetical request, with every candidate and why it was kept or dropped. */
export function explain(model: ModelManifest, q: ExplainQuery, state: DecisionState): Explanation {
  const given = new Map(Object.entries(q.hints ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
  const hints = (name: string) => given.get(name.toLowerCase());
  const slo = sloOf(q.slo_ms === undefined ? undefined : String(q.slo_ms), undefined);
  const policy = resolvePolicy(state.config, model.name, { slo_ms: slo });
  const items = Math.max(1, Math.floor(q.items ?? 1));
  const caller = { strict_slo: q.strict === true, ...optionalDeadline(timeoutMsOf(q.timeout_us)) };
  const profile = { items, requestBytes: q.request_bytes ?? 0, hints, pinned: pinnedVariant(q.variant, model, policy), caller };
  const { fallback: _fallback, prewarm: _prewarm, ...decision } = decide(model, policy, profile, state);
  const learning = { enabled: state.config.learning.enabled, clock_frozen: state.feedback?.learner.clockFrozen() ?? false };
  return { model: model.name, policy, network: networkProfile(hints, state.config.network_defaults), items, decision, learning };
}

/** `{ deadline_ms }` when there is a deadline, else nothing (exactOptionalPropertyTypes). */
export function optionalDeadline(ms: number | undefined): { deadline_ms?: number } {
  return ms === undefined ? {} : { deadline_ms: ms };
}
