/**
 * The data plane between every front (JSON v2 today) and the models: decode -> choose -> infer -> encode.
 * It takes its registry, engine and origin client as constructor arguments and knows nothing of HTTP
 * frameworks; fronts hand it a header getter and get back a body plus response headers.
 */
import type { GatewayConfig, ResolvedPolicy } from './config.js';
import { resolvePolicy } from './config.js';
import type { BackendResult } from './engine/backend.js';
import type { OrtEngine } from './engine/ort-engine.js';
import { EngineFailure, GatewayError, ModelNotReady, OriginCircuitOpen, OriginTimeout, OriginUnavailable } from './errors.js';
import { Metrics } from './metrics.js';
import type { OriginClient } from './origin/client.js';
import type { InferResponseBody } from './protocol/v2.js';
import type { RequestBody } from './protocol/binary.js';
import { decodeInferRequest, encodeInferResponse } from './protocol/v2.js';
import type { ModelManifest, VariantName } from './registry/manifest.js';
import { Registry, requestItems } from './registry/registry.js';
import { clamp, pinnedVariant, serverTiming, sloOf } from './protocol/routing-params.js';
import { networkProfile } from './select/hints.js';
import type { RouteDecision } from './select/select.js';
import { selectRoute } from './select/select.js';

export interface InferContext {
  header: (name: string) => string | undefined;
  requestBytes: number;
  requestId?: string;
  /** Keeps background work (a prewarm load) alive after the response (Workers' ctx.waitUntil). */
  waitUntil?: (work: Promise<unknown>) => void;
}

export interface InferOutcome {
  body: InferResponseBody;
  /** Output bytes for the binary tensor extension, in output order (empty for plain JSON). */
  blocks: Uint8Array[];
  headers: Record<string, string>;
  decision: RouteDecision;
}

export interface DataPlaneDeps {
  config: GatewayConfig;
  registry: Registry;
  engine: OrtEngine;
  origin?: OriginClient | undefined;
  metrics?: Metrics;
  now?: () => number;
}

/** A hypothetical request for explain: what the caller would send, without the tensors. */
export interface ExplainQuery {
  slo_ms?: number | undefined;
  items?: number | undefined;
  request_bytes?: number | undefined;
  variant?: string | undefined;
  /** Client Hints as they would arrive (RTT, ECT, Downlink, Save-Data, ...). */
  hints?: Record<string, string> | undefined;
}

export class DataPlane {
  private readonly unhealthyUntil = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly deps: DataPlaneDeps) {
    this.now = deps.now ?? (() => Date.now());
  }

  get registry(): Registry {
    return this.deps.registry;
  }

  get metrics(): Metrics {
    return this.deps.metrics ?? (this.deps.metrics = new Metrics());
  }

  get config(): GatewayConfig {
    return this.deps.config;
  }

  /**
   * When the origin won only because the best edge variant is cold, load that variant in the background
   * so later requests can stay at the edge: a cold isolate would otherwise never warm up under tight SLOs.
   */
  private prewarm(model: ModelManifest, decision: RouteDecision, ctx: InferContext): void {
    if (!ctx.waitUntil) return;
    const loaded = this.deps.engine.loadedVariants(model);
    const cold = decision.candidates
      .filter((c) => c.target === 'edge' && c.kept && !loaded.has(c.variant))
      .sort((a, b) => b.fidelity - a.fidelity)[0];
    if (cold) ctx.waitUntil(this.deps.engine.session(model, cold.variant).catch(() => undefined));
  }

  /** Loads the configured hot variants (`edge.warm`); failures are logged, never thrown. */
  async warm(): Promise<void> {
    for (const entry of this.deps.config.edge.warm) {
      const [name, variant] = entry.split('/') as [string, VariantName];
      try {
        const model = this.deps.registry.get(name);
        if (!model.variants[variant]) throw new Error(`model '${name}' has no variant '${variant}'`);
        await this.deps.engine.session(model, variant);
        console.log(JSON.stringify({ event: 'warmed', model: name, variant }));
      } catch (e) {
        console.warn(JSON.stringify({ event: 'warm_failed', entry, error: (e as Error).message }));
      }
    }
  }

  /** Swaps in a new routing policy (hot reload); live state (breaker, loaded sessions) is kept. */
  setConfig(config: GatewayConfig): void {
    this.deps.config = config;
  }

  /** The decision for a hypothetical request, with every candidate and why it was kept or dropped. */
  explain(model: ModelManifest, q: ExplainQuery) {
    const hints = new Map(Object.entries(q.hints ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    const ctx: InferContext = { header: (name) => hints.get(name.toLowerCase()), requestBytes: q.request_bytes ?? 0 };
    const slo = sloOf(q.slo_ms === undefined ? undefined : String(q.slo_ms), undefined);
    const policy = resolvePolicy(this.deps.config, model.name, { slo_ms: slo });
    const pinned = pinnedVariant(q.variant, model);
    const items = Math.max(1, Math.floor(q.items ?? 1));
    const decision = this.decide(model, policy, items, ctx, pinned);
    return { model: model.name, policy, network: networkProfile(ctx.header, this.deps.config.network_defaults), items, decision };
  }

  /** Whether a model can be served now: an edge variant fits, or the origin is up. */
  modelReady(model: ModelManifest): boolean {
    const policy = resolvePolicy(this.deps.config, model.name);
    const edge = Object.values(model.variants).some((v) => v.edge_memory_bytes <= policy.edge_memory_budget_bytes);
    const origin = policy.origin_enabled && !!this.deps.origin?.healthy();
    return edge || origin;
  }

  /** Where each variant of a model runs by default: at the edge if it fits the memory budget. */
  placement(model: ModelManifest, variant: VariantName): 'edge' | 'origin' {
    const policy = resolvePolicy(this.deps.config, model.name);
    return model.variants[variant]!.edge_memory_bytes <= policy.edge_memory_budget_bytes ? 'edge' : 'origin';
  }

  private unhealthy(model: ModelManifest): Set<VariantName> {
    const out = new Set<VariantName>();
    const now = this.now();
    for (const v of Object.keys(model.variants) as VariantName[]) {
      if ((this.unhealthyUntil.get(`${model.name}/${v}`) ?? 0) > now) out.add(v);
    }
    return out;
  }

  /** The routing decision for a decoded request, without running it. */
  decide(model: ModelManifest, policy: ResolvedPolicy, items: number, ctx: InferContext, pinned?: VariantName): RouteDecision {
    const { config, engine, origin } = this.deps;
    return selectRoute({
      variants: Registry.variantFacts(model),
      items,
      request_bytes: ctx.requestBytes,
      network: networkProfile(ctx.header, config.network_defaults),
      policy: {
        ...policy,
        edge_speed_factor: config.edge.speed_factor,
        origin_speed_factor: config.origin.speed_factor,
        origin_variant: config.origin.variant,
        request_overhead_ms: config.edge.request_overhead_ms,
      },
      live: {
        origin_configured: !!origin,
        origin_healthy: !!origin?.healthy(),
        origin_rtt_ms: origin?.rttMs() ?? config.origin.expected_rtt_ms,
        unhealthy_variants: this.unhealthy(model),
        loaded_variants: engine.loadedVariants(model),
        edge_queue_ms: engine.queueMs(),
        edge_runtime_init_ms: engine.runtimeReady() ? 0 : config.edge.runtime_init_ms,
      },
      ...(pinned ? { pinned } : {}),
    });
  }

  /** Runs one v2 JSON request body for `model`: decode, choose, infer (edge, else origin), encode. */
  async infer(model: ModelManifest, body: RequestBody, ctx: InferContext): Promise<InferOutcome> {
    const t0 = performance.now();
    try {
      const outcome = await this.run(model, body, ctx, t0);
      const d = outcome.decision;
      const labels = { model: model.name, version: model.version, variant: outcome.headers['x-model-variant']!, target: outcome.headers['x-served-by']! };
      this.metrics.inc('nv_inference_request_success', labels);
      this.metrics.observe('nv_inference_request_duration_ms', labels, performance.now() - t0);
      this.metrics.inc('gateway_route_decisions_total', { model: model.name, target: d.target, variant: d.variant ?? '', slo: d.meets_slo ? 'met' : 'miss' });
      return outcome;
    } catch (err) {
      const status = err instanceof GatewayError ? err.status : 500;
      this.metrics.inc('nv_inference_request_failure', { model: model.name, version: model.version, status: String(status) });
      throw err;
    }
  }

  private async run(model: ModelManifest, body: RequestBody, ctx: InferContext, t0: number): Promise<InferOutcome> {
    const { config } = this.deps;
    const request = decodeInferRequest(body.json, model, config.limits, body.binary);
    const slo = sloOf(ctx.header('x-slo-ms'), request.parameters.slo_ms);
    const policy = resolvePolicy(config, model.name, { slo_ms: slo });
    const pinned = pinnedVariant(ctx.header('x-model-variant'), model);
    const items = requestItems(model, request.inputs);
    const decision = this.decide(model, policy, items, ctx, pinned);
    const selectMs = performance.now() - t0;
    if (decision.target === 'none') {
      throw new ModelNotReady(`model '${model.name}' cannot be served now: ${decision.reason}`, this.deps.origin?.breaker.retryAfterSeconds() || 5);
    }
    const deadline = this.now() + clamp(policy.slo_ms * config.origin.slo_deadline_factor, config.origin.min_timeout_ms, config.origin.timeout_ms);
    const backendReq = {
      model,
      variant: decision.variant!,
      request,
      deadline,
      ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
      ...(ctx.waitUntil ? { waitUntil: ctx.waitUntil } : {}),
      batching: policy.batching ? { maxBatch: policy.max_batch_size, maxDelayMs: policy.max_queue_delay_ms } : { maxBatch: 1, maxDelayMs: 0 },
      slackMs: Math.max(0, decision.budget_ms - decision.predicted_ms),
    };
    let result: BackendResult;
    let servedBy: 'edge' | 'origin' = decision.target;
    let reason = decision.reason;
    if (decision.target === 'edge') {
      try {
        result = await this.deps.engine.infer(backendReq);
      } catch (err) {
        if (!(err instanceof EngineFailure) || !this.deps.origin || !policy.origin_enabled || !this.deps.origin.healthy()) throw err;
        this.unhealthyUntil.set(`${model.name}/${decision.variant}`, this.now() + config.edge.variant_cooldown_ms);
        console.warn(JSON.stringify({ event: 'edge_failure', model: model.name, variant: decision.variant, error: err.message, request_id: ctx.requestId }));
        this.metrics.inc('gateway_edge_fallbacks_total', { model: model.name, variant: decision.variant! });
        result = await this.deps.origin.infer({ ...backendReq, variant: config.origin.variant });
        servedBy = 'origin';
        reason = `edge ${decision.variant} failed (${err.message.slice(0, 80)}); fell back to origin`;
      }
    } else {
      this.prewarm(model, decision, ctx);
      try {
        result = await this.deps.origin!.infer(backendReq);
      } catch (err) {
        // The origin failed: a model with an edge variant still gets an answer, from the best one kept.
        const edge = decision.candidates.filter((c) => c.target === 'edge' && c.kept).sort((a, b) => b.fidelity - a.fidelity || a.predicted_ms - b.predicted_ms)[0];
        if (!(err instanceof OriginUnavailable || err instanceof OriginTimeout || err instanceof OriginCircuitOpen) || !edge) throw err;
        this.metrics.inc('gateway_origin_fallbacks_total', { model: model.name, variant: edge.variant });
        result = await this.deps.engine.infer({ ...backendReq, variant: edge.variant });
        servedBy = 'edge';
        reason = `origin failed (${err.message.slice(0, 80)}); served ${edge.variant} at the edge`;
      }
    }
    const site = servedBy === 'edge' ? config.site : 'origin';
    if (result.timings.infer !== undefined) this.metrics.observe('nv_inference_compute_infer_duration_ms', { model: model.name, variant: result.variant }, result.timings.infer);
    if (result.timings.origin !== undefined) this.metrics.observe('gateway_origin_requests_duration_ms', { model: model.name }, result.timings.origin);
    const headers: Record<string, string> = {
      'x-model-variant': result.variant,
      'x-served-by': site,
      'x-route-reason': reason,
      'server-timing': serverTiming({ select: selectMs, ...result.timings }),
    };
    const encoded = encodeInferResponse(model, request.id, result.outputs, request.binaryOutputs);
    return { body: encoded.body, blocks: encoded.blocks, headers, decision };
  }
}
