/**
 * An online latency estimator for one (model, variant, target): learns a run's cost as fixed + per-item ms
 * from observed runs, starting from the manifest's offline profile as a prior worth a few observations.
 *
 * Recursive least squares with exponential forgetting, in the prior's own basis: the prediction is
 * u × prior fixed + v × prior per-item × items, and (u, v) are fitted on relative error (each observation
 * is divided by the prior's prediction, so a batch of 32 does not outweigh a batch of 1). Two penalties,
 * worth `priorWeight` observations at first and decaying as runs are learned: the overall scale near the
 * prior's, and u near v (the machine is uniformly faster or slower), so that runs of one batch size
 * rescale the whole profile until runs of other sizes say otherwise.
 * Observations are clamped to within `outlierFactor` of the prediction (one GC pause cannot wreck it);
 * non-finite or negative ones are ignored. A tail margin tracks the 90th percentile of the relative residual
 * (a stochastic quantile estimate, so no samples are kept).
 */
import type { LatencyLine } from './line.js';
import { at } from './line.js';

export interface EstimatorOptions {
  /** How many observations the prior weighs (it decays with them, like they do). */
  priorWeight: number;
  /** Weight kept per observation by everything learned before it (0.98: memory of about 50). */
  forgetting: number;
  /** Observations are clamped into [prediction / f, prediction x f]. */
  outlierFactor: number;
}

/** The learned line and how much it rests on. */
export interface LatencyEstimate extends LatencyLine {
  /** About the 90th percentile of the relative residual (y - predicted) / predicted, at least 0: the tail margin. */
  tail: number;
  /** Observations learned (batched runs count by each request's share). */
  observations: number;
}

export const DEFAULT_ESTIMATOR: EstimatorOptions = { priorWeight: 4, forgetting: 0.98, outlierFactor: 3 };

/** No prediction goes below this (ms): a learned line may cross zero at small item counts. */
const MIN_MS = 0.001;
/** The prior's weight halves every this many observations, and never falls below PRIOR_FLOOR of its start. */
const PRIOR_HALF_LIFE = 10;
const PRIOR_FLOOR = 0.05;
/** Step of the tail's quantile estimate (relative units per observation) and its quantile. */
const TAIL_STEP = 0.03;
const TAIL_QUANTILE = 0.9;

type Vec = [number, number];
type Sym = [number, number, number]; // [s11, s12, s22]

export class LatencyEstimator {
  private readonly a0: number;
  private readonly b0: number;
  private s: Sym = [0, 0, 0];
  private r: Vec = [0, 0];
  private theta: Vec = [1, 1];
  private seen = 0;
  private tailQ = 0;

  constructor(
    prior: LatencyLine,
    private readonly options: EstimatorOptions = DEFAULT_ESTIMATOR,
  ) {
    const { fixed, perItem } = positiveLine(prior);
    this.a0 = fixed;
    this.b0 = perItem;
  }

  /** The prior's prediction for `items` (ms). */
  priorMs(items: number): number {
    return Math.max(MIN_MS, this.a0 + this.b0 * items);
  }

  /** The learned mean for a run of `items` items (ms). */
  predict(items: number): number {
    return estimateMs(this.estimate(), items);
  }

  estimate(): LatencyEstimate {
    return { fixed_ms: this.theta[0] * this.a0, per_item_ms: this.theta[1] * this.b0, tail: this.tailQ, observations: this.seen };
  }

  /**
   * Learns one run of `items` items that took `ms`; `weight` is this observation's share (a request's part
   * of a batched run). Returns false, learning nothing, for a reading that is not a duration.
   */
  observe(items: number, ms: number, weight = 1): boolean {
    if (!Number.isFinite(ms) || ms < 0 || !Number.isFinite(items) || items <= 0 || !Number.isFinite(weight) || weight <= 0) return false;
    const predicted = this.predict(items);
    const f = this.options.outlierFactor;
    const y = Math.min(predicted * f, Math.max(predicted / f, ms));
    const residual = (y - predicted) / predicted;
    const keep = this.options.forgetting ** weight;
    const step = TAIL_STEP * Math.min(1, weight) * (residual > this.tailQ ? TAIL_QUANTILE : TAIL_QUANTILE - 1);
    this.tailQ = Math.min(f - 1, Math.max(0, this.tailQ + step));
    const p = this.priorMs(items);
    const phi: Vec = [this.a0 / p, (this.b0 * items) / p];
    const z = y / p;
    this.s = [keep * this.s[0] + weight * phi[0] * phi[0], keep * this.s[1] + weight * phi[0] * phi[1], keep * this.s[2] + weight * phi[1] * phi[1]];
    this.r = [keep * this.r[0] + weight * z * phi[0], keep * this.r[1] + weight * z * phi[1]];
    this.seen += weight;
    this.theta = this.solve();
    return true;
  }

  /**
   * Minimizes the forgetting-weighted relative squared error plus two penalties of the same weight, which
   * halves every PRIOR_HALF_LIFE observations: the common scale (u + v) / 2 near 1 (the prior) and u near v
   * (the profile's shape). Without runs at a second item count, the shape penalty alone decides the split.
   */
  private solve(): Vec {
    const w = this.options.priorWeight * Math.max(PRIOR_FLOOR, 0.5 ** (this.seen / PRIOR_HALF_LIFE));
    const m: Sym = [this.s[0] + w / 4 + w, this.s[1] + w / 4 - w, this.s[2] + w / 4 + w];
    const q: Vec = [this.r[0] + w / 2, this.r[1] + w / 2];
    const det = m[0] * m[2] - m[1] * m[1];
    if (!(Math.abs(det) > 1e-12)) return this.theta;
    return [(m[2] * q[0] - m[1] * q[1]) / det, (m[0] * q[1] - m[1] * q[0]) / det];
  }
}

/**
 * The prior as a line with both terms usable as a basis: a least-squares fit over noisy points can give a
 * negative fixed cost (mnist fp16: -0.2 ms), which is raised to a tenth of the one-item prediction (a run of
 * nothing is never free); a negative per-item cost becomes 0.
 */
function positiveLine(prior: LatencyLine): { fixed: number; perItem: number } {
  const perItem = Math.max(0, prior.per_item_ms);
  const at1 = Math.max(MIN_MS, prior.fixed_ms + perItem);
  return { fixed: Math.max(prior.fixed_ms, at1 * 0.1, MIN_MS), perItem };
}

/** A learned estimate's prediction for `items` items (ms), plus `tailWeight` times its tail margin. */
export function estimateMs(e: LatencyLine & Pick<LatencyEstimate, 'tail'>, items: number, tailWeight = 0): number {
  return Math.max(MIN_MS, at(e, items)) * (1 + tailWeight * e.tail);
}
