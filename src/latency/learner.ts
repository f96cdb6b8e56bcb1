/**
 * What an isolate has learned of latency: one estimator per (target, model, variant), each seeded on first
 * use with the fleet's published fit where there is one (`priorOf`, see fleet.ts: the one way that fit
 * reaches predictions), else the manifest's p95 fit times the target's speed factor, and the frozen-clock
 * guard that keeps edge readings of a frozen clock out of them. One per isolate, built by the composition
 * root and shared by the engine and the data plane; no I/O, no timers. The selector never sees this object,
 * only the estimates it hands out (`estimates`), so selection stays pure.
 */
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import type { ClockGuardOptions, Reading } from './clock-guard.js';
import { ClockGuard, DEFAULT_CLOCK_GUARD } from './clock-guard.js';
import type { EstimatorOptions, LatencyEstimate } from './estimator.js';
import { DEFAULT_ESTIMATOR, LatencyEstimator } from './estimator.js';
import type { LatencyLine } from './line.js';
import { scaled } from './line.js';

export type LearnTarget = 'edge' | 'origin';

export interface LearnerOptions {
  estimator: EstimatorOptions;
  clock: ClockGuardOptions;
  /**
   * A fleet-measured fit that replaces the manifest's as the prior (ms, already at the fleet's speed): the
   * feedback Tail Worker's `learned` profiles. Where the isolate's clock is frozen (production) nothing is
   * learned locally, so this is the only way edge predictions improve there.
   */
  priorOf?: (target: LearnTarget, model: ModelManifest, variant: VariantName) => LatencyLine | undefined;
}

/** What became of one observation. */
export interface Observed {
  /** Whether it was learned. */
  learned: boolean;
  /** What the estimator predicted for it before learning it (ms), for the prediction-error metric. */
  predicted: number;
  /** The frozen-clock guard's verdict (edge runs only; origin round trips are always 'unjudged'). */
  reading: Reading;
}

/** One learned series, for metrics, the dashboard and explain. */
export interface LearnedSeries {
  target: LearnTarget;
  model: string;
  variant: VariantName;
  estimate: LatencyEstimate;
  /** What the estimator started from: the fleet's published fit, else the manifest's p95 fit x speed factor. */
  prior: LatencyLine;
  prior_source: 'fleet' | 'manifest';
}

export class LatencyLearner {
  private readonly series = new Map<string, LearnedSeries & { estimator: LatencyEstimator }>();
  readonly clock: ClockGuard;

  constructor(private readonly options: LearnerOptions = { estimator: DEFAULT_ESTIMATOR, clock: DEFAULT_CLOCK_GUARD }) {
    this.clock = new ClockGuard(options.clock);
  }

  private entry(target: LearnTarget, model: ModelManifest, variant: VariantName, speedFactor: number) {
    const key = `${target}\u0000${model.name}\u0000${model.version}\u0000${variant}`;
    let e = this.series.get(key);
    const fleet = this.fleetLine(target, model, variant);
    // A newly published fleet fit re-seeds the series: it rests on far more runs than this isolate has seen.
    // So does one withdrawn (deleted from KV): the isolate goes back to the manifest within the reload TTL
    // instead of keeping a fit nobody publishes any more until it restarts.
    if (e && (fleet ? e.prior_source !== 'fleet' || e.prior.fixed_ms !== fleet.fixed_ms || e.prior.per_item_ms !== fleet.per_item_ms : e.prior_source === 'fleet')) e = undefined;
    if (!e) {
      const fit = model.variants[variant]!.latency.fit;
      const prior: LatencyLine = fleet ? { fixed_ms: fleet.fixed_ms, per_item_ms: fleet.per_item_ms } : scaled(fit, speedFactor);
      const estimator = new LatencyEstimator(prior, this.options.estimator);
      e = { target, model: model.name, variant, prior, prior_source: fleet ? 'fleet' : 'manifest', estimator, estimate: estimator.estimate() };
      this.series.set(key, e);
    }
    return e;
  }

  /** The fleet's published line for `variant` at `target` (fleet ms), where one was published: the prior's source. */
  fleetLine(target: LearnTarget, model: ModelManifest, variant: VariantName): LatencyLine | undefined {
    return this.options.priorOf?.(target, model, variant);
  }

  /** The learned estimate of every variant of `model` at `target` (the prior where nothing was learned yet). */
  estimates(target: LearnTarget, model: ModelManifest, speedFactor: number): Partial<Record<VariantName, LatencyEstimate>> {
    const out: Partial<Record<VariantName, LatencyEstimate>> = {};
    for (const v of Object.keys(model.variants) as VariantName[]) out[v] = this.entry(target, model, v, speedFactor).estimator.estimate();
    return out;
  }

  /** The learned mean of one run of `items` items (ms). */
  predict(target: LearnTarget, model: ModelManifest, variant: VariantName, items: number, speedFactor: number): number {
    return this.entry(target, model, variant, speedFactor).estimator.predict(items);
  }

  /**
   * Learns one timed run: `ms` for `items` items, `weight` its share (a request's part of a batched run).
   * Edge readings go through the frozen-clock guard first.
   */
  observe(target: LearnTarget, model: ModelManifest, variant: VariantName, run: { items: number; ms: number; weight?: number }, speedFactor: number): Observed {
    const e = this.entry(target, model, variant, speedFactor);
    const predicted = e.estimator.predict(run.items);
    const reading: Reading = target === 'edge' ? this.clock.judge(predicted, run.ms) : Number.isFinite(run.ms) && run.ms >= 0 ? 'unjudged' : 'invalid';
    const learned = (target === 'origin' ? reading === 'unjudged' : this.clock.learnable(reading)) && e.estimator.observe(run.items, run.ms, run.weight ?? 1);
    e.estimate = e.estimator.estimate();
    return { learned, predicted, reading };
  }

  /** Whether edge runs of this isolate cannot time themselves (production Workers). */
  clockFrozen(): boolean {
    return this.clock.frozen();
  }

  /** Every series used so far. */
  snapshot(): LearnedSeries[] {
    return [...this.series.values()].map(({ target, model, variant, estimate, prior, prior_source }) => ({ target, model, variant, estimate: { ...estimate }, prior: { ...prior }, prior_source }));
  }
}
