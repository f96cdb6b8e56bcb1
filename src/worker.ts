/**
 * The Worker entry and the one composition root: wires config, registry, engine, origin client and routes
 * together on the first request of an isolate (nothing is built at import time), then reuses them.
 */
import wasmModule from '../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import catalog from '../models/catalog.json';
import { createApp } from '../routes/app.js';
import { keysRequired } from '../routes/middleware/auth.js';
import { dashboardRoutes } from '../routes/dashboard.js';
import { openApiRoutes } from '../routes/openapi.js';
import { ConfigError, parseConfig } from './config.js';
import { Metrics } from './metrics.js';
import { PolicySource } from './policy-source.js';
import { DataPlane } from './dataplane.js';
import { AssetArtifacts, AssetStore, R2Artifacts, R2Store, VerifyingStore } from './engine/model-store.js';
import { OrtEngine } from './engine/ort-engine.js';
import { RuntimeStart } from './engine/runtime-start.js';
import { wasmRuntime } from './engine/wasm-runtime.js';
import { OriginClient } from './origin/client.js';
import { Registry } from './registry/registry.js';
import { learnerOptions } from './config/learning.js';
import { fleetPrior } from './latency/fleet.js';
import { LatencyLearner } from './latency/learner.js';
import type { LearnedProfiles } from './latency/profiles.js';
import { FidelityMonitor } from './monitor/monitor.js';
import { fidelityScore } from './select/facts.js';
import { liveView } from './select/live.js';
import { unknownVariants } from './config/variant-list.js';

/**
 * Secrets (`wrangler secret put`, `.dev.vars` locally) are not in wrangler.toml, so `wrangler types` cannot
 * list them in the generated Env: declared here, optional. ORIGIN_TOKEN is the secret the origin requires;
 * ADMIN_OPEN=true (local development only) leaves /admin, /metrics and /dashboard open without a token.
 */
export type GatewayEnv = Env & { ORIGIN_TOKEN?: string; ADMIN_OPEN?: string };

type Gateway = {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>;
  /** Background loads of the isolate's first request; after `answered` settles if edge.warm_after_answer. */
  warm?: (answered?: Promise<unknown>) => Promise<void>;
  /** The data plane behind the app, for in-isolate measurement (bench/workers/stages.ts) without HTTP. */
  plane?: DataPlane;
};

let gateway: Gateway | undefined;
let startupError: Error | undefined;

/**
 * Builds the isolate's gateway from its bindings; throws naming the bad config field or manifest. `models`:
 * the manifests it serves, the bundled catalog's unless a test hands it others (a variant written to R2).
 */
export function buildGateway(env: GatewayEnv, models: readonly unknown[] = catalog.models): Gateway {
  const raw = typeof env.GATEWAY_CONFIG === 'string' ? parseJsonConfig(env.GATEWAY_CONFIG) : ((env.GATEWAY_CONFIG ?? {}) as Record<string, unknown>);
  const policy = new PolicySource(raw, env.ORIGIN_URL || undefined, env.POLICY);
  const config = parseConfig(raw, { originUrl: env.ORIGIN_URL || undefined });
  const registry = new Registry(models);
  // One per isolate: the selector predicts from it, the engine's queue estimate too, and every run feeds it.
  // Fleet fits published by the feedback Tail Worker (KV `learned`) seed the learner; `plane` reads the KV.
  // An isolate lives in one colo (Cloudflare data centre): it takes its colo's fit where one was published.
  const here: { colo?: string } = {};
  // `plane` reads the KV policy; it is built below, and priors are only read once requests arrive.
  const learner = new LatencyLearner({ ...learnerOptions(config.learning), priorOf: fleetPrior((): LearnedProfiles | undefined => plane.config.learned, () => here.colo) });
  const ort = wasmRuntime(wasmModule);
  const runtime = new RuntimeStart(ort);
  const engine = new OrtEngine({
    ort,
    store: new VerifyingStore([new AssetStore(env.ASSETS), ...(env.MODELS ? [new R2Store(env.MODELS)] : [])]),
    memoryBudgetBytes: config.edge.isolate_memory_budget_bytes,
    memoryWaitMs: config.edge.memory_wait_ms,
    predictMs: (model, variant, items) => learner.predict('edge', model, variant, items, config.edge.speed_factor),
  });
  const origin = config.origin.url
    ? new OriginClient({
        url: config.origin.url,
        expectedRttMs: config.origin.expected_rtt_ms,
        breakerFailures: config.origin.breaker_failures,
        breakerOpenMs: config.origin.breaker_open_ms,
        unreachableOpenMs: config.origin.breaker_unreachable_open_ms,
        minAttemptMs: config.origin.min_attempt_ms,
        binary: config.origin.binary,
        callerComputeMsPerS: config.origin.caller_compute_ms_per_s,
        callerComputeBurstMs: config.origin.caller_compute_burst_ms,
        token: env.ORIGIN_TOKEN || undefined,
      })
    : undefined;
  const metrics = new Metrics();
  if (origin) {
    metrics.gauge('gateway_origin_breaker_state', 'Origin circuit breaker: 0 closed, 1 half-open, 2 open', () => [
      { labels: { origin: config.origin.url! }, value: { closed: 0, half_open: 1, open: 2 }[origin.breaker.state()] },
    ]);
  }
  metrics.gauge('gateway_edge_resident_bytes', 'WASM memory held by loaded sessions, beyond the runtime base', () => [{ labels: {}, value: engine.residentBytes() }]);
  metrics.gauge('gateway_edge_sessions', 'Sessions loaded in this isolate', () => [{ labels: {}, value: engine.residentKeys().length }]);
  metrics.family('nv_inference_batch_size', 'histogram', 'Total batch size of each edge run (dynamic batching)');
  engine.onBatch = (model, variant, _requests, items) => metrics.observe('nv_inference_batch_size', { model: model.name, variant }, items, [1, 2, 4, 8, 16, 32, 64, 128, 256]);
  // The runtime is up once the eager start's probe session ran or any session loaded.
  const edgeState = { loadedVariants: engine.loadedVariants.bind(engine), queueMs: () => engine.queueMs(), runtimeReady: () => runtime.ready() || engine.runtimeReady() };
  // Device artifacts come from the same objects the engine loads: bundled assets first, then R2.
  const artifacts = [new AssetArtifacts(env.ASSETS), ...(env.MODELS ? [new R2Artifacts(env.MODELS)] : [])];
  // One per isolate, like the learner: production fidelity of every variant, demotions, canaries, shadow budget.
  const monitor = new FidelityMonitor({
    metrics,
    latencyMs: (model, variant) => learner.predict('edge', model, variant, 1, config.edge.speed_factor),
    offline: (model, variant) => fidelityScore(model.variants[variant]!),
  });
  const plane = new DataPlane({ registry, backends: { edge: engine, origin }, live: liveView(edgeState, origin), config: policy, initialConfig: config, metrics, learner, artifacts, monitor });
  const adminOpen = env.ADMIN_OPEN === 'true';
  if (adminOpen && !config.auth.admin_token_sha256) {
    console.warn(JSON.stringify({ event: 'admin_open', warning: 'ADMIN_OPEN=true and no admin token: /admin, /metrics and /dashboard answer anyone. Local development only.' }));
  }
  for (const problem of unknownVariants(config, registry.list())) console.warn(JSON.stringify({ event: 'config_unknown_variant', warning: problem }));
  if (!keysRequired(config.auth, !!env.API_KEYS) && !config.auth.allow_anonymous) {
    console.warn(JSON.stringify({ event: 'anonymous_inference', warning: 'no API keys are configured (auth.api_keys_sha256 is empty, and auth.kv_keys is off or API_KEYS unbound): inference, device plans and model artifacts answer anyone. Configure keys, or set auth.allow_anonymous = true to say this is intended.' }));
  }
  const app = createApp({
    plane,
    adminOpen,
    maxBodyBytes: config.limits.max_body_bytes,
    policy,
    bindings: { apiKeys: env.API_KEYS, rateLimiter: env.RATE_LIMITER, analytics: env.ANALYTICS },
    mount: (app) => {
      app.route('/dashboard', dashboardRoutes());
      app.route('/', openApiRoutes());
    },
  });
  return {
    fetch: (req, e, ctx) => {
      here.colo ??= coloOf(req);
      return app.fetch(req, e, ctx);
    },
    warm: async (answered) => {
      if (answered && config.edge.warm_after_answer) {
        await answered.catch(() => undefined);
        // A turn of the event loop for workerd to write the answer out: the runtime start holds the thread
        // for hundreds of ms with no I/O to yield at.
        await new Promise((r) => setTimeout(r, 0));
      }
      const eager = config.edge.eager_runtime ? runtime.start().catch((e: Error) => console.warn(JSON.stringify({ event: 'runtime_start_failed', error: e.message }))) : undefined;
      await Promise.all([eager, plane.warm()]);
    },
    plane,
  };
}

/** The Cloudflare colo that received the request (`request.cf.colo`), when the runtime says. */
function coloOf(req: Request): string | undefined {
  const colo = (req as { cf?: { colo?: unknown } }).cf?.colo;
  return typeof colo === 'string' && /^[A-Z]{3,4}$/.test(colo) ? colo : undefined;
}

function parseJsonConfig(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`GATEWAY_CONFIG is not valid JSON: ${(e as Error).message}`);
  }
}

export default {
  fetch(request, env, ctx) {
    let first = false;
    if (!gateway && !startupError) {
      try {
        gateway = buildGateway(env);
        first = true;
      } catch (e) {
        startupError = e as Error;
        console.error(JSON.stringify({ event: 'startup_failed', error: startupError.message }));
      }
    }
    if (startupError) return Response.json({ error: startupError.message }, { status: 500 });
    const answer = Promise.resolve(gateway!.fetch(request, env, ctx));
    // Hot variants and the eager runtime start load in the background of the isolate's first request (no
    // work at import time), once its answer is ready (edge.warm_after_answer).
    if (first) ctx.waitUntil(gateway!.warm!(answer));
    return answer;
  },
} satisfies ExportedHandler<Env>;
