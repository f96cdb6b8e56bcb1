/**
 * The one percentile of the measurement tools and the bench: nearest-rank over the samples, so every
 * reported p50/p95/p99 is a latency that was actually observed (no interpolation between two runs).
 */

/** The q-quantile (q from 0 to 1, e.g. 0.95 for p95) of samples by nearest rank; NaN when there are none. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}
