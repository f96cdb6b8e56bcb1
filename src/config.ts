/**
 * Gateway configuration: the one place ops teams tune routing. Validated with zod at startup; a bad value
 * fails with a message naming the field. `resolvePolicy` is the single documented precedence rule:
 * request > model policy > global policy > default.
 */
import { z } from 'zod';
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

/** Routing policy knobs that can be set globally and overridden per model. */
const PolicyFields = {
  /** Latency budget (ms) when the request names none. */
  slo_ms: z.number().positive().default(500),
  /** Variants the edge may run, in any order; the origin always serves `origin.variant`. */
  variants: z.array(VariantName).min(1).default([...VARIANT_NAMES]),
  /** Lowest fidelity (accuracy, else top-1 agreement with fp32) a variant may have to be chosen. */
  accuracy_floor: z.number().min(0).max(1).default(0),
  /** With Save-Data: accept this much fidelity loss for the cheapest candidate. */
  save_data_fidelity_slack: z.number().min(0).max(1).default(0.01),
  /** WASM memory a single variant may take in the isolate. */
  edge_memory_budget_bytes: z.number().int().positive().default(96 * MiB),
  /** Whether the origin may serve this model. */
  origin_enabled: z.boolean().default(true),
  /** Dynamic batching at the edge for models with a batch axis. */
  batching: z.boolean().default(true),
  /** Largest batch (sum of request batch sizes) one edge run may take. */
  max_batch_size: z.number().int().positive().default(32),
  /** Longest wait for more requests to batch (ms); a request's SLO slack bounds it further. */
  max_queue_delay_ms: z.number().nonnegative().default(2),
  /**
   * Whether a client's `x-model-variant` may pick a variant outside `variants` or below `accuracy_floor`.
   * Off: ops win, and such a pin is a 400 naming the policy.
   */
  allow_client_pins: z.boolean().default(false),
  /** Whether float inputs may hold NaN or ±Infinity (JSON `1e999`, binary bit patterns). Off: 400. */
  allow_non_finite: z.boolean().default(false),
  /**
   * Refuse (422, with the prediction) a request that no candidate is predicted to serve within its budget.
   * Off: the fastest candidate still runs, best effort, flagged as a predicted miss. A request whose budget
   * is gone before anything runs (SLO <= network + gateway overhead) is refused either way.
   */
  refuse_predicted_miss: z.boolean().default(false),
};
const Policy = z.object(PolicyFields).strict();
export type Policy = z.infer<typeof Policy>;

// Listed field by field, defaults unwrapped: Policy.partial() would fill every default in and make a model
// policy override the global one with values nobody set (zod 4 applies defaults inside optional).
const ModelPolicy = z
  .object({
    slo_ms: PolicyFields.slo_ms.unwrap().optional(),
    variants: PolicyFields.variants.unwrap().optional(),
    accuracy_floor: PolicyFields.accuracy_floor.unwrap().optional(),
    save_data_fidelity_slack: PolicyFields.save_data_fidelity_slack.unwrap().optional(),
    edge_memory_budget_bytes: PolicyFields.edge_memory_budget_bytes.unwrap().optional(),
    origin_enabled: PolicyFields.origin_enabled.unwrap().optional(),
    batching: PolicyFields.batching.unwrap().optional(),
    max_batch_size: PolicyFields.max_batch_size.unwrap().optional(),
    max_queue_delay_ms: PolicyFields.max_queue_delay_ms.unwrap().optional(),
    allow_client_pins: PolicyFields.allow_client_pins.unwrap().optional(),
    allow_non_finite: PolicyFields.allow_non_finite.unwrap().optional(),
    refuse_predicted_miss: PolicyFields.refuse_predicted_miss.unwrap().optional(),
  })
  .strict();

export const GatewayConfigSchema = z
  .object({
    /** What this deployment calls itself in `x-served-by` for local inference ("edge" or "origin"). */
    site: z.enum(['edge', 'origin']).default('edge'),
    policy: Policy.prefault({}),
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
        /** Variants ("model/variant") to load on an isolate's first request, in the background. */
        warm: z.array(z.string().regex(/^[A-Za-z0-9_.-]+\/(fp32|fp16|int8)$/, 'must be "model/variant"')).default([]),
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
