/**
 * The profile consistency check: flags latency profiles that cannot all be true, the signature of a
 * measurement taken while something else loaded the machine. Pure (manifests in, warnings out); run by
 * `npm run catalog` at setup and by `npm run profiles:check` for the full report. Warnings, not errors:
 * a flagged profile still routes, but its predictions should not be trusted until it is re-measured.
 */
import type { LatencyProfile, ModelManifest, VariantName } from '../../src/registry/manifest.js';

export type CheckName = 'ratio_flip' | 'non_monotonic' | 'negative_cost' | 'tail_burst';

export interface ProfileWarning {
  model: string;
  variant: VariantName;
  check: CheckName;
  message: string;
}

export interface CheckOptions {
  /** Largest spread (max / min over item counts) of a variant's time relative to fp32's. */
  ratioSpread: number;
  /** A drop in p50 with more items is noise up to this fraction of the smaller count's p50 ... */
  dropTolerance: number;
  /** ... or this many robust sigmas (1.4826 x MAD) of the two points, whichever is larger. */
  dropSigmas: number;
  /** Largest p95 / p50 at a point with at least 10 runs. */
  tailRatio: number;
}

export const DEFAULT_CHECKS: CheckOptions = { ratioSpread: 3, dropTolerance: 0.15, dropSigmas: 3, tailRatio: 3 };

type Point = LatencyProfile['points'][number];
const fmt = (ms: number) => (ms >= 10 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(2));
const sorted = (p: LatencyProfile) => [...p.points].sort((a, b) => a.items - b.items);

/** Every warning for one model's variants. */
export function checkProfiles(m: ModelManifest, o: CheckOptions = DEFAULT_CHECKS): ProfileWarning[] {
  const out: ProfileWarning[] = [];
  const warn = (variant: VariantName, check: CheckName, message: string) => out.push({ model: m.name, variant, check, message: `${m.name}/${variant}: ${message}` });
  const fp32 = m.variants.fp32?.latency;
  for (const [name, v] of Object.entries(m.variants) as [VariantName, NonNullable<ModelManifest['variants']['fp32']>][]) {
    const points = sorted(v.latency);
    for (let i = 1; i < points.length; i++) {
      const [a, b] = [points[i - 1]!, points[i]!];
      const noise = Math.max(o.dropTolerance * a.p50_ms, o.dropSigmas * 1.4826 * Math.max(a.mad_ms ?? 0, b.mad_ms ?? 0));
      if (a.p50_ms - b.p50_ms > noise) {
        const perItem = (b.p50_ms - a.p50_ms) / (b.items - a.items);
        warn(name, 'non_monotonic', `p50 falls from ${fmt(a.p50_ms)} ms at ${a.items} items to ${fmt(b.p50_ms)} ms at ${b.items} (a per-item cost of ${fmt(perItem)} ms, beyond noise): the smaller point was measured under load`);
      }
    }
    const first = points[0]!;
    if (v.latency.fit.fixed_ms < -0.1 * first.p50_ms) {
      warn(name, 'negative_cost', `fit has a negative fixed cost (${fmt(v.latency.fit.fixed_ms)} ms + ${fmt(v.latency.fit.per_item_ms)} ms per item): its largest points are out of line with the smallest`);
    }
    const bursts = points.filter((p) => p.runs >= 10 && p.p50_ms > 0 && p.p95_ms / p.p50_ms > o.tailRatio);
    for (const p of bursts) warn(name, 'tail_burst', `p95 is ${(p.p95_ms / p.p50_ms).toFixed(1)}x p50 at ${p.items} items (${fmt(p.p95_ms)} vs ${fmt(p.p50_ms)} ms): a burst of outside load, not the variant's tail`);
    if (name !== 'fp32' && fp32) out.push(...ratioFlip(m.name, name, points, fp32, o));
  }
  return out;
}

/** A variant's time relative to fp32 that changes by more than `ratioSpread`x across item counts. */
function ratioFlip(model: string, variant: VariantName, points: Point[], fp32: LatencyProfile, o: CheckOptions): ProfileWarning[] {
  const ratios = points
    .map((p) => ({ items: p.items, ref: fp32.points.find((q) => q.items === p.items), p }))
    .filter((r): r is { items: number; ref: Point; p: Point } => r.ref !== undefined && r.ref.p50_ms > 0 && r.p.p50_ms > 0)
    .map((r) => ({ items: r.items, ratio: r.p.p50_ms / r.ref.p50_ms }));
  if (ratios.length < 2) return [];
  const hi = ratios.reduce((a, b) => (b.ratio > a.ratio ? b : a));
  const lo = ratios.reduce((a, b) => (b.ratio < a.ratio ? b : a));
  if (hi.ratio / lo.ratio <= o.ratioSpread) return [];
  const rel = (r: number) => (r >= 1 ? `${r.toFixed(1)}x slower than` : `${(1 / r).toFixed(1)}x faster than`);
  return [{ model, variant, check: 'ratio_flip', message: `${model}/${variant}: ${rel(hi.ratio)} fp32 at ${hi.items} items but ${rel(lo.ratio)} fp32 at ${lo.items}: one of the two profiles was measured under load` }];
}

/** The report's lines: one per warning, or a line saying all is consistent. */
export function report(manifests: readonly ModelManifest[], o: CheckOptions = DEFAULT_CHECKS): { warnings: ProfileWarning[]; lines: string[] } {
  const warnings = manifests.flatMap((m) => checkProfiles(m, o));
  const lines = warnings.length
    ? [`profiles: ${warnings.length} warning(s) in ${new Set(warnings.map((w) => w.model)).size} model(s); re-measure those: npm run profiles:measure -- <model> (docs/models.md "Latency profiles")`, ...warnings.map((w) => `  [${w.check}] ${w.message}`)]
    : [`profiles: ${manifests.length} models consistent`];
  return { warnings, lines };
}
