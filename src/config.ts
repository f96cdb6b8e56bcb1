/**
 * Gateway configuration: the one place ops teams tune routing. Validated with zod at startup; a bad value
 * fails with a message naming the field. `resolvePolicy` is the single documented precedence rule:
 * request > model policy > global policy > default.
 */
import { z } from 'zod';
import { DeviceSchema } from './config/device.js';
import { LearningSchema } from './config/learning.js';
import { MonitoringSchema } from './config/monitoring.js';
import { FidelityProfiles } from './monitor/published.js';
import type { Policy, PolicyLayer as PolicyLayerSchema, ResolvedPolicySchema } from './config/policy.js';
import { ModelPolicy, PolicySchema, PolicyFields } from './config/policy.js';
import { zodMessage } from './lib/zod-message.js';
import { LearnedProfiles } from './latency/profiles.js';
import { VARIANT_NAME_PATTERN, VariantName } from './registry/manifest.js';

const MiB = 1024 * 1024;

/** Measured by `npm run bench:coldstart` (bench/results/coldstart.json `runtime_init_ms`, median). */
const RUNTIME_INIT_MS = 381;
/** Measured by `npm run bench:overhead` (bench/results/overhead.json: in-worker total minus session.run, p50). */
const REQUEST_OVERHEAD_MS = 4;

/**
 * An mnist run is well under a millisecond and a transformer-small one tens: a busy session is usually given
 * back within this; longer, the origin is the better answer, and the request still has most of its SLO.
 */
const MEMORY_WAIT_MS = 250;

/** Origin URLs are http(s) only: a bare "host:port" would otherwise parse as a URL with an odd scheme. */
const HttpUrl = z.url({ protocol: /^https?$/ });

export const GatewayConfigSchema = z
  .object({
    site: z.enum(['edge', 'origin']).describe('What this deployment calls itself in `x-served-by` for local inference ("edge" or "origin").').default('edge'),
    policy: PolicySchema.prefault({}).describe('The routing policy of every model (src/config/policy.ts); each knob can be set per model under `models`.'),
    models: z.record(z.string(), ModelPolicy).default({}).describe('Per-model policy: `models.<name>.<knob>` overrides any `policy` knob, and `models.<name>.device` any `device` knob, for one model.'),
    limits: z
      .object({
        max_body_bytes: z.number().int().positive().describe('Request body limit in bytes (413); for a compressed body, the decompressed size.').default(16 * MiB),
        max_tensor_elements: z.number().int().positive().describe('Elements one input tensor may hold (413).').default(4 * MiB),
        max_inputs: z.number().int().positive().describe('Inputs one request may carry (413).').default(32),
        max_batch: z.number().int().positive().describe('Batch size (items) one request may carry (413).').default(256),
        max_output_elements: z.number().int().positive().describe('Output elements a request may produce, estimated from the model\'s output shapes before running and checked again before encoding: a Workers isolate has 128 MB for the outputs, their copy and JSON.').default(2 * MiB),
        max_json_depth: z.number().int().positive().describe('Deepest JSON nesting a request body may have (tensor data of rank 8 nests 9 deep).').default(64),
        max_parameters: z.number().int().positive().describe('Entries one v2 `parameters` object (the request\'s, an input\'s or an output\'s) may hold (400); the protocol\'s are a handful.').default(32),
        max_parameter_bytes: z.number().int().positive().describe('Bytes, as JSON, all the `parameters` objects of one request may take together (400).').default(16 * 1024),
      })
      .strict()
      .prefault({})
      .describe('Request limits: every one answers 413 (or 400) naming the limit, before anything runs.'),
    edge: z
      .object({
        speed_factor: z.number().positive().describe('Multiplier on measured latency profiles for this fleet\'s CPUs (profiles come from bench machines).').default(1),
        variant_cooldown_ms: z.number().int().nonnegative().describe('After an edge failure, how long the variant is skipped (ms).').default(30_000),
        isolate_memory_budget_bytes: z.number().int().positive().describe('WASM memory all loaded sessions of an isolate may hold together, beyond the runtime\'s 16 MiB base (Workers isolates have 128 MB in all). Least recently used idle sessions are released to fit.').default(80 * MiB),
        memory_wait_ms: z.number().int().nonnegative().describe('When the sessions that could make room in `isolate_memory_budget_bytes` are all busy serving, how long a load waits for one to be given back (ms, never past the request\'s deadline) before the request goes to the origin (or, with no origin, is answered 503 with a short Retry-After). Contention: the variant is not cooled down.').default(MEMORY_WAIT_MS),
        runtime_init_ms: z.number().nonnegative().describe('What the first session of an isolate pays to instantiate the onnxruntime-web WASM runtime (ms), measured by `npm run bench:coldstart`; the selector adds it to a cold isolate\'s load time.').default(RUNTIME_INIT_MS),
        request_overhead_ms: z.number().nonnegative().describe('The gateway\'s own time per request besides inference (HTTP into workerd, decode, select, encode), taken out of every budget; measured by `npm run bench:overhead`.').default(REQUEST_OVERHEAD_MS),
        eager_runtime: z.boolean().describe('Start the WASM runtime in the background of an isolate\'s first request of any kind (a probe, a metadata call, an origin-served inference), so the first edge answer does not pay for it.').default(false),
        warm_after_answer: z.boolean().describe('Background loads (edge.warm, eager_runtime, a prewarm) start once the request that set them off has its answer: they run on the isolate\'s one thread, and started earlier they hold that answer back (a cold isolate\'s first, origin-served answer waited ~0.9 s for them: bench/coldstart.ts).').default(true),
        warm: z.array(z.string().regex(new RegExp(`^[A-Za-z0-9_.-]+/${VARIANT_NAME_PATTERN.source.slice(1)}`), 'must be "model/variant"')).describe('Variants ("model/variant") to load on an isolate\'s first request, in the background.').default([]),
      })
      .strict()
      .prefault({})
      .describe('The edge engine (onnxruntime-web in the isolate): speed, memory, warm-up and cooldowns. Deployment-level: the KV policy cannot change it.'),
    origin: z
      .object({
        url: HttpUrl.optional().describe('The KServe v2 / Triton origin (usually set by the ORIGIN_URL variable, which wins); unset: no origin.'),
        timeout_ms: z.number().int().positive().describe('The origin\'s own limit on one request (ms, retries included). No timeout counts against the origin\'s circuit breaker: with many tenants on one origin, a timeout says it was busy with someone\'s work, not that it is down.').default(10_000),
        deadline_grace_ms: z.number().int().nonnegative().describe('Deadline of a backend call = min(timeout_ms, remaining budget + this), where the remaining budget is the request\'s SLO minus its network and the gateway\'s overhead (the selector\'s budget) minus the time already spent in the gateway: past its SLO the client has given up, so a hung origin is answered 504 about this long after the budget ends (ms).').default(100),
        expected_rtt_ms: z.number().nonnegative().describe('Round trip assumed until one is measured (ms, edge PoP to origin region, excluding compute).').default(40),
        speed_factor: z.number().positive().describe('Origin compute relative to the edge WASM profile (native, multi-threaded: faster).').default(0.5),
        binary: z.boolean().describe('Tensors to and from the origin in binary (Triton\'s extension); false for JSON-only servers.').default(true),
        variant: VariantName.describe('The variant the origin serves when none is pinned.').default('fp32'),
        breaker_failures: z.number().int().positive().describe('Consecutive failures that open the origin\'s circuit breaker.').default(3),
        breaker_open_ms: z.number().int().positive().describe('How long an open breaker refuses calls before a half-open probe (ms).').default(5_000),
        breaker_unreachable_open_ms: z.number().int().positive().describe('Open time after failures where nothing answered (connection refused or reset): probing costs nothing then, so a restarted origin is back in traffic within this long (ms, at most breaker_open_ms).').default(1_000),
        min_attempt_ms: z.number().int().positive().describe('No origin attempt gets less than this; a retry needs this much budget left (ms).').default(50),
        caller_compute_ms_per_s: z.number().nonnegative().describe('Predicted origin compute (ms) each caller (API key, else client address) earns per second, per gateway isolate: a request whose predicted origin time the caller\'s bucket cannot cover is its own 429 with Retry-After, never sent, so one key cannot fill the shared origin\'s queue within its request quota. 0: no limit.').default(1_000),
        caller_compute_burst_ms: z.number().positive().describe('The most predicted origin compute (ms) a caller may bank and so spend at once (`caller_compute_ms_per_s` fills it).').default(10_000),
      })
      .strict()
      .prefault({})
      .describe('The cloud origin (any KServe v2 / Triton server): deadlines, retries, circuit breaker, what it serves.'),
    origin_limits: z
      .object({
        max_request_cost_ms: z.number().positive().describe('The most compute one request may be predicted to take at the origin (ms): the learned per-item cost of its variant times its items (before any run is learned: the manifest fit x `origin.speed_factor`). Over it: 413 naming this limit and the prediction, before anything loads or runs. One [5,512] transformer-large request (~10 s at the origin) is refused; a [1,512] one (~2 s) is not.').default(5_000),
        memory_budget_bytes: z.number().int().positive().describe('Memory the origin\'s loaded variants may hold together (each counted as its manifest `edge_memory_bytes` less the WASM base: for transformer-large about twice what onnxruntime-node holds, so the budget errs on the safe side; the process must start with MALLOC_MMAP_THRESHOLD_ set for a released variant\'s memory to leave it, docs/operations.md). Least recently used idle variants are released to load another; when the others are busy, a load waits for one to be given back, up to the request\'s deadline (504). Default 2 GiB: every model\'s served variant with room for pins.').default(2 * 1024 * MiB),
      })
      .strict()
      .prefault({})
      .describe('The origin server\'s own protection (origin/server.ts reads it from ORIGIN_CONFIG; a gateway ignores it): what one request may cost and the memory its variants share.'),
    auth: z
      .object({
        api_keys_sha256: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256')).describe('SHA-256 (hex) of the API keys accepted on inference routes; empty means no key needed.').default([]),
        kv_keys: z.boolean().describe('Also accept keys whose sha256 is a key of the API_KEYS KV namespace (when bound).').default(false),
        allow_anonymous: z.boolean().describe('Say that serving inference, device plans and artifacts with no API key at all (no `api_keys_sha256`, no `kv_keys` with API_KEYS bound) is intended. Either way such a deployment answers anyone; without this it logs an `anonymous_inference` warning when each isolate starts.').default(false),
        admin_token_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256').describe('SHA-256 (hex) of the admin token for /admin/*, /metrics, /dashboard and Triton\'s load/unload, sent as `Authorization: Bearer` only (never `x-api-key`), and never accepted as an API key; unset closes them (403) unless the ADMIN_OPEN var opens them for local development.').optional(),
        rate_limit: z.boolean().describe('Rate-limit inference per API key (else per client IP) with the RATE_LIMITER binding, when bound.').default(true),
        rate_limit_period_s: z.number().int().positive().describe('Period of the RATE_LIMITER binding (seconds), sent as Retry-After on 429.').default(60),
        failed_auth_limit: z.number().int().nonnegative().describe('Wrong credentials (unknown API key, wrong admin token: 403) one client address (`cf-connecting-ip`) may send per `failed_auth_window_s`; past it the address is answered 429 with Retry-After, before any key it sends is checked, until the window ends. Counted per isolate; with the RATE_LIMITER binding each failure also spends the key `authfail:ip:<address>` on it. 0: not counted.').default(20),
        failed_auth_window_s: z.number().int().positive().describe('The window of `failed_auth_limit` (seconds).').default(60),
        cors_origins: z.array(z.string()).describe('CORS origins allowed for browser callers ("*" for any); empty disables CORS headers.').default([]),
      })
      .strict()
      .refine((a) => !a.admin_token_sha256 || !a.api_keys_sha256.includes(a.admin_token_sha256), {
        message: 'the admin token is also an API key: it must open the admin surfaces only; give clients keys of their own',
        path: ['admin_token_sha256'],
      })
      .prefault({})
      .describe('Who may call: API keys, the admin token, rate limits, CORS.'),
    learned: LearnedProfiles.optional().describe('Latency profiles learned in production (src/latency/profiles.ts), published in the POLICY KV by the feedback Tail Worker (tail/); where present they replace the manifest\'s fit for prediction (as the learner\'s prior, the colo\'s fit first: src/latency/fleet.ts).'),
    policy_ttl_ms: z.number().int().nonnegative().describe('How often the routing policy in the POLICY KV namespace is re-read (ms).').default(10_000),
    network_defaults: z
      .object({
        rtt_ms: z.number().nonnegative().describe('Round trip (ms) assumed for a client that sends no RTT or ECT hint: steers routing, never a refusal.').default(50),
        downlink_mbps: z.number().positive().describe('Downlink (Mbit/s) assumed without a Downlink or ECT hint, for the upload-time estimate.').default(10),
        mobile_rtt_ms: z.number().nonnegative().describe('The same for a mobile or low-memory client (Sec-CH-UA-Mobile: ?1, Device-Memory <= 1).').default(150),
        mobile_downlink_mbps: z.number().positive().describe('The same for a mobile or low-memory client.').default(1.5),
      })
      .strict()
      .prefault({})
      .describe('The network assumed for a client that sends no Client Hints: it steers routing only, never a refusal.'),
    device: DeviceSchema.prefault({}).describe('The device tier: plans that send a variant to the client\'s device (src/config/device.ts).'),
    learning: LearningSchema.prefault({}).describe('Online latency learning (src/config/learning.ts).'),
    monitoring: MonitoringSchema.prefault({}).describe('Production fidelity (src/config/monitoring.ts): shadow checks against each model\'s reference, their budgets per isolate, and the confidence behind demotions and canaries. Per model: `models.<name>.monitoring` and `models.<name>.canary`.'),
    fidelity: FidelityProfiles.optional().describe('Production fidelity evidence of the whole fleet (src/monitor/published.ts), published in the POLICY KV by the feedback Tail Worker (tail/) from the gateway\'s shadow log lines; judged next to each isolate\'s own.'),
    logging: z
      .object({
        request_sample_rate: z.number().min(0).max(1).describe('Fraction of answered inferences (2xx) that write their log line; every error (4xx, 5xx) and every other route is always logged. A line cost more CPU than the rest of the gateway around the model in local workerd (`npm run bench:overhead`); the feedback learner (tail/) needs only a sample, and the Analytics Engine data point still records every request.').default(0.1),
      })
      .strict()
      .prefault({})
      .describe('The structured request log (routes/app.ts): one JSON line per request, read by the feedback Tail Worker.'),
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

export type { Policy } from './config/policy.js';
/** The layer a resolved policy value came from (request > model policy > global policy). */
export type PolicyLayer = z.infer<typeof PolicyLayerSchema>;
/** A policy with where each value came from, for explain and admin views (its schema: config/policy.ts). */
export type ResolvedPolicy = z.infer<typeof ResolvedPolicySchema>;

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
