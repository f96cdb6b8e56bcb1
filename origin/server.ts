/**
 * The cloud origin: a Node server on onnxruntime-node (native) speaking the same Open Inference Protocol
 * v2 API as the gateway, serving every variant of every model, the oversized ones included. It reuses the
 * gateway's protocol, data plane and routes with a native engine and no origin of its own, so the two
 * cannot drift. Any KServe v2 server (Triton, KServe) can stand in its place.
 *
 * Keep it private: it answers only callers that present the shared secret ORIGIN_TOKEN (the gateway sends it
 * as `Authorization: Bearer`), rate-limits them, and applies the gateway's own body, shape and nesting limits.
 * /metrics and Triton's load/unload take a token of their own, ORIGIN_ADMIN_TOKEN (closed without one).
 * `--allow-anonymous` serves without a token, for a trusted local network only (it says so at start).
 *
 * Many tenants share it through one gateway, so nobody may spend it for everyone else: the gateway names
 * each request's caller (`x-caller-id`, src/protocol/caller.ts), and the origin rate-limits per caller, runs
 * the caller with the least recent compute first (src/engine/caller-share.ts), refuses a request predicted to
 * cost more than `origin_limits.max_request_cost_ms` (413) or unable to finish by its deadline (504, at once),
 * and keeps its variants within `origin_limits.memory_budget_bytes` (least recently used idle ones released;
 * a load that finds the others busy waits). Its policy (ORIGIN_CONFIG or `--config`: GATEWAY_CONFIG's schema)
 * decides which variants a pin may ask for, as at the gateway.
 *
 * Deadlines come from the caller: the gateway sends each attempt's `x-request-deadline-ms` (relative, so the
 * clocks need not agree), which the shared data plane turns into the request's deadline, capped by this
 * server's own limit (`origin.timeout_ms` of its config); a caller that hangs up aborts the request's signal.
 * Both reach the engine on the backend request, so work nobody waits for can be dropped.
 *
 * Its memory is what the budget says: /metrics shows the bytes the loaded variants are counted for
 * (`origin_resident_bytes`, against `origin_memory_budget_bytes`) next to the process's own RSS
 * (`process_resident_memory_bytes`), which stays within the budget plus the idle process only when it starts
 * with MALLOC_MMAP_THRESHOLD_ set (tools/lib/allocator.ts says why; every launcher here sets it, and it warns without).
 *
 * Usage: ORIGIN_TOKEN=... [ORIGIN_ADMIN_TOKEN=...] [ORIGIN_CONFIG='{...}'] MALLOC_MMAP_THRESHOLD_=131072
 *        tsx origin/server.ts [--port 8788] [--host 127.0.0.1] [--models models] [--config origin.json]
 *        [--rate-limit 600] [--allow-anonymous]     (npm run origin sets MALLOC_MMAP_THRESHOLD_)
 */
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import * as ort from 'onnxruntime-node';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createApp } from '../routes/app.js';
import type { GatewayConfig } from '../src/config.js';
import { ConfigError, parseConfig } from '../src/config.js';
import { learnerOptions } from '../src/config/learning.js';
import { LatencyLearner } from '../src/latency/learner.js';
import { DataPlane } from '../src/dataplane.js';
import { admissionCostMs } from '../src/engine/admission.js';
import { OrtEngine } from '../src/engine/ort-engine.js';
import type { OrtModule } from '../src/engine/ort-engine.js';
import { readManifests } from '../tools/lib/manifests.js';
import type { VariantName } from '../src/registry/manifest.js';
import { Registry } from '../src/registry/registry.js';
import { Metrics } from '../src/metrics.js';
import { liveView } from '../src/select/live.js';
import { allocatorUnset, ORIGIN_ALLOCATOR_ENV } from '../tools/lib/allocator.js';
import { FsStore } from './fs-store.js';
import { TokenBucketLimiter } from './rate-limit.js';

export interface OriginOptions {
  port: number;
  host: string;
  modelsDir: string;
  /** The shared secret callers must present; undefined serves anyone (trusted networks only). */
  token?: string | undefined;
  /**
   * The token of /metrics and Triton's load/unload (`Authorization: Bearer`), never the inference secret; unset:
   * those answer 403 (open when the origin is anonymous).
   */
  adminToken?: string | undefined;
  /** Requests per minute per caller (the gateway's `x-caller-id`, else the token, else the address). */
  ratePerMinute?: number;
  /** Ops' config (GATEWAY_CONFIG's schema, as an object or JSON text): policy and models, limits, origin_limits. */
  config?: unknown;
}

export interface RunningOrigin {
  url: string;
  close(): Promise<void>;
}

/** Starts the origin; resolves once it listens. */
export async function startOrigin({ port, host, modelsDir, token, adminToken, ratePerMinute = 6000, config: raw }: OriginOptions): Promise<RunningOrigin> {
  const config = originConfig(raw, token, adminToken);
  const registry = new Registry(readManifests(modelsDir));
  // What the selector predicts from: learned from this origin's own runs.
  const learner = new LatencyLearner(learnerOptions(config.learning));
  const limits = config.origin_limits;
  const engine = new OrtEngine({
    ort: ort as unknown as OrtModule,
    store: new FsStore(modelsDir),
    // Native onnxruntime runs variants side by side (one queue, and batches, per variant).
    queuePerVariant: true,
    // Work past its deadline, or that could no longer finish by it, is never started: the gateway that asked
    // has given up on it by then.
    dropPastDeadline: true,
    // Never below the manifest's line: see admissionCostMs.
    predictMs: (model, variant, items) => admissionCostMs(learner.predict('edge', model, variant, items, config.edge.speed_factor), model.variants[variant]!.latency.fit, items, config.edge.speed_factor),
    admission: { maxCostMs: limits.max_request_cost_ms, limitName: 'origin_limits.max_request_cost_ms' },
    memoryBudgetBytes: limits.memory_budget_bytes,
    waitForMemory: true,
  });
  const metrics = new Metrics();
  metrics.gauge('origin_resident_bytes', 'Memory the loaded variants are counted for against origin_limits.memory_budget_bytes (manifest edge_memory_bytes less the WASM base)', () => [{ labels: {}, value: engine.residentBytes() }]);
  metrics.gauge('origin_memory_budget_bytes', 'origin_limits.memory_budget_bytes', () => [{ labels: {}, value: limits.memory_budget_bytes }]);
  metrics.gauge('origin_sessions', 'Variants loaded at the origin', () => [{ labels: {}, value: engine.residentKeys().length }]);
  metrics.gauge('process_resident_memory_bytes', 'Resident set size of the origin process (bytes)', () => [{ labels: {}, value: process.memoryUsage.rss() }]);
  // No origin behind the origin: its engine is the only backend, and its config is fixed.
  const plane = new DataPlane({ registry, backends: { edge: engine }, live: liveView(engine), config: { get: async () => config }, initialConfig: config, learner, metrics });
  // Triton's queue counter, which the cloud tier's autoscaler reads (tools/export/k8s/autoscale.ts): the time
  // answered requests waited in this origin's run queues, from the statistics the plane already keeps.
  plane.metrics.counterFrom('nv_inference_queue_duration_us', 'Cumulative time requests waited in the run queue (us), as Triton counts it', () =>
    plane.statistics().map((s) => ({ labels: { model: s.name, version: s.version }, value: Math.round(s.inference_stats.queue.ns / 1000) })),
  );
  const app = createApp({
    plane,
    // Anonymous (trusted network) origins keep /metrics open; otherwise it takes its own token, never the
    // secret every gateway holds.
    adminOpen: !token && !adminToken,
    adminClosedReason: 'admin surfaces of the origin are closed: start it with ORIGIN_ADMIN_TOKEN set to open /metrics and load/unload to that token',
    maxBodyBytes: config.limits.max_body_bytes,
    // Node sees the caller's own Accept-Encoding (tritonclient's response_compression_algorithm).
    compressAnswers: true,
    // The gateway subtracts what the origin spent (parsing included) from a call's time to learn the network.
    serverTimingTotal: true,
    // Its callers are gateways holding the secret: the caller id they send keys the limits and the fair share.
    bindings: { rateLimiter: new TokenBucketLimiter({ limit: ratePerMinute, periodMs: 60_000 }), trustCallerId: true },
    // No Cloudflare in front to say who is calling: the socket's peer. A header would let any caller lock the
    // gateway out by failing authentication under its address.
    clientAddress: (c) => getConnInfo(c).remote.address ?? 'unknown',
  });
  // Like Triton, load every model's served variant before answering ready: a cold 400 MB load inside a
  // request's deadline would turn the first request into a 504.
  await Promise.all(registry.list().map((m) => engine.session(m, m.variants[config.origin.variant] ? config.origin.variant : (Object.keys(m.variants)[0] as VariantName))));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, (info) => {
      resolve({
        url: `http://${host}:${info.port}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.ORIGIN_PORT ?? '8788' },
      host: { type: 'string', default: '127.0.0.1' },
      models: { type: 'string', default: 'models' },
      'rate-limit': { type: 'string', default: process.env.ORIGIN_RATE_LIMIT ?? '6000' },
      config: { type: 'string' },
      'allow-anonymous': { type: 'boolean', default: false },
    },
  });
  const token = process.env.ORIGIN_TOKEN || undefined;
  const adminToken = process.env.ORIGIN_ADMIN_TOKEN || undefined;
  if (!token && !values['allow-anonymous']) {
    console.error('origin: ORIGIN_TOKEN is not set. Set the shared secret on both sides (origin env ORIGIN_TOKEN, gateway secret ORIGIN_TOKEN), or pass --allow-anonymous on a trusted network only.');
    process.exit(2);
  }
  if (!token) console.warn('origin: WARNING: --allow-anonymous: anyone who reaches this port can run inference and read /metrics');
  if (allocatorUnset()) {
    const setting = Object.entries(ORIGIN_ALLOCATOR_ENV).map(([k, v]) => `${k}=${v}`).join(' ');
    console.warn(`origin: WARNING: started without ${setting}: memory of released variants stays in this process, so its RSS can outgrow origin_limits.memory_budget_bytes (tools/lib/allocator.ts). npm run origin sets it.`);
  }
  if (adminToken && adminToken === token) {
    console.error('origin: ORIGIN_ADMIN_TOKEN equals ORIGIN_TOKEN: the admin token must not be the secret every gateway holds.');
    process.exit(2);
  }
  const config = values.config ? readFileSync(values.config, 'utf8') : process.env.ORIGIN_CONFIG || undefined;
  const origin = await startOrigin({ port: Number(values.port), host: values.host!, modelsDir: values.models!, token, adminToken, ratePerMinute: Number(values['rate-limit']), config });
  console.log(`origin ready on ${origin.url}`);
  const stop = () => origin.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * The origin's config: what ops set (policy and models, limits, origin_limits, learning, origin.timeout_ms)
 * under the origin's own fixed facts: its name, its speed, every variant local, no origin behind it, its secret.
 * A bad value fails startup naming the field, as at the gateway.
 */
export function originConfig(raw: unknown, token?: string, adminToken?: string): GatewayConfig {
  let ops = (raw ?? {}) as Record<string, Record<string, unknown> | undefined>;
  if (typeof raw === 'string') {
    try {
      ops = JSON.parse(raw) as typeof ops;
    } catch (e) {
      throw new ConfigError(`ORIGIN_CONFIG is not valid JSON: ${(e as Error).message}`);
    }
  }
  const speed = parseConfig(ops).origin.speed_factor;
  return parseConfig({
    ...ops,
    site: 'origin',
    // Its engine is native: what the gateway assumes of the origin's speed (origin.speed_factor) is its own,
    // so a caller's `timeout` is judged here by the same prediction the gateway made.
    edge: { ...ops.edge, speed_factor: speed },
    // The origin has the memory the edge lacks: a variant's size only counts against origin_limits.memory_budget_bytes.
    policy: { slo_ms: 60_000, ...ops.policy, edge_memory_budget_bytes: Number.MAX_SAFE_INTEGER, origin_enabled: false },
    // The gateway's limits (its defaults, or ops' limits): nothing the gateway would refuse reaches a model here either.
    auth: {
      ...ops.auth,
      // The admin token is its own (ORIGIN_ADMIN_TOKEN), never the inference secret every gateway holds.
      ...(token ? { api_keys_sha256: [sha256Hex(token)] } : {}),
      ...(adminToken ? { admin_token_sha256: sha256Hex(adminToken) } : {}),
      rate_limit: true,
      rate_limit_period_s: 60,
    },
  });
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
