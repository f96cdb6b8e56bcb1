/**
 * The data plane between every front (JSON and binary v2, admin, dashboard) and the models:
 * decode -> choose -> infer -> encode. It is handed its registry, its two backends behind one interface,
 * a read-only view of live state, where to read its config, and its metrics; it knows no HTTP and no
 * backend's internals. Every routing choice, fallback and prewarm included, is the selector's; the plane
 * carries it out and returns a typed result that the routes render (headers included).
 */
import type { GatewayConfig } from './config.js';
import { resolvePolicy } from './config.js';
import type { DecisionState, ExplainQuery, Explanation } from './dataplane/decide.js';
import { decide, explain, optionalDeadline } from './dataplane/decide.js';
import type { Artifact, DevicePlan } from './dataplane/device.js';
import { devicePlan, findArtifact } from './dataplane/device.js';
import type { DeviceQuery } from './select/device-params.js';
import { Feedback } from './latency/feedback.js';
import { backendRequest, serve } from './dataplane/serve.js';
import type { Watch } from './dataplane/shadow.js';
import type { WatchView } from './dataplane/watch-view.js';
import { Shadows } from './dataplane/shadow.js';
import { VariantHealth } from './dataplane/variant-health.js';
import { loadModel } from './dataplane/repository.js';
import type { TritonModelStat } from './dataplane/statistics.js';
import { Statistics } from './dataplane/statistics.js';
import { GatewayError, ModelNotReady, SloUnattainable } from './errors.js';
import { Metrics } from './metrics.js';
import type { RequestBody } from './protocol/binary.js';
import type { TritonModelConfig } from './protocol/model-config.js';
import { modelConfig } from './protocol/model-config.js';
import { decodeInferRequest } from './protocol/v2-request.js';
import { encodeInferResponse } from './protocol/v2-response.js';
import { checkOutputElements } from './protocol/request-checks.js';
import { classifyOutputs } from './protocol/classification.js';
import type { ModelManifest, VariantName } from './registry/manifest.js';
import type { Registry } from './registry/registry.js';
import { requestItems } from './registry/registry.js';
import { fitsEdge } from './select/facts.js';
import type { LearnedSeries } from './latency/learner.js';
import type { HintReader } from './select/hints.js';
import { callerDeadlineOf, pinnedVariant, priorityOf, sloOf, strictSloOf, timeoutMsOf } from './select/request-params.js';
import type { Target } from './select/select.js';

export type { ExplainQuery, Explanation } from './dataplane/decide.js';
export type { Artifact, DevicePlan } from './dataplane/device.js';
export type { ScorePoint, WatchView } from './dataplane/watch-view.js';
export type { RequestRouting } from './select/request-params.js';
export type { ConfigSource, DataPlaneDeps, InferContext, InferOutcome, SloOutcome } from './dataplane/types.js';
import type { DataPlaneDeps, InferContext, InferOutcome, SloOutcome } from './dataplane/types.js';

/** One method per verb (warm, explain, model status, infer), shared by every front. */
export class DataPlane {
  readonly registry: Registry;
  readonly metrics: Metrics;
  /** Triton's per-model statistics (src/dataplane/statistics.ts), fed by every `infer`. */
  private readonly stats = new Statistics(() => this.now());
  private latest: GatewayConfig;
  private readonly health: VariantHealth;
  private readonly now: () => number;
  private readonly feedback: Feedback;
  /** The backends, wrapped so that every run is learned from and tracked in flight. */
  private readonly backends: DataPlaneDeps['backends'];
  /** Shadow checks and what the fidelity monitor holds out, when the root gave the plane a monitor. */
  private readonly shadows: Shadows | undefined;

  constructor(private readonly deps: DataPlaneDeps) {
    this.registry = deps.registry;
    this.metrics = deps.metrics ?? new Metrics();
    this.latest = deps.initialConfig;
    this.now = deps.now ?? (() => Date.now());
    this.health = new VariantHealth(this.now);
    this.feedback = new Feedback(deps.learner, this.metrics, () => this.latest);
    const { edge, origin } = deps.backends;
    this.backends = { edge: this.feedback.wrap('edge', edge), origin: origin && this.feedback.wrap('origin', origin) };
    const predictMs = (target: Target, m: ModelManifest, v: VariantName, items: number) => this.feedback.learner.predict(target, m, v, items, this.latest[target].speed_factor);
    this.shadows = deps.monitor && new Shadows({ monitor: deps.monitor, backends: this.backends, live: deps.live, predictMs, metrics: this.metrics, now: this.now });
  }

  /** What this isolate has learned of latency, per target, model and variant, and whether its clock is frozen. */
  learned(): { series: LearnedSeries[]; clockFrozen: boolean } {
    return { series: this.feedback.learner.snapshot(), clockFrozen: this.feedback.learner.clockFrozen() };
  }

  /** The config as last read: for synchronous readers of what KV never overrides (auth, limits, origin). */
  get config(): GatewayConfig {
    return this.latest;
  }

  private async read(waitUntil?: (work: Promise<unknown>) => void): Promise<GatewayConfig> {
    return (this.latest = await this.deps.config.get(waitUntil));
  }

  private state(config: GatewayConfig, model: ModelManifest, watch?: Watch): DecisionState {
    const held = watch ?? this.shadows?.watch(model, config, resolvePolicy(config, model.name));
    return { config, live: this.deps.live, unhealthy: this.health.unhealthy(model), feedback: this.feedback, ...(held ? { watch: held.routing } : {}) };
  }

  /** Loads the configured hot variants (`edge.warm`); failures are logged, never thrown. */
  async warm(): Promise<void> {
    const { edge } = this.backends;
    if (!edge.warm) return;
    for (const entry of (await this.read()).edge.warm) {
      const [name, variant] = entry.split('/') as [string, VariantName];
      try {
        const model = this.registry.get(name);
        if (!model.variants[variant]) throw new Error(`model '${name}' has no variant '${variant}'`);
        await edge.warm(model, variant);
        console.log(JSON.stringify({ event: 'warmed', model: name, variant }));
      } catch (e) {
        console.warn(JSON.stringify({ event: 'warm_failed', entry, error: (e as Error).message }));
      }
    }
  }

  /** The decision for a hypothetical request, with every candidate and why it was kept or dropped. */
  async explain(model: ModelManifest, q: ExplainQuery): Promise<Explanation> {
    const config = await this.read();
    const e = explain(model, q, this.state(config, model));
    return this.shadows ? { ...e, monitor: this.shadows.view(config).report(model) } : e;
  }

  /** The fidelity monitor as ops see it (standings, verdicts, clears, events), under the config in force; undefined without one. */
  async watching(): Promise<WatchView | undefined> {
    return this.shadows?.view(await this.read());
  }

  /** Where a client should run `model` (its device, which variant, or the gateway), from its hints and query. */
  async devicePlan(model: ModelManifest, query: DeviceQuery, hints: HintReader): Promise<DevicePlan> {
    return await devicePlan(model, query, hints, this.state(await this.read(), model), this.deps.artifacts ?? []);
  }

  /** A variant's file for a device: 403 when the policy forbids it, 404 when unknown or only at the origin. */
  async artifact(model: ModelManifest, variant: string): Promise<Artifact> {
    // Awaited here: a promise rejected before it is returned would count as unhandled for a microtask.
    return await findArtifact(model, variant, await this.read(), this.deps.artifacts ?? []);
  }

  /** Whether a model can be served now (an edge variant fits, or the origin is up), and where each variant runs by default. */
  async modelStatus(model: ModelManifest): Promise<{ ready: boolean; placement: Partial<Record<VariantName, Target>> }> {
    const policy = resolvePolicy(await this.read(), model.name);
    const placement: Partial<Record<VariantName, Target>> = {};
    for (const [name, v] of Object.entries(model.variants)) placement[name as VariantName] = fitsEdge(v, policy.edge_memory_budget_bytes) ? 'edge' : 'origin';
    const origin = policy.origin_enabled && this.deps.live.originHealthy();
    return { ready: Object.values(placement).includes('edge') || origin, placement };
  }

  /** Triton's ModelConfig of `model` under its policy as now configured. */
  async modelConfig(model: ModelManifest): Promise<TritonModelConfig> {
    const config = await this.read();
    return modelConfig(model, resolvePolicy(config, model.name), config.site);
  }

  /** Opens the edge sessions of `model`'s allowed variants that fit (Triton's load); the variants opened. */
  async load(model: ModelManifest): Promise<VariantName[]> {
    return loadModel(model, resolvePolicy(await this.read(), model.name), this.backends.edge);
  }

  /** Releases this process's edge sessions of `model` (Triton's unload); it is still served, loaded on demand. */
  async unload(model: ModelManifest): Promise<void> {
    await this.deps.backends.edge.unload?.(model);
  }

  /** Triton's statistics of `model`, or of every model. */
  statistics(model?: ModelManifest): TritonModelStat[] {
    return (model ? [model] : this.registry.list()).map((m) => this.stats.model(m));
  }

  /** Runs one v2 request body for `model`: decode, choose, infer (with the selector's fallback), encode. */
  async infer(model: ModelManifest, body: RequestBody, ctx: InferContext): Promise<InferOutcome> {
    const arrived = this.now();
    const config = await this.read(ctx.waitUntil);
    const t0 = performance.now();
    const held: { watch?: Watch | undefined } = {};
    try {
      const outcome = await this.run(model, body, ctx, config, t0, arrived, held);
      const d = outcome.decision;
      const labels = { model: model.name, version: model.version, variant: outcome.served.variant, target: outcome.served.site };
      this.metrics.inc('nv_inference_request_success', labels);
      this.metrics.observe('nv_inference_request_duration_ms', labels, performance.now() - t0);
      this.metrics.inc('gateway_route_decisions_total', { model: model.name, target: d.target, variant: d.variant ?? '', slo: d.meets_slo ? 'met' : 'miss' });
      this.metrics.inc('gateway_slo_total', { model: model.name, outcome: outcome.slo });
      return outcome;
    } catch (err) {
      const status = err instanceof GatewayError ? err.status : 500;
      this.metrics.inc('nv_inference_request_failure', { model: model.name, version: model.version, status: String(status) });
      this.stats.failed(model, performance.now() - t0);
      throw err;
    } finally {
      // A canary draw's reserved check, when the request failed before its answer took it over.
      held.watch?.routing.ticket?.release();
    }
  }

  private async run(model: ModelManifest, body: RequestBody, ctx: InferContext, config: GatewayConfig, t0: number, arrived: number, held: { watch?: Watch | undefined }): Promise<InferOutcome> {
    const modelPolicy = resolvePolicy(config, model.name);
    const request = decodeInferRequest(body.json, model, config.limits, body.binary, { allowNonFinite: modelPolicy.allow_non_finite });
    const decodeMs = performance.now() - t0;
    const policy = resolvePolicy(config, model.name, { slo_ms: sloOf(ctx.routing.slo_ms, request.parameters.slo_ms) });
    // Triton's `timeout` is the caller's deadline as much as a gateway's deadline header; the earlier one holds.
    const timeoutMs = timeoutMsOf(request.parameters.timeout);
    const callerDeadlineMs = minDefined(callerDeadlineOf(ctx.routing.deadline_ms), timeoutMs);
    const caller = { strict_slo: strictSloOf(ctx.routing.strict), ...optionalDeadline(timeoutMs) };
    const priority = priorityOf(request.parameters.priority, policy.priority_levels, Math.min(policy.default_priority_level, policy.priority_levels));
    const profile = { items: requestItems(model, request.inputs), requestBytes: ctx.requestBytes, hints: ctx.routing.hints, pinned: pinnedVariant(ctx.routing.variant, model, policy), caller };
    const watch = (held.watch = this.shadows?.watch(model, config, policy, profile.items));
    if (watch) this.shadows!.checkPin(model, profile.pinned, watch, policy, ctx.caller);
    const decision = decide(model, policy, profile, this.state(config, model, watch));
    const select = performance.now() - t0;
    if (decision.refused) throw new SloUnattainable(`model '${model.name}': ${decision.reason}`);
    if (decision.target === 'none') {
      throw new ModelNotReady(`model '${model.name}' cannot be served now: ${decision.reason}`, this.deps.live.originRetryAfterSeconds() || 5);
    }
    const now = this.now();
    const req = backendRequest(model, request, decision, policy, config, { requestId: ctx.requestId, waitUntil: ctx.waitUntil, now, spentMs: now - arrived, callerDeadlineMs, signal: ctx.signal, priority, timeoutSet: timeoutMs !== undefined, caller: ctx.caller });
    const { backends } = this;
    const { live } = this.deps;
    const fallbackDeps = { backends, live, health: this.health, metrics: this.metrics, cooldownMs: config.edge.variant_cooldown_ms, requestId: ctx.requestId };
    const served = serve(decision, decision.target, req, fallbackDeps);
    const { prewarm } = decision;
    if (prewarm && ctx.waitUntil && backends.edge.warm) {
      const warm = () => backends.edge.warm!(model, prewarm).catch(() => undefined);
      ctx.waitUntil(config.edge.warm_after_answer ? served.then(warm, warm) : warm());
    }
    const { result, target, reason } = await served;
    if (result.timings.infer !== undefined) this.metrics.observe('nv_inference_compute_infer_duration_ms', { model: model.name, variant: result.variant }, result.timings.infer);
    if (result.timings.origin !== undefined) this.metrics.observe('gateway_origin_requests_duration_ms', { model: model.name }, result.timings.origin);
    checkOutputElements(result.outputs, config.limits.max_output_elements);
    const tEncode = performance.now();
    // Classified here, from the raw tensors, whichever backend ran: the origin is never asked to (client.ts).
    const outputs = classifyOutputs(result.outputs, request.classification, model);
    const encoded = encodeInferResponse(model, request.id, outputs, request.binaryOutputs);
    const site = target === 'edge' ? config.site : 'origin';
    this.stats.succeeded(model, { request, result, target: site, decodeMs, encodeMs: performance.now() - tEncode, totalMs: performance.now() - t0 });
    const predictedMs = decision.candidates.find((c) => c.target === target && c.variant === result.variant)?.compute_ms;
    const slo: SloOutcome = !decision.meets_slo ? 'predicted-miss' : performance.now() - t0 + decision.network_ms > policy.slo_ms ? 'missed' : 'met';
    // The answer is ready: its shadow check (if sampled) runs in the background once it is written.
    if (watch) this.shadows!.after({ model, policy, config, request, items: profile.items, served: { variant: result.variant, target, outputs: result.outputs }, watch, requestId: ctx.requestId, waitUntil: ctx.waitUntil });
    return { body: encoded.body, blocks: encoded.blocks, served: { variant: result.variant, site, reason }, timings: { select, ...result.timings }, predictedMs, decision, slo, items: profile.items, batch: result.batch, wire: { body_bytes: ctx.requestBytes, tensor_bytes: request.inputs.reduce((n, t) => n + t.data.byteLength, 0) } };
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}
