/**
 * Pure statistics for the measurements: the least-squares latency fit the router uses to predict p95 for a
 * batch size, and the output comparison behind a variant's fidelity. Percentiles: tools/lib/percentile.ts.
 */
import type { LatencyLine } from '../../src/latency/line.js';

/**
 * Least-squares fit p95 = fixed_ms + per_item_ms * items. A negative slope (noise on a flat profile) is
 * clamped to 0 with fixed_ms the mean, because the manifest schema and the router assume cost grows.
 */
export function fitLatency(points: { items: number; p95_ms: number }[]): LatencyLine {
  const n = points.length;
  const mx = points.reduce((s, p) => s + p.items, 0) / n;
  const my = points.reduce((s, p) => s + p.p95_ms, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.items - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.items - mx) * (p.p95_ms - my), 0);
  const slope = sxx > 0 ? sxy / sxx : 0;
  if (slope <= 0) return { fixed_ms: round(my), per_item_ms: 0 };
  return { fixed_ms: round(my - slope * mx), per_item_ms: round(slope) };
}

/** Rounds to 4 decimals, enough for milliseconds and errors and easier on the manifest's readers. */
export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** How close `actual` rows are to `reference` rows (same shape [rows, width]). */
export function compareOutputs(reference: Float32Array, actual: Float32Array, width: number, labels?: ArrayLike<number>, classifier = true) {
  if (reference.length !== actual.length) throw new Error(`output sizes differ: ${reference.length} vs ${actual.length}`);
  const rows = reference.length / width;
  let maxAbs = 0;
  let sumAbs = 0;
  let dot = 0;
  let nr = 0;
  let na = 0;
  let agree = 0;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    let br = 0;
    let ba = 0;
    for (let c = 0; c < width; c++) {
      const i = r * width + c;
      const d = Math.abs(reference[i]! - actual[i]!);
      maxAbs = Math.max(maxAbs, d);
      sumAbs += d;
      dot += reference[i]! * actual[i]!;
      nr += reference[i]! ** 2;
      na += actual[i]! ** 2;
      if (reference[i]! > reference[r * width + br]!) br = c;
      if (actual[i]! > actual[r * width + ba]!) ba = c;
    }
    if (br === ba) agree++;
    if (labels && ba === labels[r]) correct++;
  }
  const cosine = nr > 0 && na > 0 ? dot / Math.sqrt(nr * na) : 1;
  return {
    samples: rows,
    ...(classifier ? { top1_agreement: agree / rows } : {}),
    ...(labels ? { accuracy: correct / rows } : {}),
    max_abs_err: round(maxAbs, 6),
    mean_abs_err: round(sumAbs / reference.length, 6),
    cosine: Math.min(1, Math.max(-1, round(cosine, 6))),
  };
}
