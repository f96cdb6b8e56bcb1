/**
 * One production answer against the reference's answer to the same inputs, output by output, by the metric
 * of the output's kind: the compressor's comparators (tools/measure/fidelity.ts, per-sample.ts), which the
 * Worker cannot import, kept small and pure here and held to the tools' results on the same arrays by
 * test/monitor/compare.unit.test.ts. Classification: top-1 agreement per row; regression and detection
 * scores: cosine per sample (and SNR); scalar: relative error floored at 1% of the mean magnitude; state: the
 * relative L2 drift. Boxes are judged with their scores, offline only.
 *
 * Each output yields a per-sample score where higher is better (agreement 0/1, cosine, 1 − relative error,
 * 1 − drift) whose sums are the evidence the monitor judges (stats.ts), and the compressor's headline figures
 * over the request, for logs and tests.
 */
import { argmaxRow } from '../lib/argmax.js';
import { fromHalf } from '../protocol/datatypes.js';
import type { Tensor } from '../protocol/tensor.js';
import type { ModelManifest, OutputKind, OutputSpec } from '../registry/manifest.js';
import type { ScoreSums } from './stats.js';
import { sumsOf } from './stats.js';

/** The metric a per-sample score stands for, named as the monitor reports it. */
export type FidelityMetric = 'agreement' | 'cosine' | 'rel_err' | 'drift';

/** The metric of each output kind (boxes: none online). */
export const METRIC_OF: Record<OutputKind, FidelityMetric | undefined> = {
  classification: 'agreement',
  regression: 'cosine',
  detection: 'cosine',
  scalar: 'rel_err',
  state: 'drift',
  boxes: undefined,
};

/** One output compared: its metric, the per-sample score sums, and the compressor's figures for the request. */
export interface OutputComparison {
  kind: OutputKind;
  metric: FidelityMetric;
  sums: ScoreSums;
  /** The worst sample's score. */
  worst: number;
  top1_agreement?: number;
  cosine?: number;
  snr_db?: number;
  mean_rel_err?: number;
  drift?: number;
}

const SNR_CAP_DB = 200;
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const clamp1 = (x: number) => Math.min(1, Math.max(-1, x));
const cosineOf = (dot: number, nr: number, na: number) => (nr > 0 && na > 0 ? dot / Math.sqrt(nr * na) : nr === na ? 1 : 0);
const snrOf = (nr: number, nd: number) => (nd === 0 ? SNR_CAP_DB : nr === 0 ? -SNR_CAP_DB : Math.min(SNR_CAP_DB, 10 * Math.log10(nr / nd)));

/** A tensor's values as float64, whatever its datatype (FP16 arrives as half bits). */
export function floats(t: Tensor): Float64Array {
  const d = t.data;
  if (t.datatype === 'FP16') return Float64Array.from(d as Uint16Array, fromHalf);
  if (d instanceof BigInt64Array || d instanceof BigUint64Array) return Float64Array.from(d, (x) => Number(x));
  return Float64Array.from(d as ArrayLike<number>);
}

/** The kind of one output: what the compressor recorded for it, else a classifier with labels, else regression or scalar. */
export function outputKind(model: ModelManifest, spec: Pick<OutputSpec, 'name' | 'shape' | 'labels'>): OutputKind {
  for (const v of Object.values(model.variants)) {
    const kind = v.fidelity.outputs?.[spec.name]?.kind;
    if (kind) return kind;
  }
  const rest = spec.shape.slice(model.batch_axis ? 1 : 0);
  if (spec.labels || (model.outputs.length === 1 && Object.values(model.variants).some((v) => v.fidelity.top1_agreement !== undefined))) return 'classification';
  return rest.length > 0 && rest.every((d) => d >= 0) && rest.reduce((a, b) => a * b, 1) <= 1 ? 'scalar' : 'regression';
}

/**
 * `act` against `ref` (the same output of the same inputs), as `kind` says; `samples` is the request's batch
 * (1 without a batch axis). Undefined for kinds not judged online (boxes). Throws when the sizes differ.
 */
export function compareOutput(kind: OutputKind, ref: Tensor, act: Tensor, samples: number): OutputComparison | undefined {
  const metric = METRIC_OF[kind];
  if (!metric) return undefined;
  const r = floats(ref);
  const a = floats(act);
  if (r.length !== a.length) throw new Error(`output '${ref.name}' sizes differ: reference ${r.length} values, variant ${a.length}`);
  const rows = Math.max(1, samples);
  const width = Math.max(1, Math.floor(r.length / rows));
  if (kind === 'classification') return classification(r, a, width, Math.max(1, ref.shape.at(-1) ?? width));
  const scores = new Float64Array(rows);
  const all = sums(r, a, 0, r.length);
  if (kind === 'scalar') {
    let meanRef = 0;
    for (let i = 0; i < r.length; i++) meanRef += Math.abs(r[i]!);
    const eps = (0.01 * meanRef) / (r.length || 1) || 1e-12;
    let relSum = 0;
    for (let row = 0; row < rows; row++) {
      let s = 0;
      for (let i = row * width; i < (row + 1) * width; i++) s += Math.abs(r[i]! - a[i]!) / Math.max(Math.abs(r[i]!), eps);
      relSum += s;
      scores[row] = Math.max(0, 1 - s / width);
    }
    return result(kind, metric, scores, { mean_rel_err: round(relSum / (r.length || 1), 6) });
  }
  let drift = 0;
  for (let row = 0; row < rows; row++) {
    const s = sums(r, a, row * width, (row + 1) * width);
    const relL2 = Math.sqrt(s.nd) / Math.max(Math.sqrt(s.nr), 1e-12);
    drift += relL2;
    scores[row] = kind === 'state' ? Math.max(0, 1 - relL2) : clamp1(cosineOf(s.dot, s.nr, s.na));
  }
  if (kind === 'state') return result(kind, metric, scores, { drift: round(drift / rows, 6) });
  return result(kind, metric, scores, { cosine: clamp1(round(cosineOf(all.dot, all.nr, all.na), 6)), snr_db: round(snrOf(all.nr, all.nd), 2) });
}

function sums(r: Float64Array, a: Float64Array, from: number, to: number) {
  let dot = 0;
  let nr = 0;
  let na = 0;
  let nd = 0;
  for (let i = from; i < to; i++) {
    dot += r[i]! * a[i]!;
    nr += r[i]! * r[i]!;
    na += a[i]! * a[i]!;
    nd += (r[i]! - a[i]!) ** 2;
  }
  return { dot, nr, na, nd };
}

/**
 * Top-1 per row of the last axis. A sample of one row scores 0 or 1 (Bernoulli: judged with Wilson's
 * interval); a sample of several rows (positions of a sequence) scores the share of its rows that agree.
 */
function classification(r: Float64Array, a: Float64Array, width: number, last: number): OutputComparison {
  const rows = Math.floor(r.length / last);
  const perSample = Math.max(1, Math.round(width / last));
  const scores = new Float64Array(Math.max(1, Math.floor(rows / perSample)));
  let agree = 0;
  for (let row = 0; row < rows; row++) {
    if (argmaxRow(r, row, last) !== argmaxRow(a, row, last)) continue;
    agree++;
    const sample = Math.floor(row / perSample);
    if (sample < scores.length) scores[sample]! += 1 / perSample;
  }
  return result('classification', 'agreement', scores, { top1_agreement: round(agree / (rows || 1), 6) });
}

function result(kind: OutputKind, metric: FidelityMetric, scores: Float64Array, figures: Partial<OutputComparison>): OutputComparison {
  let worst = Infinity;
  for (const s of scores) worst = Math.min(worst, s);
  return { kind, metric, sums: sumsOf(scores), worst, ...figures };
}

/**
 * Every output of a model both answers hold, compared by its kind: output name -> comparison. Outputs
 * missing from either side, or of a kind not judged online, are left out.
 */
export function compareAnswers(model: ModelManifest, reference: readonly Tensor[], actual: readonly Tensor[], samples: number): Record<string, OutputComparison> {
  const out: Record<string, OutputComparison> = {};
  for (const spec of model.outputs) {
    const ref = reference.find((t) => t.name === spec.name);
    const act = actual.find((t) => t.name === spec.name);
    if (!ref || !act) continue;
    const c = compareOutput(outputKind(model, spec), ref, act, samples);
    if (c) out[spec.name] = c;
  }
  return out;
}
