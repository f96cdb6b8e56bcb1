/**
 * GATEWAY_CONFIG for bench gateways: the policy of ./wrangler.toml (kept in step by hand: a `--var`
 * replaces the whole table) with the rate limiter off, since load tests from one IP would hit it, plus
 * per-bench overrides deep-merged on top.
 */
export const WRANGLER_TOML_CONFIG = {
  site: 'edge',
  policy: { slo_ms: 500, variants: ['fp32', 'fp16', 'int8'], accuracy_floor: 0, edge_memory_budget_bytes: 100663296 },
  limits: { max_body_bytes: 16777216, max_tensor_elements: 4194304, max_inputs: 32, max_batch: 256 },
  origin: { timeout_ms: 10000, expected_rtt_ms: 40 },
  models: { mnist: { slo_ms: 100 } },
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function merge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Obj, v) : v;
  return out;
}

/** The bench's gateway config: wrangler.toml's policy, rate limiting off, then `overrides`. */
export function gatewayConfig(overrides: Obj = {}): Obj {
  return merge(merge(WRANGLER_TOML_CONFIG, { auth: { rate_limit: false } }), overrides);
}

/** Makes every listed model origin-only (no edge variant fits a 1-byte budget). */
export function originOnly(models: string[]): Obj {
  return gatewayConfig({ models: Object.fromEntries(models.map((m) => [m, { edge_memory_budget_bytes: 1 }])) });
}
