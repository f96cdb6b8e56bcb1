/**
 * What the cloud-tier export reads: the gateway's own policy (wrangler.toml [vars.GATEWAY_CONFIG], or another
 * file given with `--config`), parsed by src/config.ts's parseConfig exactly as the Worker parses it, and the
 * catalog's manifests. The SLO of each model is written there once; everything the export derives from it
 * (slo.ts) reads it through `resolvePolicy`, the gateway's one precedence rule. Which models the cloud tier
 * serves, and which variant, is decided here too, with the gateway's own rules.
 */
import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import type { GatewayConfig } from '../../src/config.js';
import { parseConfig, resolvePolicy } from '../../src/config.js';
import type { ModelManifest, VariantName } from '../../src/registry/manifest.js';

/**
 * A gateway config file: a wrangler TOML file (its [vars.GATEWAY_CONFIG] table, and [vars] ORIGIN_URL as the
 * Worker would take it) or a JSON file holding GATEWAY_CONFIG itself.
 */
export function readGatewayConfig(path: string): GatewayConfig {
  const text = readFileSync(path, 'utf8');
  if (path.endsWith('.json')) return parseConfig(text);
  const vars = (parseToml(text) as { vars?: { GATEWAY_CONFIG?: unknown; ORIGIN_URL?: unknown } }).vars;
  if (!vars || typeof vars.GATEWAY_CONFIG !== 'object') throw new Error(`${path} has no [vars.GATEWAY_CONFIG] table`);
  return parseConfig(vars.GATEWAY_CONFIG, typeof vars.ORIGIN_URL === 'string' ? { originUrl: vars.ORIGIN_URL } : {});
}

/**
 * Where a model runs, by the gateway's own rules: `origin-only` when no variant it may run at the edge fits
 * the edge memory budget (the cloud tier is the only place it can be served); `edge-only` when its policy
 * keeps it off the origin (`origin_enabled: false`, the gateway never sends it there); otherwise `both` (the
 * origin takes what the edge cannot meet and the edge's failures).
 */
export type Placement = 'origin-only' | 'both' | 'edge-only';

export function placement(config: GatewayConfig, model: ModelManifest): Placement {
  const policy = resolvePolicy(config, model.name);
  const fits = policy.variants.some((v) => {
    const variant = model.variants[v];
    return variant !== undefined && variant.edge_memory_bytes <= policy.edge_memory_budget_bytes;
  });
  if (!fits) return 'origin-only';
  return policy.origin_enabled ? 'both' : 'edge-only';
}

/**
 * The variant the origin serves for `model`: `origin.variant` when the model has it, else its first variant,
 * the rule origin/server.ts loads by. A Triton origin serves the same file under the model's own name.
 */
export function servedVariant(config: GatewayConfig, model: ModelManifest): VariantName {
  const wanted = config.origin.variant;
  return model.variants[wanted] ? wanted : (Object.keys(model.variants)[0] as VariantName);
}

export interface CloudModel {
  manifest: ModelManifest;
  placement: Placement;
  variant: VariantName;
}

/**
 * The models the cloud tier serves: every model the gateway may send to the origin (too big for the edge, or
 * served at both), and the edge-only ones too when asked (`includeEdgeOnly`: a standby origin that could
 * serve them if their policy changed). `only` narrows to the named models (an unknown name is an error).
 */
export function cloudModels(config: GatewayConfig, manifests: ModelManifest[], options: { includeEdgeOnly?: boolean; only?: string[] } = {}): CloudModel[] {
  const known = new Set(manifests.map((m) => m.name));
  const unknown = (options.only ?? []).filter((n) => !known.has(n));
  if (unknown.length) throw new Error(`no such model in the catalog: ${unknown.join(', ')}`);
  return manifests
    .filter((m) => !options.only?.length || options.only.includes(m.name))
    .map((manifest) => ({ manifest, placement: placement(config, manifest), variant: servedVariant(config, manifest) }))
    .filter((m) => m.placement !== 'edge-only' || options.includeEdgeOnly);
}
