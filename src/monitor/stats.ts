/**
 * The confidence arithmetic behind every production-fidelity verdict, pure. Evidence for one output is a
 * running sum of per-sample scores (`n`, `sum`, `sumsq`): a classifier's agreement is a Bernoulli score
 * (0 or 1 per row), judged with the Wilson interval, which stays inside [0, 1] and is honest at small n and at
 * rates near 1 (the normal interval of 0.999 ± 0.02 runs past 1, and at 0 or n successes it has no width);
 * a cosine, 1 − relative error or 1 − drift is a mean, judged with its standard error. Both are one-sided:
 * the question is only ever "surely below the floor?" (demote, roll back) or "surely at or above it?"
 * (re-admit, promote).
 */

/** Running sums of a per-sample score: `sum` of the scores and `sumsq` of their squares over `n` samples. */
export interface ScoreSums {
  n: number;
  sum: number;
  sumsq: number;
}

export const EMPTY_SUMS: ScoreSums = Object.freeze({ n: 0, sum: 0, sumsq: 0 });

/** `a` and `b` pooled. */
export function addSums(a: ScoreSums, b: ScoreSums): ScoreSums {
  return { n: a.n + b.n, sum: a.sum + b.sum, sumsq: a.sumsq + b.sumsq };
}

/** The sums of a list of scores. */
export function sumsOf(scores: ArrayLike<number>): ScoreSums {
  let sum = 0;
  let sumsq = 0;
  for (let i = 0; i < scores.length; i++) {
    sum += scores[i]!;
    sumsq += scores[i]! * scores[i]!;
  }
  return { n: scores.length, sum, sumsq };
}

/**
 * The standard normal quantile Φ⁻¹(p), by Acklam's rational approximation (relative error below 1.2e-9 over
 * (0, 1)): what a confidence level becomes as a z (0.95 → 1.645, 0.99 → 2.326 for a one-sided bound).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const tail = (q: number) => (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < low) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - low) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** A score with its one-sided bounds at some confidence: `lower` and `upper` are each a one-sided bound (score 0 when n is 0). */
export interface Interval {
  n: number;
  score: number;
  lower: number;
  upper: number;
}

/**
 * Wilson's score interval for `k` successes in `n` trials, with `z` from the one-sided confidence: the true
 * rate is below `upper` (and above `lower`) with that confidence. n = 0: the whole of [0, 1].
 */
export function wilson(k: number, n: number, z: number): Interval {
  if (n <= 0) return { n: 0, score: 0, lower: 0, upper: 1 };
  const p = Math.min(1, Math.max(0, k / n));
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { n, score: p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}

/**
 * The mean of a score with its standard error, bounded one-sidedly at `z` standard errors. Fewer than two
 * samples have no spread to speak of: the bounds are then the score's whole range [`lo`, `hi`].
 */
export function meanInterval(s: ScoreSums, z: number, lo = -1, hi = 1): Interval & { se: number } {
  if (s.n <= 0) return { n: 0, score: 0, lower: lo, upper: hi, se: NaN };
  const mean = s.sum / s.n;
  if (s.n < 2) return { n: s.n, score: mean, lower: lo, upper: hi, se: NaN };
  const variance = Math.max(0, (s.sumsq - s.n * mean * mean) / (s.n - 1));
  const se = Math.sqrt(variance / s.n);
  return { n: s.n, score: mean, lower: Math.max(lo, mean - z * se), upper: Math.min(hi, mean + z * se), se };
}
