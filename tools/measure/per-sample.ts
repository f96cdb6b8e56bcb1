/**
 * Metrics per sample (one row of an output over the evaluation set) and the worst of them. Users decide per
 * sample: a mel front-end's int8 measured cosine 0.999 over the whole slice while its worst window was 0.866,
 * and the wake-word score after it moved by 0.41. The mean over every value hides such a window; the worst
 * sample, recorded and floored next to it, does not.
 */
import { argmaxRow } from '../../src/lib/argmax.js';
import { round } from './stats.js';

/** SNR of identical outputs is infinite; JSON has no Infinity, so it is capped here (dB). */
export const SNR_CAP_DB = 200;

/** A metric's worst sample: its value and its index in the evaluation set. */
export interface Worst {
  value: number;
  sample: number;
}

const cosineOf = (dot: number, nr: number, na: number) => (nr > 0 && na > 0 ? dot / Math.sqrt(nr * na) : nr === na ? 1 : 0);
const snrOf = (nr: number, nd: number) => (nd === 0 ? SNR_CAP_DB : nr === 0 ? -SNR_CAP_DB : Math.min(SNR_CAP_DB, 10 * Math.log10(nr / nd)));
const clamp1 = (x: number) => Math.min(1, Math.max(-1, x));

/** Errors, cosine and SNR over every value of an output at once. */
export function errors(r: Float32Array, a: Float32Array) {
  let maxAbs = 0;
  let sumAbs = 0;
  let dot = 0;
  let nr = 0;
  let na = 0;
  let nd = 0;
  let maxRef = 0;
  for (let i = 0; i < r.length; i++) {
    const d = Math.abs(r[i]! - a[i]!);
    maxAbs = Math.max(maxAbs, d);
    maxRef = Math.max(maxRef, Math.abs(r[i]!));
    sumAbs += d;
    nd += d * d;
    dot += r[i]! * a[i]!;
    nr += r[i]! ** 2;
    na += a[i]! ** 2;
  }
  return { maxAbs, meanAbs: r.length ? sumAbs / r.length : 0, cosine: clamp1(round(cosineOf(dot, nr, na), 6)), snr: round(snrOf(nr, nd), 2), maxRef };
}

/** Cosine, SNR (dB) and relative L2 error of each row of `width` values. */
export function rowErrors(r: Float32Array, a: Float32Array, width: number): { cosine: Float64Array; snr: Float64Array; relL2: Float64Array } {
  const rows = Math.floor(r.length / width);
  const cosine = new Float64Array(rows);
  const snr = new Float64Array(rows);
  const relL2 = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    let dot = 0;
    let nr = 0;
    let na = 0;
    let nd = 0;
    for (let i = row * width; i < (row + 1) * width; i++) {
      dot += r[i]! * a[i]!;
      nr += r[i]! ** 2;
      na += a[i]! ** 2;
      nd += (r[i]! - a[i]!) ** 2;
    }
    cosine[row] = clamp1(cosineOf(dot, nr, na));
    snr[row] = snrOf(nr, nd);
    relL2[row] = Math.sqrt(nd) / Math.max(Math.sqrt(nr), 1e-12);
  }
  return { cosine, snr, relL2 };
}

/**
 * Top-1 agreement per sample over the rows of the last axis it holds (positions of a sequence), and overall.
 * `perSample` is absent when a sample holds one row: its agreement is 0 or 1, which the overall rate says.
 */
export function top1Agreement(r: Float32Array, a: Float32Array, width: number, last: number, labels?: ArrayLike<number>) {
  const rows = r.length / last;
  const perRow = Math.max(1, Math.round(width / last));
  const samples = Math.floor(rows / perRow);
  const perSample = perRow > 1 ? new Float64Array(samples) : undefined;
  const useLabels = labels && labels.length === rows ? labels : undefined;
  let agree = 0;
  let correct = 0;
  for (let row = 0; row < rows; row++) {
    const ba = argmaxRow(a, row, last);
    if (argmaxRow(r, row, last) === ba) {
      agree++;
      if (perSample && row < samples * perRow) perSample[Math.floor(row / perRow)]! += 1 / perRow;
    }
    if (useLabels && ba === useLabels[row]) correct++;
  }
  return { agreement: agree / rows, perSample, accuracy: useLabels ? correct / rows : undefined };
}

/** Mean relative error of each sample's values, each relative to itself but floored at `eps`. */
export function rowRelErrors(r: Float32Array, a: Float32Array, width: number, eps: number): Float64Array {
  const rows = Math.floor(r.length / width);
  const rel = new Float64Array(rows);
  for (let row = 0; row < rows; row++) {
    let sum = 0;
    for (let i = row * width; i < (row + 1) * width; i++) sum += Math.abs(r[i]! - a[i]!) / Math.max(Math.abs(r[i]!), eps);
    rel[row] = sum / width;
  }
  return rel;
}

/** The worst sample of a per-sample metric (the lowest, or the highest where lower is better); ties: the first. */
export function worstOf(values: ArrayLike<number>, lowerIsBetter = false): Worst | undefined {
  if (values.length === 0) return undefined;
  let sample = 0;
  for (let i = 1; i < values.length; i++) if (lowerIsBetter ? values[i]! > values[sample]! : values[i]! < values[sample]!) sample = i;
  return { value: values[sample]!, sample };
}

/** The mean of a per-sample metric (0 for none). */
export const meanOf = (values: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i]!;
  return values.length ? s / values.length : 0;
};
