/**
 * How repeated latency samples become a manifest point, and the order an interleaved probe runs variants
 * in. Pure, so the statistics are tested without onnxruntime. Bursts from other processes are rejected by
 * distance from the median in MADs (src/lib/robust.ts) before p50 and p95 are taken, and the dispersion
 * and what was rejected are recorded with the point.
 */
import { rejectOutliers } from '../../src/lib/robust.js';
import { percentile } from '../lib/percentile.js';
import { round } from './stats.js';

/** A manifest latency point from timed runs (ms) of one variant at one item count. */
export function summarise(items: number, samples: readonly number[]): { items: number; p50_ms: number; p95_ms: number; runs: number; mad_ms: number; rejected: number } {
  // Floor: 2% of the median, so sub-millisecond timer jitter on a flat sample is not called an outlier.
  const r = rejectOutliers(samples, 3, 0.02 * percentile(samples, 0.5));
  return { items, p50_ms: round(percentile(r.kept, 0.5)), p95_ms: round(percentile(r.kept, 0.95)), runs: samples.length, mad_ms: round(r.mad), rejected: r.rejected };
}

/**
 * The variants in the order of round `round`: rotated by one each round, so no variant always runs first
 * after a switch (cache state) or last (when a burst of outside load is likeliest to have started).
 */
export function roundOrder<T>(variants: readonly T[], round: number): T[] {
  const k = variants.length ? round % variants.length : 0;
  return [...variants.slice(k), ...variants.slice(0, k)];
}
