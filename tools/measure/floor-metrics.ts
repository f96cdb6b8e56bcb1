/**
 * The metrics a fidelity floor can name: which outputs each judges, which way is better, where it is read
 * from an output's fidelity, and the floors every output gets by default. Each mean has a worst-sample
 * companion (`cosine` and `cosine_worst`); a floor on the mean brings a floor on the worst sample with it,
 * `WORST_FACTOR` times as loose, unless one is given.
 */
import type { OutputFidelity, OutputKind } from '../../src/registry/manifest.js';

/** What an output is judged as: its kind, and `decision` when users compare it with a threshold. */
export type Role = OutputKind | 'decision';

interface MetricRule {
  fits: Role[];
  /** Lower is better (errors, drift, flips); else higher (agreement, cosine, SNR, IoU). */
  lower?: true;
  /** In dB, not between 0 and 1. */
  db?: true;
  read: (o: OutputFidelity) => number | undefined;
  help: string;
}

export const METRICS = {
  top1: { fits: ['classification'], read: (o) => o.top1_agreement, help: 'classification: top-1 agreement with fp32, at least' },
  top1_worst: { fits: ['classification'], read: (o) => o.top1_worst, help: 'the worst sample\'s, where a sample holds several rows (a sequence)' },
  cosine: { fits: ['classification', 'regression', 'detection'], read: (o) => o.cosine, help: 'classification, regression or detection scores: cosine over all values, at least' },
  cosine_worst: { fits: ['classification', 'regression', 'detection'], read: (o) => o.cosine_worst, help: 'the worst sample\'s cosine' },
  snr: { fits: ['regression'], db: true, read: (o) => o.snr_db, help: 'regression: SNR in dB, at least' },
  snr_worst: { fits: ['regression'], db: true, read: (o) => o.snr_db_worst, help: 'the worst sample\'s' },
  rel: { fits: ['scalar'], lower: true, read: (o) => o.mean_rel_err, help: 'scalar: mean relative error, at most' },
  rel_worst: { fits: ['scalar'], lower: true, read: (o) => o.rel_err_worst, help: 'the worst sample\'s' },
  drift: { fits: ['state'], lower: true, read: (o) => o.drift, help: 'state: relative error after the steps, at most' },
  drift_worst: { fits: ['state'], lower: true, read: (o) => o.drift_worst, help: 'the worst sequence\'s' },
  flips: { fits: ['decision', 'detection'], lower: true, read: (o) => o.detection?.flip_rate ?? o.decision?.flip_rate, help: 'an output with --decision or detection scores: share of decisions that flip, at most (detection: of the anchors above the threshold on either side)' },
  flips_worst: { fits: ['decision', 'detection'], lower: true, read: (o) => o.detection?.flip_rate_worst ?? o.decision?.flip_rate_worst, help: 'the worst sample\'s' },
  near: { fits: ['detection'], lower: true, read: (o) => o.detection?.near_err_max, help: 'detection: largest score error of the anchors within 0.1 of the threshold, at most' },
  iou: { fits: ['boxes'], read: (o) => o.boxes?.iou_mean, help: 'boxes: mean IoU of the boxes both sides keep, at least' },
  iou_worst: { fits: ['boxes'], read: (o) => o.boxes?.iou_worst, help: 'the worst box\'s' },
} satisfies Record<string, MetricRule>;

export type FloorMetric = keyof typeof METRICS;
export const FLOOR_METRICS = Object.keys(METRICS) as FloorMetric[];
export const rule = (m: FloorMetric): MetricRule => METRICS[m];

/**
 * One floor: for a named output, or for every output whose kind the metric fits. `whereMeasured`: a default
 * that holds only where its metric exists (a worst sample of several rows, a box both sides keep).
 */
export interface Floor {
  output?: string;
  metric: FloorMetric;
  value: number;
  whereMeasured?: true;
}

/**
 * The floors of each kind when none is given. Detection: at most 5% of the detections may flip (anchors
 * sitting on the threshold flip under any noise) and no score near the threshold may move by more than
 * the band itself; boxes keep IoU 0.9 on average.
 */
export const DEFAULT_FLOORS: Record<OutputKind, Floor[]> = {
  classification: [{ metric: 'top1', value: 0.99 }],
  regression: [{ metric: 'cosine', value: 0.99 }],
  scalar: [{ metric: 'rel', value: 0.05 }],
  state: [{ metric: 'drift', value: 0.05 }],
  detection: [{ metric: 'flips', value: 0.05 }, { metric: 'near', value: 0.1 }],
  boxes: [{ metric: 'iou', value: 0.9, whereMeasured: true }],
};

/** An output with `--decision`: at most 1% of its decisions may flip. */
export const DECISION_FLOOR: Floor = { metric: 'flips', value: 0.01 };

/**
 * Each mean's worst-sample companion, held `WORST_FACTOR` times looser than the mean's floor: cosine 0.99
 * brings cosine_worst 0.95, drift 0.05 brings drift_worst 0.25. Only where a sample's metric sums up many
 * values: one scalar, one top-1 or one decision per sample has its worst reported, not floored by default
 * (it is 0 or 1, or a relative error that explodes near zero).
 */
export const WORST_OF: Partial<Record<FloorMetric, FloorMetric>> = { top1: 'top1_worst', cosine: 'cosine_worst', drift: 'drift_worst', iou: 'iou_worst' };
export const WORST_FACTOR = 5;

/** The worst-sample floor that comes with a mean floor. */
export function companion(mean: Floor): Floor {
  const metric = WORST_OF[mean.metric]!;
  const raw = rule(mean.metric).lower ? mean.value * WORST_FACTOR : 1 - WORST_FACTOR * (1 - mean.value);
  const value = Math.round(Math.max(mean.metric === 'cosine' ? -1 : 0, Math.min(1, raw)) * 1e6) / 1e6;
  return { ...(mean.output ? { output: mean.output } : {}), metric, value, whereMeasured: true };
}

/** The roles an output is judged in. */
export const rolesOf = (kind: OutputKind, thresholded: boolean): Role[] => (thresholded && kind !== 'detection' && kind !== 'boxes' ? [kind, 'decision'] : [kind]);

export const FLOOR_HELP = FLOOR_METRICS.map((m) => `${m} (${METRICS[m].help})`).join(', ');

/** "cosine >= 0.99", "flips <= 0.01". */
export const describeFloor = (f: Floor) => `${f.metric} ${rule(f.metric).lower ? '<=' : '>='} ${f.value}`;
