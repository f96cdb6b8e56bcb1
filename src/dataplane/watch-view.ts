/**
 * The fidelity monitor as ops see it (admin routes, explain, the dashboard), under the config in force: each
 * variant's standing with its verdicts next to the offline figure, an operator's clear, the last changes of
 * standing, and each variant's production score over time (this isolate's minute buckets and the fleet's).
 */
import type { GatewayConfig } from '../config.js';
import { InvalidInput } from '../errors.js';
import type { FidelityMonitor, VariantWatch, WatchEvent, WatchSettings } from '../monitor/monitor.js';
import type { FidelityBucket } from '../monitor/published.js';
import { scoreOf } from '../monitor/published.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';

/** A time bucket's production score (the worst output's mean) and its samples; `t` ms since the Unix epoch. */
export interface ScorePoint {
  t: number;
  score: number;
  n: number;
}

export interface WatchView {
  report(model: ModelManifest): VariantWatch[];
  /** Clears `variant` in this isolate (a demotion lifted, a rollback back to canary); the variant as it then stands. */
  clear(model: ModelManifest, variant: VariantName): VariantWatch;
  /** The last changes of standing in this isolate, oldest first. */
  events(): WatchEvent[];
  /** Each variant's production score over time: this isolate's minute buckets and the fleet's published ones. */
  history(model: ModelManifest): Record<VariantName, { isolate: ScorePoint[]; fleet: ScorePoint[] }>;
}

const points = (buckets: readonly FidelityBucket[]): ScorePoint[] => buckets.map((b) => ({ t: b.t, ...scoreOf(b.outputs) })).filter((p) => p.n > 0);

export function watchView(monitor: FidelityMonitor, config: GatewayConfig, settings: (model: ModelManifest) => WatchSettings): WatchView {
  const report = (model: ModelManifest) => monitor.watch(model, settings(model), config.fidelity);
  return {
    report,
    clear: (model, variant) => {
      if (!model.variants[variant]) throw new InvalidInput(`unknown variant '${variant.slice(0, 48)}' for model '${model.name}'; it has ${Object.keys(model.variants).join(', ')}`);
      monitor.clear(model, variant);
      return report(model).find((w) => w.variant === variant)!;
    },
    events: () => [...monitor.events],
    history: (model) =>
      Object.fromEntries(
        Object.keys(model.variants).map((v) => [v, { isolate: points(monitor.evidence.buckets(`${model.name}/${v}`)), fleet: points(config.fidelity?.models[model.name]?.[v]?.buckets ?? []) }]),
      ),
  };
}
