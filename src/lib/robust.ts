/**
 * Robust statistics shared by the offline profiler (tools/measure) and the production feedback path
 * (tail/): a latency sample set is mostly one mode plus bursts from other work on the machine, so centres
 * come from what is left after rejecting points far from the median in units of the median absolute
 * deviation (MAD), never from a plain mean or a single p95.
 */

/** The median of `xs` (mean of the two middle values for an even count); NaN when empty. */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median absolute deviation from the median (unscaled); NaN when empty. */
export function mad(xs: readonly number[]): number {
  const m = median(xs);
  return median(xs.map((x) => Math.abs(x - m)));
}

/** 1.4826 x MAD estimates the standard deviation of a normal sample; the usual cut is 3 of those. */
const MAD_SIGMA = 1.4826;

/** What survives outlier rejection, and what it cost. */
export interface Kept {
  kept: number[];
  rejected: number;
  median: number;
  /** MAD of the whole sample (before rejection): the dispersion to record next to the centre. */
  mad: number;
}

/**
 * Drops samples more than `k` robust standard deviations (1.4826 x MAD) from the median. With a MAD of 0
 * (quantised timings, most samples equal) only samples that differ from the median by more than `floor`
 * are dropped, so a sample set of identical values plus one burst keeps the identical values.
 */
export function rejectOutliers(xs: readonly number[], k = 3, floor = 0): Kept {
  const m = median(xs);
  const d = mad(xs);
  const limit = Math.max(k * MAD_SIGMA * d, floor);
  const kept = xs.filter((x) => Math.abs(x - m) <= limit);
  return { kept, rejected: xs.length - kept.length, median: m, mad: d };
}

/**
 * Mean of the middle of the sorted sample, `trim` cut from each end (0.1: the lowest and highest 10%).
 * Unlike the median it does not snap to one value of a quantised sample (integer-ms CPU times), so the
 * mean of mostly-0 and some-1 ms runs still says 0.3 ms.
 */
export function trimmedMean(xs: readonly number[], trim = 0.1): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const cut = Math.min(Math.floor(s.length * trim), (s.length - 1) >> 1);
  const mid = s.slice(cut, s.length - cut);
  return mid.reduce((a, b) => a + b, 0) / mid.length;
}

/**
 * Weighted least squares of y = fixed + per_item x items, both clamped at 0 (a cost cannot be negative:
 * a negative slope refits as flat, a negative intercept refits through the origin). Undefined for no points.
 * The result is a latency line (src/latency/line.ts), spelled out here because lib/ sits below that layer.
 */
export function fitLine(points: readonly { items: number; ms: number; weight?: number }[]): { fixed_ms: number; per_item_ms: number } | undefined {
  if (points.length === 0) return undefined;
  const w = (p: { weight?: number }) => p.weight ?? 1;
  const sw = points.reduce((s, p) => s + w(p), 0);
  const mx = points.reduce((s, p) => s + w(p) * p.items, 0) / sw;
  const my = points.reduce((s, p) => s + w(p) * p.ms, 0) / sw;
  const sxx = points.reduce((s, p) => s + w(p) * (p.items - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + w(p) * (p.items - mx) * (p.ms - my), 0);
  const slope = sxx > 0 ? sxy / sxx : 0;
  if (slope <= 0) return { fixed_ms: Math.max(0, my), per_item_ms: 0 };
  const fixed = my - slope * mx;
  if (fixed >= 0) return { fixed_ms: fixed, per_item_ms: slope };
  // Through the origin: per_item = sum(w x y) / sum(w x x).
  const sx = points.reduce((s, p) => s + w(p) * p.items * p.ms, 0) / points.reduce((s, p) => s + w(p) * p.items * p.items, 0);
  return { fixed_ms: 0, per_item_ms: Math.max(0, sx) };
}
