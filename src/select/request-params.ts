/**
 * The routing parameters a request carries besides its tensors: the SLO (header `x-slo-ms` or
 * `parameters.slo_ms`) and a pinned variant (`x-model-variant`), validated into 400s. They are read against
 * the model's manifest, so they live with the selector they feed, not with the wire protocol.
 */
import { InvalidInput } from '../errors.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import { VariantName as VariantNameSchema } from '../registry/manifest.js';

/** SLO from the header (wins) or `parameters.slo_ms`; must be a positive number of ms. */
export function sloOf(header: string | undefined, param: unknown): number | undefined {
  const raw = header ?? param;
  if (raw === undefined) return undefined;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n <= 0 || n > 3_600_000) throw new InvalidInput(`SLO must be a positive number of milliseconds, got ${JSON.stringify(raw)}`);
  return n;
}

/** The variant a client pins with `x-model-variant`; an unknown one is a 400 naming the model's variants. */
export function pinnedVariant(header: string | undefined, model: ModelManifest): VariantName | undefined {
  if (header === undefined || header === '') return undefined;
  const parsed = VariantNameSchema.safeParse(header.trim().toLowerCase());
  if (!parsed.success || !model.variants[parsed.data]) {
    throw new InvalidInput(`unknown variant '${header}' for model '${model.name}'; it has ${Object.keys(model.variants).join(', ')}`);
  }
  return parsed.data;
}
