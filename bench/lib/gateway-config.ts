/**
 * GATEWAY_CONFIG for bench gateways: the deployment's own, read from ./wrangler.toml's
 * [vars.GATEWAY_CONFIG] so bench measures the policy that ships (a `--var` replaces the whole table, so
 * bench passes all of it), then bench's own overrides deep-merged on top: first BENCH_OVERRIDES, then
 * each bench's.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'smol-toml';
import { ROOT } from './stack.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What every bench gateway changes: no rate limiting, since load tests come from one IP and would hit it. */
export const BENCH_OVERRIDES: Obj = { auth: { rate_limit: false } };

/** The [vars.GATEWAY_CONFIG] table of a wrangler config (./wrangler.toml by default), as the Worker gets it. */
export function deploymentConfig(path = resolve(ROOT, 'wrangler.toml')): Obj {
  const vars = parse(readFileSync(path, 'utf8')).vars;
  const config = isObj(vars) ? vars.GATEWAY_CONFIG : undefined;
  if (!isObj(config)) throw new Error(`${path} has no [vars.GATEWAY_CONFIG] table`);
  // Through JSON, as wrangler hands vars to the Worker: plain objects (the parser's have no prototype).
  return JSON.parse(JSON.stringify(config)) as Obj;
}

function merge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Obj, v) : v;
  return out;
}

/** The bench's gateway config: wrangler.toml's, then BENCH_OVERRIDES, then `overrides`. */
export function gatewayConfig(overrides: Obj = {}): Obj {
  return merge(merge(deploymentConfig(), BENCH_OVERRIDES), overrides);
}

/** Makes every listed model origin-only (no edge variant fits a 1-byte budget). */
export function originOnly(models: string[]): Obj {
  return gatewayConfig({ models: Object.fromEntries(models.map((m) => [m, { edge_memory_budget_bytes: 1 }])) });
}
