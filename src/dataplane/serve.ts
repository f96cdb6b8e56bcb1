/**
 * Running a decision: the backend request it implies (deadline from the SLO, batching, slack), the
 * chosen backend, and its fallback when that backend fails in a way the other one can cover: an edge
 * engine failure goes to the origin (and the variant sits out its cooldown); an unreachable, late or
 * circuit-broken origin goes to the edge. Input the model refuses is the caller's (422), never a cooldown,
 * except on a variant that has not answered anything yet in this isolate: its file may be what is wrong, so
 * the origin is asked once, and only if the origin answers is the edge variant cooled down (if the origin
 * refuses too, its 4xx is the answer). An edge load that found the isolate's memory held by busy sessions
 * (MemoryBusy: contention, the variant is fine) goes to the origin too, but cools nothing down: one burst of
 * pinned requests must not take a healthy variant out of routing for everyone; with no origin to go to, its
 * 503 and short Retry-After are the answer. Which fallback, if any, the selector chose
 * (RouteDecision.fallback); this module only carries it out and says so in the reason.
 */
import type { Backend, BackendRequest, BackendResult } from '../backend.js';
import type { GatewayConfig, ResolvedPolicy } from '../config.js';
import { ClientClosedRequest, EngineFailure, GatewayError, MemoryBusy, ModelRejectedInput, OriginCircuitOpen, OriginTimeout, OriginUnavailable } from '../errors.js';
import type { Metrics } from '../metrics.js';
import type { InferenceRequest } from '../protocol/tensor.js';
import type { ModelManifest } from '../registry/manifest.js';
import type { LiveView } from '../select/live.js';
import type { RouteDecision, Target } from '../select/select.js';
import { requestDeadline } from './deadline.js';
import type { VariantHealth } from './variant-health.js';

/** What building the backend request needs of the request besides its decision. */
export interface BackendRequestContext {
  requestId?: string | undefined;
  waitUntil?: ((p: Promise<unknown>) => void) | undefined;
  /** The clock the deadline is on (ms since epoch). */
  now: number;
  /** Time already spent on the request in the gateway (ms). */
  spentMs: number;
  /** The caller's own deadline (`x-request-deadline-ms`), when it sent one. */
  callerDeadlineMs?: number | undefined;
  /** Aborted when the client goes away. */
  signal?: AbortSignal | undefined;
  /** Triton's priority level of the request (1 first). */
  priority?: number | undefined;
  /** Whether the caller's deadline came as v2 `parameters.timeout` (forwarded to the origin). */
  timeoutSet?: boolean | undefined;
  /** Who is asking (src/protocol/caller.ts). */
  caller?: string | undefined;
}

/** The request for the decision's backend, with its deadline (src/dataplane/deadline.ts). */
export function backendRequest(model: ModelManifest, request: InferenceRequest, d: RouteDecision, policy: ResolvedPolicy, config: GatewayConfig, ctx: BackendRequestContext): BackendRequest {
  const originCandidate = d.candidates.find((c) => c.target === 'origin');
  const expectedOriginMs = originCandidate?.predicted_ms;
  const originComputeMs = originCandidate?.compute_ms;
  const deadline = requestDeadline({
    // A predicted miss the caller did not refuse is served best effort: it waits as long as the backend's own
    // limit, not a budget that is already gone (a caller who wants a hard limit sets `timeout`).
    budgetMs: d.meets_slo ? d.budget_ms : Infinity,
    sloMs: policy.slo_ms,
    spentMs: ctx.spentMs,
    graceMs: config.origin.deadline_grace_ms,
    limitMs: config.origin.timeout_ms,
    callerMs: ctx.callerDeadlineMs,
  });
  return {
    model,
    variant: d.variant!,
    request,
    deadline: ctx.now + deadline.ms,
    ...(deadline.short ? { shortDeadline: deadline.short } : {}),
    ...(expectedOriginMs !== undefined ? { expectedOriginMs } : {}),
    ...(originComputeMs !== undefined ? { originComputeMs } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    ...(ctx.waitUntil ? { waitUntil: ctx.waitUntil } : {}),
    ...(ctx.priority !== undefined ? { priority: ctx.priority } : {}),
    ...(ctx.caller !== undefined ? { caller: ctx.caller } : {}),
    ...(ctx.timeoutSet ? { deadlineFromCaller: true } : {}),
    batching: policy.batching ? { maxBatch: policy.max_batch_size, maxDelayMs: policy.max_queue_delay_ms } : { maxBatch: 1, maxDelayMs: 0 },
    // How long the request may wait for company in a batch and still meet its SLO.
    slackMs: Math.max(0, d.budget_ms - d.predicted_ms),
  };
}

/** What answered a request, after any fallback. */
export interface Served {
  result: BackendResult;
  /** The backend that answered. */
  target: Target;
  /** The decision's reason, or what failed and where the request went instead. */
  reason: string;
}

/** What carrying out a fallback needs of the plane (per request: the cooldown comes from its config). */
export interface FallbackDeps {
  backends: { edge: Backend; origin?: Backend | undefined };
  live: LiveView;
  health: VariantHealth;
  metrics: Metrics;
  /** How long a failed edge variant is skipped (ms). */
  cooldownMs: number;
  requestId?: string | undefined;
}

/**
 * Failures of `target` the other backend may answer instead; anything else (a bad request, a client that
 * left) is final.
 */
function coverable(target: Target, err: unknown): boolean {
  if (err instanceof ClientClosedRequest) return false;
  if (target === 'edge') return err instanceof EngineFailure || err instanceof MemoryBusy || (err instanceof ModelRejectedInput && err.unproven);
  return err instanceof OriginUnavailable || err instanceof OriginTimeout || err instanceof OriginCircuitOpen;
}

function backend(deps: FallbackDeps, target: Target): Backend {
  const b = deps.backends[target];
  if (!b) throw new Error(`no ${target} backend, but the live view offered one`);
  return b;
}

/** Runs `req` on the chosen backend; when it fails in a way the decision's fallback covers, runs that. */
export async function serve(d: RouteDecision, chosen: Target, req: BackendRequest, deps: FallbackDeps): Promise<Served> {
  try {
    return { result: await backend(deps, chosen).infer(req), target: chosen, reason: d.reason };
  } catch (err) {
    const fb = d.fallback;
    const { model } = req;
    const message = (err as Error).message;
    // The origin answers contention if the selector kept it (enabled and healthy) and it still is.
    const toOrigin = fb?.target === 'origin' && deps.live.originHealthy() && !req.signal?.aborted;
    if (err instanceof MemoryBusy) contention(deps, model, d.variant!, message, toOrigin ? 'origin' : 'none');
    if (!fb || !coverable(chosen, err)) throw err;
    // Nobody is waiting for the fallback's answer.
    if (req.signal?.aborted) throw new ClientClosedRequest();
    if (fb.target === 'origin') {
      // The selector kept the origin (enabled and healthy); checked again, as it may have failed since.
      if (!deps.live.originHealthy()) throw err;
      const labels = { model: model.name, variant: d.variant! };
      if (err instanceof MemoryBusy) {
        const result = await backend(deps, 'origin').infer({ ...req, variant: fb.variant });
        return { result, target: 'origin', reason: `edge ${d.variant} waited for memory busy sessions hold (contention, no cooldown); fell back to origin` };
      }
      if (err instanceof ModelRejectedInput) {
        // Unproven variant: the origin decides whether the input or the edge file is at fault.
        let result;
        try {
          result = await backend(deps, 'origin').infer({ ...req, variant: fb.variant });
        } catch (originErr) {
          // The origin refused it as well: the input it is (its words are the answer). Down: keep the edge's.
          if (originErr instanceof GatewayError && originErr.status >= 400 && originErr.status < 500) throw originErr;
          throw err;
        }
        cooldown(deps, model, d.variant!, 'unproven_variant_rejected', message);
        deps.metrics.inc('gateway_edge_fallbacks_total', labels);
        return { result, target: 'origin', reason: `edge ${d.variant} refused input the origin accepted (${message.slice(0, 80)}); served by origin` };
      }
      cooldown(deps, model, d.variant!, 'engine_failure', message);
      deps.metrics.inc('gateway_edge_fallbacks_total', labels);
      const result = await backend(deps, 'origin').infer({ ...req, variant: fb.variant });
      return { result, target: 'origin', reason: `edge ${d.variant} failed (${message.slice(0, 80)}); fell back to origin` };
    }
    deps.metrics.inc('gateway_origin_fallbacks_total', { model: model.name, variant: fb.variant });
    const result = await backend(deps, 'edge').infer({ ...req, variant: fb.variant });
    return { result, target: 'edge', reason: `origin failed (${message.slice(0, 80)}); served ${fb.variant} at the edge` };
  }
}

/** Takes an edge variant out of routing for the cooldown, and says so in the log and the metrics. */
function cooldown(deps: FallbackDeps, model: ModelManifest, variant: NonNullable<RouteDecision['variant']>, reason: string, error: string): void {
  deps.health.failed(model, variant, deps.cooldownMs);
  console.warn(JSON.stringify({ event: 'edge_failure', model: model.name, variant, reason, error, cooldown_ms: deps.cooldownMs, request_id: deps.requestId }));
  deps.metrics.inc('gateway_variant_cooldowns_total', { model: model.name, variant, reason });
}

/**
 * An edge load that gave up waiting for memory busy sessions hold: logged and counted as contention, with what
 * answered instead (the origin, or nothing: the 503), never as a failure of the variant.
 */
function contention(deps: FallbackDeps, model: ModelManifest, variant: NonNullable<RouteDecision['variant']>, error: string, answered: 'origin' | 'none'): void {
  console.log(JSON.stringify({ event: 'edge_memory_busy', model: model.name, variant, reason: 'memory_contention', answered, error, request_id: deps.requestId }));
  deps.metrics.inc('gateway_edge_memory_contention_total', { model: model.name, variant, answered });
}
