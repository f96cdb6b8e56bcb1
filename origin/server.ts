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
 * Deadlines come from the caller: the gateway sends each attempt's `x-request-deadline-ms` (relative, so the
 * clocks need not agree), which the shared data plane turns into the request's deadline, capped by this
 * server's own limit (`origin.timeout_ms` of its config); a caller that hangs up aborts the request's signal.
 * Both reach the engine on the backend request, so work nobody waits for can be dropped.
 *
 * Usage: ORIGIN_TOKEN=... [ORIGIN_ADMIN_TOKEN=...] tsx origin/server.ts [--port 8788] [--host 127.0.0.1] [--models models]
 *        [--rate-limit 600] [--allow-anonymous]
 */
import { serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import * as ort from 'onnxruntime-node';
import { createHash } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createApp } from '../routes/app.js';
import { parseConfig } from '../src/config.js';
import { DataPlane } from '../src/dataplane.js';
import { OrtEngine } from '../src/engine/ort-engine.js';
import type { OrtModule } from '../src/engine/ort-engine.js';
import { readManifests } from '../tools/lib/manifests.js';
import type { VariantName } from '../src/registry/manifest.js';
import { Registry } from '../src/registry/registry.js';
import { liveView } from '../src/select/live.js';
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
  /** Requests per minute per caller (per token, else per address). */
  ratePerMinute?: number;
}

export interface RunningOrigin {
  url: string;
  close(): Promise<void>;
}

/** Starts the origin; resolves once it listens. */
export async function startOrigin({ port, host, modelsDir, token, adminToken, ratePerMinute = 6000 }: OriginOptions): Promise<RunningOrigin> {
  const config = parseConfig({
    site: 'origin',
    // Its engine is native: what the gateway assumes of the origin's speed (origin.speed_factor) is its own,
    // so a caller's `timeout` is judged here by the same prediction the gateway made.
    edge: { speed_factor: parseConfig({}).origin.speed_factor },
    // The origin has the memory the edge lacks: every variant is local to it.
    policy: { edge_memory_budget_bytes: Number.MAX_SAFE_INTEGER, origin_enabled: false, slo_ms: 60_000 },
    // The gateway's limits (its defaults): nothing the gateway would refuse reaches a model here either.
    auth: {
      ...(token ? { api_keys_sha256: [sha256Hex(token)] } : {}),
      ...(adminToken ? { admin_token_sha256: sha256Hex(adminToken) } : {}),
      rate_limit: true,
      rate_limit_period_s: 60,
    },
  });
  const registry = new Registry(readManifests(modelsDir));
  // Native onnxruntime runs variants side by side (one queue, and batches, per variant).
  // Work past its deadline is never started: the gateway that asked has given up on it by then.
  const engine = new OrtEngine({ ort: ort as unknown as OrtModule, store: new FsStore(modelsDir), queuePerVariant: true, dropPastDeadline: true });
  // No origin behind the origin: its engine is the only backend, and its config is fixed.
  const plane = new DataPlane({ registry, backends: { edge: engine }, live: liveView(engine), config: { get: async () => config }, initialConfig: config });
  const app = createApp({
    plane,
    // Anonymous (trusted network) origins keep /metrics open; otherwise it takes its own token, never the
    // secret every gateway holds.
    adminOpen: !token && !adminToken,
    adminClosedReason: 'admin surfaces of the origin are closed: start it with ORIGIN_ADMIN_TOKEN set to open /metrics and load/unload to that token',
    maxBodyBytes: config.limits.max_body_bytes,
    // Node sees the caller's own Accept-Encoding (tritonclient's response_compression_algorithm).
    compressAnswers: true,
    bindings: { rateLimiter: new TokenBucketLimiter({ limit: ratePerMinute, periodMs: 60_000 }) },
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
  if (adminToken && adminToken === token) {
    console.error('origin: ORIGIN_ADMIN_TOKEN equals ORIGIN_TOKEN: the admin token must not be the secret every gateway holds.');
    process.exit(2);
  }
  const origin = await startOrigin({ port: Number(values.port), host: values.host!, modelsDir: values.models!, token, adminToken, ratePerMinute: Number(values['rate-limit']) });
  console.log(`origin ready on ${origin.url}`);
  const stop = () => origin.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
