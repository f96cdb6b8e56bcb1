/**
 * A detector's outputs judged by what its users do with them: keep the anchors whose score is at or above a
 * threshold, and read their boxes. Cosine over every raw score is mostly background: two face detectors'
 * int8w passed it while moving scores by up to 0.15 and 0.63, with 17 and 67 anchors crossing 0.5. Here:
 * the anchors that cross the threshold (flips), the score error of the anchors near it, and the IoU of the
 * boxes both sides keep.
 */
import type { BoxesFidelity, DetectionFidelity } from '../../src/registry/manifest.js';
import { above } from './decision.js';
import type { EvalOutput } from './eval-run.js';
import { round } from './stats.js';

/** Anchors whose score is this close to the threshold, on either side, are where a score error changes an answer. */
export const NEAR_BAND = 0.1;

/** The threshold of a detection output without `--decision`: probabilities, as detectors' exports give them. */
export const DEFAULT_DETECTION_THRESHOLD = 0.5;

export const BOX_FORMATS = ['xyxy', 'xywh', 'cxcywh'] as const;
export type BoxFormat = (typeof BOX_FORMATS)[number];

/**
 * Each anchor's score, per sample. [N, A] and [N, A, 1] hold one score per anchor; [N, A, C] with C >= 2 holds
 * class scores with the background in column 0, as softmax detectors emit: the anchor's score is the best of
 * the other columns.
 */
export function anchorScores(o: EvalOutput): { scores: Float32Array; anchors: number } {
  const classes = classesOf(o);
  const anchors = anchorsOf(o);
  const n = Math.floor(o.data.length / classes);
  if (classes === 1) return { scores: o.data, anchors };
  const scores = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    for (let c = 1; c < classes; c++) best = Math.max(best, o.data[i * classes + c]!);
    scores[i] = best;
  }
  return { scores, anchors };
}

const classesOf = (o: Pick<EvalOutput, 'width' | 'last'>) => (o.width === o.last ? 1 : o.last);

/** Anchors per sample of a scores output. */
export const anchorsOf = (o: Pick<EvalOutput, 'width' | 'last'>) => Math.max(1, Math.floor(o.width / classesOf(o)));

/** Flips, near-threshold error and detections of a scores output against fp32's. */
export function compareDetection(ref: EvalOutput, act: EvalOutput, threshold: number): DetectionFidelity {
  const { scores: r, anchors } = anchorScores(ref);
  const { scores: a } = anchorScores(act);
  const rows = Math.floor(r.length / anchors);
  let flips = 0;
  let union = 0;
  let detections = 0;
  let worst = 0;
  let near = 0;
  let nearMax = 0;
  let nearSum = 0;
  for (let row = 0; row < rows; row++) {
    let rowFlips = 0;
    let rowUnion = 0;
    for (let i = row * anchors; i < (row + 1) * anchors; i++) {
      const pr = above(r[i]!, threshold);
      const pa = above(a[i]!, threshold);
      if (pr) detections++;
      if (pr || pa) rowUnion++;
      if (pr !== pa) rowFlips++;
      if (Math.abs(r[i]! - threshold) <= NEAR_BAND || Math.abs(a[i]! - threshold) <= NEAR_BAND) {
        const err = Math.abs(r[i]! - a[i]!);
        near++;
        nearSum += err;
        nearMax = Math.max(nearMax, err);
      }
    }
    flips += rowFlips;
    union += rowUnion;
    if (rowUnion > 0) worst = Math.max(worst, rowFlips / rowUnion);
  }
  return {
    threshold,
    anchors,
    detections,
    flips,
    flip_rate: round(union ? flips / union : 0, 6),
    flip_rate_worst: round(worst, 6),
    near,
    near_err_max: round(nearMax, 6),
    near_err_mean: round(near ? nearSum / near : 0, 6),
  };
}

/** Corners [x1, y1, x2, y2] of the box at `at` (4 values) in `format`. */
function corners(d: Float32Array, at: number, format: BoxFormat): [number, number, number, number] {
  const [p, q, s, t] = [d[at]!, d[at + 1]!, d[at + 2]!, d[at + 3]!];
  if (format === 'xyxy') return [p, q, s, t];
  if (format === 'xywh') return [p, q, p + s, q + t];
  return [p - s / 2, q - t / 2, p + s / 2, q + t / 2];
}

/** Intersection over union of two boxes (exactly equal boxes: 1, even when empty). */
export function iou(a: [number, number, number, number], b: [number, number, number, number]): number {
  if (a.every((v, i) => v === b[i])) return 1;
  const area = (x: [number, number, number, number]) => Math.max(0, x[2] - x[0]) * Math.max(0, x[3] - x[1]);
  const inter = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])) * Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** The boxes of the anchors both fp32 and the variant keep (score at or above the threshold), by IoU. */
export function compareBoxes(boxes: { ref: EvalOutput; act: EvalOutput }, scores: { name: string; ref: EvalOutput; act: EvalOutput }, threshold: number, format: BoxFormat): BoxesFidelity {
  const { scores: r, anchors } = anchorScores(scores.ref);
  const { scores: a } = anchorScores(scores.act);
  if (boxes.ref.data.length !== r.length * 4) throw new Error(`boxes of '${scores.name}': ${boxes.ref.data.length / 4} boxes for ${r.length} anchors (${anchors} per sample); a boxes output holds 4 values per anchor`);
  let matched = 0;
  let sum = 0;
  let worst = 1;
  for (let i = 0; i < r.length; i++) {
    if (!above(r[i]!, threshold) || !above(a[i]!, threshold)) continue;
    const v = iou(corners(boxes.ref.data, i * 4, format), corners(boxes.act.data, i * 4, format));
    matched++;
    sum += v;
    worst = Math.min(worst, v);
  }
  return { scores: scores.name, format, matched, ...(matched ? { iou_mean: round(sum / matched, 6), iou_worst: round(worst, 6) } : {}) };
}
