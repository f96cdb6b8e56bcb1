/**
 * Outputs whose values users compare with a threshold (`--decision output=threshold`): a wake-word score, a
 * probability, a mask. What matters there is whether the decision changes, not how close the values are: a
 * score that moves from 0.52 to 0.48 is a small error and a wrong answer. Flips are counted per sample.
 */
import type { DecisionFidelity } from '../../src/registry/manifest.js';
import { round } from './stats.js';

/** A value at or above the threshold is a positive decision. */
export const above = (x: number, threshold: number) => x >= threshold;

/** Every value of each sample (`width` values) compared with the threshold, in fp32 and in the variant. */
export function compareDecisions(r: Float32Array, a: Float32Array, width: number, threshold: number): DecisionFidelity {
  const rows = Math.floor(r.length / width);
  let flips = 0;
  let worst = 0;
  let flipped = 0;
  for (let row = 0; row < rows; row++) {
    let n = 0;
    for (let i = row * width; i < (row + 1) * width; i++) if (above(r[i]!, threshold) !== above(a[i]!, threshold)) n++;
    flips += n;
    if (n > 0) flipped++;
    worst = Math.max(worst, n / width);
  }
  const decisions = rows * width;
  return { threshold, decisions, flips, flip_rate: round(decisions ? flips / decisions : 0, 6), flip_rate_worst: round(worst, 6), flipped_samples: flipped };
}

/**
 * Parses `--decision` values: `output=threshold` (repeatable or comma-separated). Throws with a message
 * naming the item.
 */
export function parseDecisions(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    const eq = item.lastIndexOf('=');
    const value = Number(item.slice(eq + 1));
    if (eq <= 0 || item.slice(eq + 1).trim() === '' || !Number.isFinite(value)) throw new Error(`--decision '${item}': expected output=threshold, e.g. score=0.5`);
    out[item.slice(0, eq)] = value;
  }
  return out;
}
