/**
 * Whether a variant's production fidelity is surely below its floor, surely at or above it, or not known yet,
 * from the evidence of its outputs: each output's per-sample scores against the reference (compare.ts) tested
 * one-sidedly at the configured confidence (stats.ts). Agreement is tested with the Wilson interval (the
 * variant is below when the interval's upper bound is below the floor), a mean (cosine, 1 − error, 1 − drift)
 * with its standard error (mean + z·se below the floor). The worst output decides, as offline (the router's
 * fidelity is the worst over outputs). Fewer than `minSamples` samples decide nothing: a one-sided test looked
 * at after every sample is optimistic at small n, and one unlucky answer must not take a variant out.
 */
import type { FidelityMetric } from './compare.js';
import type { Interval, ScoreSums } from './stats.js';
import { meanInterval, normalQuantile, wilson } from './stats.js';

/** Evidence for one output: its metric and the sums of its per-sample scores. */
export interface OutputEvidence extends ScoreSums {
  metric: FidelityMetric;
}

/** What the verdict is drawn from: the floor, the one-sided confidence and the fewest samples that decide. */
export interface VerdictRule {
  floor: number;
  confidence: number;
  minSamples: number;
}

export type VerdictStatus = 'below' | 'above' | 'unsure';

export interface Verdict extends Interval {
  status: VerdictStatus;
  /** The output that decided (the worst), and its metric; absent without evidence. */
  output?: string;
  metric?: FidelityMetric;
  floor: number;
  /** For humans: "production agreement 0.81 (n=412, upper 0.84) < floor 0.95". */
  text: string;
}

/** One output's score with its one-sided bounds at `z`. */
export function interval(e: OutputEvidence, z: number): Interval {
  // Agreement of one row per sample: every score 0 or 1 (then sumsq = sum), a Bernoulli rate.
  if (e.metric === 'agreement' && Math.abs(e.sumsq - e.sum) < 1e-9) return wilson(e.sum, e.n, z);
  return meanInterval(e, z, e.metric === 'cosine' ? -1 : 0, 1);
}

const fmt = (x: number) => (Number.isFinite(x) ? String(Math.round(x * 1000) / 1000) : '–');
/** A bound, truncated: shown to three places it still stands on the same side of a floor of three places. */
const bound = (x: number) => (Number.isFinite(x) ? String(Math.floor(x * 1000 + 1e-9) / 1000) : '–');
const name = (m: FidelityMetric) => ({ agreement: 'agreement', cosine: 'cosine', rel_err: '1 − relative error', drift: '1 − drift' })[m];

/** The verdict on a variant's outputs' evidence under `rule`. */
export function judge(outputs: Readonly<Record<string, OutputEvidence>>, rule: VerdictRule): Verdict {
  const z = normalQuantile(rule.confidence);
  const judged = Object.entries(outputs)
    .filter(([, e]) => e.n > 0)
    .map(([output, e]) => ({ output, metric: e.metric, iv: interval(e, z) }));
  if (!judged.length) return { n: 0, score: 0, lower: 0, upper: 1, status: 'unsure', floor: rule.floor, text: 'no production samples yet' };
  const enough = judged.every((j) => j.iv.n >= rule.minSamples);
  // Below when any output surely is (the lowest upper bound shows); above only when every output surely is not.
  const below = enough && judged.some((j) => j.iv.upper < rule.floor);
  const above = enough && judged.every((j) => j.iv.lower >= rule.floor);
  const status: VerdictStatus = below ? 'below' : above ? 'above' : 'unsure';
  const worst = judged.reduce((a, b) => (below ? (b.iv.upper < a.iv.upper ? b : a) : b.iv.lower < a.iv.lower ? b : a));
  const { iv, metric, output } = worst;
  const what = `production ${name(metric)} ${fmt(iv.score)}`;
  const text =
    status === 'below'
      ? `${what} (n=${iv.n}, upper ${bound(iv.upper)}) < floor ${rule.floor}`
      : status === 'above'
        ? `${what} (n=${iv.n}, lower ${bound(iv.lower)}) ≥ floor ${rule.floor}`
        : `${what} (n=${iv.n}, ${bound(iv.lower)}–${bound(iv.upper)}): ${enough ? 'not sure against' : `fewer than ${rule.minSamples} samples for`} floor ${rule.floor}`;
  return { ...iv, status, output, metric, floor: rule.floor, text };
}
