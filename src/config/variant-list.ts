/**
 * Lists of variant names in config (`policy.variants`, `device.variants`). Variants are an open set (a
 * model's folder may hold any), so a list may say `*`: every variant of the model it does not name before.
 */
import { z } from 'zod';
import { ANY_VARIANT } from '../lib/variant-list.js';
import { VariantName } from '../registry/manifest.js';

/** A list of variant names, where `*` stands for every variant of the model not named before it. */
export const VariantList = z.array(z.union([z.literal(ANY_VARIANT), VariantName])).min(1);

/** The parts of a config that name variants. */
interface NamingConfig {
  policy: { variants: readonly string[] };
  device: { variants: readonly string[] };
  origin: { variant: string };
  edge: { warm: readonly string[] };
  models: Record<string, { variants?: readonly string[] | undefined; device?: { variants?: readonly string[] | undefined } | undefined } | undefined>;
}

/**
 * The variant names a config gives that no model it applies to has: a typo or a variant not deployed yet,
 * said at start (the name's shape is the schema's to check; which models exist is the catalog's). One line each.
 */
export function unknownVariants(config: NamingConfig, models: readonly { name: string; variants: Record<string, unknown> }[]): string[] {
  const out: string[] = [];
  const all = new Set(models.flatMap((m) => Object.keys(m.variants)));
  const check = (path: string, names: readonly string[], known: Set<string>, where: string) => {
    for (const n of names) if (n !== ANY_VARIANT && !known.has(n)) out.push(`${path}: '${n}' is not a variant of ${where} (variants: ${[...known].join(', ') || 'none'})`);
  };
  check('policy.variants', config.policy.variants, all, 'any model');
  check('device.variants', config.device.variants, all, 'any model');
  check('origin.variant', [config.origin.variant], all, 'any model');
  for (const w of config.edge.warm) {
    const [model, variant] = [w.slice(0, w.lastIndexOf('/')), w.slice(w.lastIndexOf('/') + 1)];
    const m = models.find((x) => x.name === model);
    if (!m) out.push(`edge.warm: '${w}' names no model of the catalog`);
    else check('edge.warm', [variant], new Set(Object.keys(m.variants)), model);
  }
  for (const [name, policy] of Object.entries(config.models)) {
    const m = models.find((x) => x.name === name);
    if (!m) continue;
    const known = new Set(Object.keys(m.variants));
    check(`models.${name}.variants`, policy?.variants ?? [], known, name);
    check(`models.${name}.device.variants`, policy?.device?.variants ?? [], known, name);
  }
  return out;
}
