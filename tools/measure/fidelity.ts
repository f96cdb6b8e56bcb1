/**
 * A variant's fidelity against fp32, output by output, by the metric that fits each output's kind
 * (kinds.ts), with the manifest's summary over them (the worst of each, which the router reads), and the
 * gate: a floor per kind or per output, every output must pass.
 */
import type { Fidelity, OutputFidelity, OutputKind } from '../../src/registry/manifest.js';
import type { EvalOutput, EvalOutputs } from './eval-run.js';
import { round } from './stats.js';

/** SNR of identical outputs is infinite; JSON has no Infinity, so it is capped here (dB). */
export const SNR_CAP_DB = 200;

function errors(r: Float32Array, a: Float32Array) {
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
  const cosine = nr > 0 && na > 0 ? dot / Math.sqrt(nr * na) : nr === na ? 1 : 0;
  const snr = nd === 0 ? SNR_CAP_DB : nr === 0 ? -SNR_CAP_DB : Math.min(SNR_CAP_DB, 10 * Math.log10(nr / nd));
  return { maxAbs, meanAbs: r.length ? sumAbs / r.length : 0, cosine: Math.min(1, Math.max(-1, round(cosine, 6))), snr: round(snr, 2), maxRef };
}

/** One output of a variant against the same output of fp32. `labels` only for classification rows. */
export function compareOutput(kind: OutputKind, ref: EvalOutput, act: EvalOutput, opts: { labels?: ArrayLike<number>; steps?: number } = {}): OutputFidelity {
  const r = ref.data;
  const a = act.data;
  if (r.length !== a.length) throw new Error(`output sizes differ: ${r.length} vs ${a.length}`);
  const e = errors(r, a);
  const base = { kind, max_abs_err: round(e.maxAbs, 6), mean_abs_err: round(e.meanAbs, 6) };
  if (kind === 'classification') {
    // Top-1 per row of the last axis: per sample for [N, classes], per position for [N, T, classes].
    const w = ref.last;
    const rows = r.length / w;
    let agree = 0;
    let correct = 0;
    const labels = opts.labels && opts.labels.length === rows ? opts.labels : undefined;
    for (let row = 0; row < rows; row++) {
      let br = 0;
      let ba = 0;
      for (let c = 1; c < w; c++) {
        if (r[row * w + c]! > r[row * w + br]!) br = c;
        if (a[row * w + c]! > a[row * w + ba]!) ba = c;
      }
      if (br === ba) agree++;
      if (labels && ba === labels[row]) correct++;
    }
    return { ...base, top1_agreement: round(agree / rows, 6), ...(labels ? { accuracy: round(correct / rows, 6) } : {}), cosine: e.cosine };
  }
  if (kind === 'regression') return { ...base, cosine: e.cosine, snr_db: e.snr, max_rel_err: round(e.maxAbs / (e.maxRef || 1), 6) };
  if (kind === 'scalar') {
    // Relative to each value, floored at 1% of the mean magnitude so that values near 0 do not explode it.
    const meanRef = r.reduce((s, x) => s + Math.abs(x), 0) / (r.length || 1);
    const eps = 0.01 * meanRef || 1e-12;
    let maxRel = 0;
    let sumRel = 0;
    for (let i = 0; i < r.length; i++) {
      const rel = Math.abs(r[i]! - a[i]!) / Math.max(Math.abs(r[i]!), eps);
      maxRel = Math.max(maxRel, rel);
      sumRel += rel;
    }
    return { ...base, max_rel_err: round(maxRel, 6), mean_rel_err: round(sumRel / (r.length || 1), 6) };
  }
  // State: one row per sequence, at its last step; drift is the mean relative L2 error of those rows.
  const w = ref.width;
  const rows = r.length / w;
  let drift = 0;
  for (let row = 0; row < rows; row++) {
    let nd = 0;
    let nr = 0;
    for (let c = 0; c < w; c++) {
      nd += (r[row * w + c]! - a[row * w + c]!) ** 2;
      nr += r[row * w + c]! ** 2;
    }
    drift += Math.sqrt(nd) / Math.max(Math.sqrt(nr), 1e-12);
  }
  return { ...base, drift: round(drift / (rows || 1), 6), ...(opts.steps ? { steps: opts.steps } : {}) };
}

/** What the summary says about the evaluation set. */
export interface EvalSetInfo {
  evalSet: string;
  /** Absent: not known (a caller that predates the flag); the manifest then leaves it out. */
  kind?: 'data' | 'random' | undefined;
  runtime?: string;
  samples: number;
  labels?: ArrayLike<number>;
  steps?: number;
}

/** Every output compared, and the summary the router reads: the worst agreement, cosine and errors over the outputs. */
export function compareAll(reference: EvalOutputs, actual: EvalOutputs, kinds: Record<string, OutputKind>, info: EvalSetInfo): Fidelity {
  const outputs: Record<string, OutputFidelity> = {};
  let labelled = false;
  for (const [name, kind] of Object.entries(kinds)) {
    const ref = reference[name];
    const act = actual[name];
    if (!ref || !act) throw new Error(`output '${name}' missing from the ${ref ? 'variant' : 'reference'} run`);
    const labels = kind === 'classification' && !labelled ? info.labels : undefined;
    outputs[name] = compareOutput(kind, ref, act, { ...(labels ? { labels } : {}), ...(kind === 'state' && info.steps ? { steps: info.steps } : {}) });
    labelled ||= outputs[name].accuracy !== undefined;
  }
  const all = Object.values(outputs);
  const top1 = all.flatMap((o) => (o.top1_agreement !== undefined ? [o.top1_agreement] : []));
  const cosines = all.flatMap((o) => (o.cosine !== undefined ? [o.cosine] : []));
  // No output has a cosine that means something (all scalar or state): the schema still wants one, so it is
  // the cosine over every value; `outputs` carries the metric that fits.
  const cosine = cosines.length ? Math.min(...cosines) : errors(concat(reference, kinds), concat(actual, kinds)).cosine;
  const accuracy = all.find((o) => o.accuracy !== undefined)?.accuracy;
  return {
    eval_set: info.evalSet,
    ...(info.kind ? { eval_set_kind: info.kind } : {}),
    ...(info.runtime ? { runtime: info.runtime } : {}),
    samples: info.samples,
    ...(top1.length ? { top1_agreement: Math.min(...top1) } : {}),
    ...(accuracy !== undefined ? { accuracy } : {}),
    max_abs_err: Math.max(...all.map((o) => o.max_abs_err)),
    mean_abs_err: Math.max(...all.map((o) => o.mean_abs_err)),
    cosine,
    outputs,
  };
}

function concat(outs: EvalOutputs, kinds: Record<string, OutputKind>): Float32Array {
  const parts = Object.keys(kinds).map((n) => outs[n]!.data);
  const data = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return data;
}

/** One line per variant for logs: each output's metric that fits its kind, e.g. "'p' rel 0.012, 'y' cosine 0.9991". */
export function describeFidelity(f: Fidelity): string {
  if (!f.outputs) return `${f.top1_agreement !== undefined ? `top1 ${f.top1_agreement}` : `cosine ${f.cosine}`}`;
  const metric = (o: OutputFidelity) =>
    ({ classification: `top1 ${o.top1_agreement}`, regression: `cosine ${o.cosine}, snr ${o.snr_db} dB`, scalar: `rel ${o.mean_rel_err} (max ${o.max_rel_err})`, state: `drift ${o.drift} after ${o.steps ?? '?'} steps` })[o.kind];
  return Object.entries(f.outputs).map(([name, o]) => `'${name}' ${metric(o)}`).join(', ');
}
