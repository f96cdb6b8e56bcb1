/**
 * Shadow checks: after an answer is sent, a sample of requests (`monitoring.shadow_rate`, and every canary
 * answer) run again on the model's reference variant (fp32 at the edge when it fits the edge budget, else at
 * the origin), and the two outputs are compared by each output's kind (src/monitor/compare.ts); the evidence
 * goes to the isolate's monitor and out as a `shadow` log line for the fleet (the feedback Tail Worker). A
 * sampled request also probes one demoted variant on the same inputs, so a demotion can end on fresh evidence.
 *
 * Never the caller's cost: the work starts in `waitUntil` after a turn of the event loop (the answer is
 * written first), runs as a caller of its own, SHADOW_CALLER (its own fair share of the engine and its own origin budget, no
 * rate limit, no caller metrics), last in the queue, within the monitor's budget (in flight, predicted CPU
 * per minute, origin calls per minute), and not at all while the edge queue is busy or the origin's breaker
 * is open.
 */
import type { Backend, BackendRequest } from '../backend.js';
import type { GatewayConfig, ResolvedPolicy } from '../config.js';
import { resolvePolicy } from '../config.js';
import { resolveMonitoring } from '../config/monitoring.js';
import { InvalidInput } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { SkipReason, Ticket } from '../monitor/budget.js';
import { compareAnswers } from '../monitor/compare.js';
import type { FidelityMonitor, MonitorRouting, WatchSettings } from '../monitor/monitor.js';
import type { Evidence, ShadowLine, ShadowRole } from '../monitor/published.js';
import type { InferenceRequest, Tensor } from '../protocol/tensor.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import { REFERENCE_VARIANT } from '../registry/manifest.js';
import { fitsEdge } from '../select/facts.js';
import type { LiveView } from '../select/live.js';
import type { Target } from '../select/select.js';
import type { WatchView } from './watch-view.js';
import { watchView } from './watch-view.js';

/**
 * The caller id of shadow work: well-formed (16 hex digits, src/protocol/caller.ts), as the origin answers any
 * other 400; no key or address hashes to all zeros in practice (a 64-bit preimage), and ops can tell it apart.
 */
export const SHADOW_CALLER = '0000000000000000';

export interface ShadowDeps {
  monitor: FidelityMonitor;
  /** The plane's backends (wrapped by the latency feedback: shadow runs are real runs to learn from). */
  backends: { edge: Backend; origin?: Backend | undefined };
  live: LiveView;
  /** Predicted compute (ms) of a run: the latency learner's. */
  predictMs: (target: Target, model: ModelManifest, variant: VariantName, items: number) => number;
  metrics: Metrics;
  now: () => number;
}

/** What the monitor says for one request: its routing, under the model's settings. */
export interface Watch {
  settings: WatchSettings;
  routing: MonitorRouting;
}

/** What a check needs of the request once it is answered. */
export interface Answered {
  model: ModelManifest;
  policy: ResolvedPolicy;
  config: GatewayConfig;
  request: InferenceRequest;
  items: number;
  served: { variant: VariantName; target: Target; outputs: readonly Tensor[] };
  watch: Watch;
  requestId?: string | undefined;
  waitUntil?: ((work: Promise<unknown>) => void) | undefined;
}

interface Plan {
  reference: VariantName;
  site: Target;
  /** The served variant is compared (it is not the reference). */
  served: boolean;
  /** The check calls the origin: the served variant's reference runs there (a probe alone compares with the answer in hand). */
  origin: boolean;
  probe?: VariantName | undefined;
  cpuMs: number;
}

export class Shadows {
  private probes = 0;

  constructor(private readonly deps: ShadowDeps) {}

  /** The monitor's settings for `model` under `config`. */
  settings(config: GatewayConfig, model: ModelManifest, policy: ResolvedPolicy): WatchSettings {
    return resolveMonitoring(config.monitoring, config.models[model.name], policy.accuracy_floor, policy.slo_ms);
  }

  /** What routing is told: held variants, and (`items` given: an inference) whether the canary is drawn. */
  watch(model: ModelManifest, config: GatewayConfig, policy: ResolvedPolicy, items?: number): Watch {
    const settings = this.settings(config, model, policy);
    const draw =
      items === undefined
        ? undefined
        : () => {
            const plan = this.reference(model, policy);
            if (typeof plan === 'string') return undefined;
            return { cpuMs: plan.site === 'edge' ? this.cost(model, plan.reference, items) : 0, origin: plan.site === 'origin', queueMs: this.deps.live.edgeQueueMs() };
          };
    return { settings, routing: this.deps.monitor.routing(model, settings, config.fidelity, draw) };
  }

  /** The monitor as ops see it under `config` (watch-view.ts). */
  view(config: GatewayConfig): WatchView {
    return watchView(this.deps.monitor, config, (model) => this.settings(config, model, resolvePolicy(config, model.name)));
  }

  /** A pin to a held variant: a canary only for the callers its config names, anything held only where the policy allows pins. */
  checkPin(model: ModelManifest, pinned: VariantName | undefined, watch: Watch, policy: ResolvedPolicy, caller: string | undefined): void {
    if (pinned === undefined || policy.allow_client_pins) return;
    // Checked on the standing, not the held list: a canary drawn for this request is not held, still not pinnable.
    if (this.deps.monitor.standing(model, pinned).state === 'canary') {
      if (caller !== undefined && watch.settings.canary?.pinCallers.includes(caller)) return;
      throw new InvalidInput(`variant '${pinned}' of model '${model.name}' is a canary: only the callers its canary config names may pin it (models.${model.name}.canary.pin_callers)`);
    }
    const why = watch.routing.held.get(pinned);
    if (!why) return;
    throw new InvalidInput(`variant '${pinned}' of model '${model.name}' is held out of routing (${why}); ops can clear it or set allow_client_pins`);
  }

  /** After the answer: samples the request (a canary's answer always) and schedules its check in the background. */
  after(a: Answered): void {
    const { monitor } = this.deps;
    let ticket = a.watch.routing.ticket;
    a.watch.routing.ticket = undefined;
    const canary = monitor.standing(a.model, a.served.variant).state === 'canary';
    if (!canary) {
      ticket?.release();
      ticket = undefined;
      if (!monitor.sampled(a.watch.settings)) return;
    }
    const plan = this.plan(a);
    if (typeof plan === 'string' || (!plan.served && !plan.probe)) {
      ticket?.release();
      if (typeof plan === 'string') monitor.skipped(a.model, plan);
      return;
    }
    const taken = ticket ?? monitor.budget.take(a.watch.settings.limits, { cpuMs: plan.cpuMs, origin: plan.origin, queueMs: this.deps.live.edgeQueueMs() });
    if (typeof taken === 'string') return monitor.skipped(a.model, taken);
    const held: Ticket = taken;
    // A turn of the event loop first: the answer is written before any shadow work holds the thread.
    const work = new Promise((r) => setTimeout(r, 0))
      .then(() => this.check(a, plan, canary ? 'canary' : 'served'))
      .catch((e: Error) => {
        monitor.skipped(a.model, 'failed');
        console.warn(JSON.stringify({ event: 'shadow_failed', model: a.model.name, variant: a.served.variant, error: e.message, request_id: a.requestId }));
      })
      .finally(() => held.release());
    if (a.waitUntil) a.waitUntil(work);
  }

  /** Where the reference runs for `model`, or why it cannot. */
  private reference(model: ModelManifest, policy: ResolvedPolicy): { reference: VariantName; site: Target } | SkipReason {
    const ref = model.variants[REFERENCE_VARIANT];
    if (!ref) return 'no_reference';
    if (fitsEdge(ref, policy.edge_memory_budget_bytes)) return { reference: REFERENCE_VARIANT, site: 'edge' };
    if (!this.deps.backends.origin || !policy.origin_enabled || !this.deps.live.originConfigured()) return 'no_reference';
    return this.deps.live.originHealthy() ? { reference: REFERENCE_VARIANT, site: 'origin' } : 'origin_unavailable';
  }

  /** A run's predicted edge compute, with its load when the variant is cold in this isolate. */
  private cost(model: ModelManifest, variant: VariantName, items: number): number {
    const cold = this.deps.live.loadedVariants(model).has(variant) ? 0 : model.variants[variant]!.latency.load_ms;
    return this.deps.predictMs('edge', model, variant, items) + cold;
  }

  private plan(a: Answered): Plan | SkipReason {
    const ref = this.reference(a.model, a.policy);
    if (typeof ref === 'string') return ref;
    const served = a.served.variant !== ref.reference;
    // One demoted variant that fits the edge, in turn, for fresh evidence.
    const demoted = Object.keys(a.model.variants).filter((v) => v !== a.served.variant && this.deps.monitor.standing(a.model, v).state === 'demoted' && fitsEdge(a.model.variants[v]!, a.policy.edge_memory_budget_bytes));
    const probe = demoted.length ? demoted[this.probes++ % demoted.length] : undefined;
    const cpuMs = (served && ref.site === 'edge' ? this.cost(a.model, ref.reference, a.items) : 0) + (probe ? this.cost(a.model, probe, a.items) : 0);
    return { ...ref, served, origin: served && ref.site === 'origin', probe, cpuMs };
  }

  private async check(a: Answered, plan: Plan, role: ShadowRole): Promise<void> {
    const { live, monitor } = this.deps;
    if (live.edgeQueueMs() > a.watch.settings.limits.maxQueueMs) return monitor.skipped(a.model, 'load');
    if (plan.origin && !live.originHealthy()) return monitor.skipped(a.model, 'origin_unavailable');
    const reference = plan.served ? await this.run(a, plan.reference, plan.site) : a.served.outputs;
    const probeMs = plan.probe ? this.cost(a.model, plan.probe, a.items) : 0;
    if (plan.served) this.record(a, a.served.variant, plan, role, plan.cpuMs - probeMs, reference, a.served.outputs);
    if (plan.probe) this.record(a, plan.probe, plan, 'probe', probeMs, reference, await this.run(a, plan.probe, 'edge'));
  }

  private async run(a: Answered, variant: VariantName, site: Target): Promise<readonly Tensor[]> {
    const backend = site === 'origin' ? this.deps.backends.origin! : this.deps.backends.edge;
    const predicted = this.deps.predictMs(site, a.model, variant, a.items);
    const req: BackendRequest = {
      model: a.model,
      variant,
      request: { inputs: a.request.inputs, ...(a.request.outputs ? { outputs: a.request.outputs } : {}), parameters: {} },
      deadline: this.deps.now() + a.config.origin.timeout_ms,
      caller: SHADOW_CALLER,
      batching: { maxBatch: a.policy.max_batch_size, maxDelayMs: 0 },
      slackMs: 0,
      ...(site === 'origin' ? { originComputeMs: predicted, expectedOriginMs: this.deps.live.originRttMs() + predicted } : {}),
      ...(a.requestId ? { requestId: `${a.requestId}:shadow` } : {}),
      ...(a.waitUntil ? { waitUntil: a.waitUntil } : {}),
    };
    return (await backend.infer(req)).outputs;
  }

  private record(a: Answered, variant: VariantName, plan: Plan, role: ShadowRole, costMs: number, reference: readonly Tensor[], actual: readonly Tensor[]): void {
    const samples = a.model.batch_axis ? Math.max(1, a.request.inputs[0]?.shape[0] ?? 1) : 1;
    const compared = compareAnswers(a.model, reference, actual, samples);
    const evidence: Evidence = Object.fromEntries(Object.entries(compared).map(([name, c]) => [name, { metric: c.metric, ...c.sums }]));
    this.deps.monitor.record(a.model, variant, evidence, a.watch.settings, a.config.fidelity);
    this.deps.metrics.inc('gateway_shadow_comparisons_total', { model: a.model.name, variant, reference: plan.site, role });
    const line: ShadowLine = { event: 'shadow', model: a.model.name, variant, reference: plan.reference, site: plan.site, role, outputs: evidence, cost_ms: round(Math.max(0, costMs)), ...(a.requestId ? { request_id: a.requestId } : {}) };
    console.log(JSON.stringify(line));
  }
}

const round = (x: number) => Math.round(x * 1000) / 1000;
