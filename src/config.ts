/**
 * Gateway configuration: the one place ops teams tune routing. Validated with zod at startup; a bad value
 * fails with a message naming the field. `resolvePolicy` is the single documented precedence rule:
 * request > model policy > global policy > default.
 */
import { z } from 'zod';
import { DeviceSchema } from './config/device.js';
import { LearningSchema } from './config/learning.js';
import type { Policy } from './config/policy.js';
import { ModelPolicy, PolicySchema, PolicyFields } from './config/policy.js';
import { zodMessage } from './lib/zod-message.js';
import { LearnedProfiles } from './registry/learned.js';
import { VARIANT_NAMES, VariantName } from './registry/manifest.js';

const MiB = 1024 * 1024;

/** Measured by `npm run bench:coldstart` (bench/results/coldstart.json `runtime_init_ms`, median). */
const RUNTIME_INIT_MS = 381;
/** Measured by `npm run bench:overhead` (bench/results/overhead.json: in-worker total minus session.run, p50). */
const REQUEST_OVERHEAD_MS = 4;

/** Origin URLs are http(s) only: a bare "host:port" would otherwise parse as a URL with an odd scheme. */
const HttpUrl = z.url({ protocol: /^https?$/ });

export const GatewayConfigSchema = z
  .object({
    /** What this deployment calls itself in `x-served-by` for local inference ("edge" or "origin"). */
    site: z.enum(['edge', 'origin']).default('edge'),
    policy: PolicySchema.prefault({}),
    models: z.record(z.string(), ModelPolicy).default({}),
    limits: z
      .object({
        max_body_bytes: z.number().int().positive().default(16 * MiB),
        max_tensor_elements: z.number().int().positive().default(4 * MiB),
        max_inputs: z.number().int().positive().default(32),
        max_batch: z.number().int().positive().default(256),
        /**
         * Output elements a request may produce, estimated from the model's output shapes before running and
         * checked again before encoding: a Workers isolate has 128 MB for the outputs, their copy and JSON.
         */
        max_output_elements: z.number().int().positive().default(2 * MiB),
        /** Deepest JSON nesting a request body may have (tensor data of rank 8 nests 9 deep). */
        max_json_depth: z.number().int().positive().default(64),
      })
      .strict()
      .prefault({}),
    edge: z
      .object({
        /** Multiplier on measured latency profiles for this fleet's CPUs (profiles come from bench machines). */
        speed_factor: z.number().positive().default(1),
        /** After an edge failure, how long the variant is skipped (ms). */
        variant_cooldown_ms: z.number().int().nonnegative().default(30_000),
        /**
         * WASM memory all loaded sessions of an isolate may hold together, beyond the runtime's 16 MiB base
         * (Workers isolates have 128 MB in all). Least recently used idle sessions are released to fit.
         */
        isolate_memory_budget_bytes: z.number().int().positive().default(80 * MiB),
        /**
         * What the first session of an isolate pays to instantiate the onnxruntime-web WASM runtime (ms),
         * measured by `npm run bench:coldstart`; the selector adds it to a cold isolate's load time.
         */
        runtime_init_ms: z.number().nonnegative().default(RUNTIME_INIT_MS),
        /**
         * The gateway's own time per request besides inference (HTTP into workerd, decode, select, encode),
         * taken out of every budget; measured by `npm run bench:overhead`.
         */
        request_overhead_ms: z.number().nonnegative().default(REQUEST_OVERHEAD_MS),
        /**
         * Start the WASM runtime in the background of an isolate's first request of any kind (a probe, a
         * metadata call, an origin-served inference), so the first edge answer does not pay for it.
         */
        eager_runtime: z.boolean().default(false),
        /**
         * Background loads (edge.warm, eager_runtime, a prewarm) start once the request that set them off has
         * its answer: they run on the isolate's one thread, and started earlier they hold that answer back
         * (a cold isolate's first, origin-served answer waited ~0.9 s for them: bench/coldstart.ts).
         */
        warm_after_answer: z.boolean().default(true),
        /** Variants ("model/variant") to load on an isolate's first request, in the background. */
        warm: z.array(z.string().regex(new RegExp(`^[A-Za-z0-9_.-]+/(${VARIANT_NAMES.join('|')})$`), 'must be "model/variant"')).default([]),
      })
      .strict()
      .prefault({}),
    origin: z
      .object({
        url: HttpUrl.optional(),
        /**
         * The origin's own limit on one request (ms, retries included). A timeout at this limit always counts
         * against the origin (circuit breaker).
         */
        timeout_ms: z.number().int().positive().default(10_000),
        /**
         * Deadline of a backend call = min(timeout_ms, remaining budget + this), where the remaining budget is
         * the request's SLO minus its network and the gateway's overhead (the selector's budget) minus the time
         * already spent in the gateway: past its SLO the client has given up, so a hung origin is answered 504
         * about this long after the budget ends (ms).
         */
        deadline_grace_ms: z.number().int().nonnegative().default(100),
        /**
         * A timeout of a deadline the request's SLO made shorter than timeout_ms counts against the origin only
         * if the attempt had at least this multiple of the origin's predicted time (round trip + p95 compute);
         * a shorter one is the client's own doing and counts neither as failure nor as success.
         */
        timeout_blame_factor: z.number().positive().default(1),
        /** Round trip assumed until one is measured (ms, edge PoP to origin region, excluding compute). */
        expected_rtt_ms: z.number().nonnegative().default(40),
        /** Origin compute relative to the edge WASM profile (native, multi-threaded: faster). */
        speed_factor: z.number().positive().default(0.5),
        /** Tensors to and from the origin in binary (Triton's extension); false for JSON-only servers. */
        binary: z.boolean().default(true),
        /** The variant the origin serves when none is pinned. */
        variant: VariantName.default('fp32'),
        /** Consecutive failures that open the origin's circuit breaker. */
        breaker_failures: z.number().int().positive().default(3),
        /** How long an open breaker refuses calls before a half-open probe (ms). */
        breaker_open_ms: z.number().int().positive().default(5_000),
        /**
         * Open time after failures where nothing answered (connection refused or reset): probing costs
         * nothing then, so a restarted origin is back in traffic within this long (ms, at most breaker_open_ms).
         */
        breaker_unreachable_open_ms: z.number().int().positive().default(1_000),
        /** No origin attempt gets less than this; a retry needs this much budget left (ms). */
        min_attempt_ms: z.number().int().positive().default(50),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** SHA-256 (hex) of the API keys accepted on inference routes; empty means no key needed. */
        api_keys_sha256: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256')).default([]),
        /** Also accept keys whose sha256 is a key of the API_KEYS KV namespace (when bound). */
        kv_keys: z.boolean().default(false),
        /** SHA-256 (hex) of the admin token for /admin/*, /metrics and /dashboard; unset leaves them open (dev only). */
        admin_token_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256').optional(),
        /** Rate-limit inference per API key (else per client IP) with the RATE_LIMITER binding, when bound. */
        rate_limit: z.boolean().default(true),
        /** Period of the RATE_LIMITER binding (seconds), sent as Retry-After on 429. */
        rate_limit_period_s: z.number().int().positive().default(60),
        /** CORS origins allowed for browser callers ("*" for any); empty disables CORS headers. */
        cors_origins: z.array(z.string()).default([]),
      })
      .strict()
      .prefault({}),
    /**
     * Latency profiles learned in production (src/registry/learned.ts), published in the POLICY KV by the
     * feedback Tail Worker (tail/); where present they replace the manifest's fit for prediction.
     */
    learned: LearnedProfiles.optional(),
    /** How often the routing policy in the POLICY KV namespace is re-read (ms). */
    policy_ttl_ms: z.number().int().nonnegative().default(10_000),
    /** Network assumed when the client sends no hints. */
    network_defaults: z
      .object({
        rtt_ms: z.number().nonnegative().default(50),
        downlink_mbps: z.number().positive().default(10),
        mobile_rtt_ms: z.number().nonnegative().default(150),
        mobile_downlink_mbps: z.number().positive().default(1.5),
      })
      .strict()
      .prefault({}),
    /** The device tier: plans that send a variant to the client's device (src/config/device.ts). */
    device: DeviceSchema.prefault({}),
    /** Online latency learning (src/config/learning.ts). */
    learning: LearningSchema.prefault({}),
    /** The structured request log (routes/app.ts): one JSON line per request, read by the feedback Tail Worker. */
    logging: z
      .object({
        /**
         * Fraction of answered inferences (2xx) that write their log line; every error (4xx, 5xx) and every
         * other route is always logged. A line cost more CPU than the rest of the gateway around the model in
         * local workerd (`npm run bench:overhead`); the feedback learner (tail/) needs only a sample, and the
         * Analytics Engine data point still records every request.
         */
        request_sample_rate: z.number().min(0).max(1).default(0.1),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export class ConfigError extends Error {}

/** Validates raw config (object or JSON text); the error names every bad field with its path. */
export function parseConfig(raw: unknown, overrides: { originUrl?: string | undefined } = {}): GatewayConfig {
  let value = raw ?? {};
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (e) {
      throw new ConfigError(`GATEWAY_CONFIG is not valid JSON: ${(e as Error).message}`);
    }
  }
  const result = GatewayConfigSchema.safeParse(value);
  if (!result.success) throw new ConfigError(`invalid gateway config: ${zodMessage(result.error)}`);
  const config = result.data;
  if (overrides.originUrl) {
    const url = HttpUrl.safeParse(overrides.originUrl);
    if (!url.success) throw new ConfigError(`invalid gateway config: ORIGIN_URL: not a URL: ${overrides.originUrl}`);
    config.origin.url = url.data;
  }
  return config;
}

/** The layer a resolved policy value came from (request > model policy > global policy). */
export type { Policy } from './config/policy.js';
export type PolicyLayer = 'request' | 'model' | 'global';
export interface ResolvedPolicy extends Policy {
  /** Where each value came from, for explain and admin views. */
  sources: Record<keyof Policy, PolicyLayer>;
}

/**
 * The effective policy for one request: request > model policy > global policy (whose own defaults are
 * filled by the schema). Only `slo_ms` can come from the request.
 */
export function resolvePolicy(config: GatewayConfig, model: string, request: { slo_ms?: number | undefined } = {}): ResolvedPolicy {
  const modelPolicy = config.models[model] ?? {};
  const sources = {} as Record<keyof Policy, PolicyLayer>;
  const out = {} as Record<keyof Policy, unknown>;
  for (const key of Object.keys(PolicyFields) as (keyof Policy)[]) {
    if (key === 'slo_ms' && request.slo_ms !== undefined) {
      out[key] = request.slo_ms;
      sources[key] = 'request';
    } else if (modelPolicy[key] !== undefined) {
      out[key] = modelPolicy[key];
      sources[key] = 'model';
    } else {
      out[key] = config.policy[key];
      sources[key] = 'global';
    }
  }
  return { ...(out as Policy), sources };
}
