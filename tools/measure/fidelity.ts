/**
 * A variant's fidelity against fp32, output by output, by the metric that fits each output's kind
 * (kinds.ts), each next to its worst sample (per-sample.ts), thresholds where users decide (decision.ts,
 * detection.ts), with the manifest's summary over them (the worst of each, which the router reads). The gate
 * (gate.ts) holds every output to its floors.
 */
import type { Fidelity, OutputFidelity, OutputKind } from '../../src/registry/manifest.js';
import { compareDecisions } from './decision.js';
import { compareBoxes, compareDetection, DEFAULT_DETECTION_THRESHOLD, type BoxFormat } from './detection.js';
import type { EvalOutput, EvalOutputs } from './eval-run.js';
import type { Reading } from './reading.js';
import { errors, meanOf, rowErrors, rowRelErrors, top1Agreement, worstOf, type Worst } from './per-sample.js';
import { round } from './stats.js';

export { SNR_CAP_DB } from './per-sample.js';

/** What else one output's comparison needs: labels, steps, its threshold, and for boxes the scores they belong to. */
export interface CompareOptions {
  labels?: ArrayLike<number>;
  steps?: number;
  threshold?: number;
  boxesOf?: { name: string; ref: EvalOutput; act: EvalOutput; format: BoxFormat };
}

/** `field: value` and the worst sample's index, for the metrics whose worst is known. */
function worstFields(list: [string, Worst | undefined, number][]): Partial<OutputFidelity> {
  const out: Record<string, number> = {};
  const at: Record<string, number> = {};
  for (const [field, w, digits] of list) {
    if (!w) continue;
    out[field] = round(w.value, digits);
    at[field.replace(/(_db)?_worst$/, '').replace('rel_err', 'rel')] = w.sample;
  }
  return Object.keys(at).length ? { ...out, worst_sample: at } : {};
}

/** One output of a variant against the same output of fp32. `labels` only for classification rows. */
export function compareOutput(kind: OutputKind, ref: EvalOutput, act: EvalOutput, opts: CompareOptions = {}): OutputFidelity {
  const r = ref.data;
  const a = act.data;
  if (r.length !== a.length) throw new Error(`output sizes differ: ${r.length} vs ${a.length}`);
  const e = errors(r, a);
  const base = { kind, max_abs_err: round(e.maxAbs, 6), mean_abs_err: round(e.meanAbs, 6) };
  const decision = opts.threshold !== undefined && kind !== 'detection' && kind !== 'boxes' ? { decision: compareDecisions(r, a, ref.width, opts.threshold) } : {};
  const rows = () => rowErrors(r, a, ref.width);
  if (kind === 'classification') {
    // Top-1 per row of the last axis: per sample for [N, classes], per position for [N, T, classes].
    const t = top1Agreement(r, a, ref.width, ref.last, opts.labels);
    const worst = worstFields([['top1_worst', t.perSample && worstOf(t.perSample), 6], ['cosine_worst', worstOf(rows().cosine), 6]]);
    return { ...base, top1_agreement: round(t.agreement, 6), ...(t.accuracy !== undefined ? { accuracy: round(t.accuracy, 6) } : {}), cosine: e.cosine, ...worst, ...decision };
  }
  if (kind === 'regression') {
    const { cosine, snr } = rows();
    return { ...base, cosine: e.cosine, snr_db: e.snr, max_rel_err: round(e.maxAbs / (e.maxRef || 1), 6), ...worstFields([['cosine_worst', worstOf(cosine), 6], ['snr_db_worst', worstOf(snr), 2]]), ...decision };
  }
  if (kind === 'scalar') {
    // Relative to each value, floored at 1% of the mean magnitude so that values near 0 do not explode it.
    const meanRef = r.reduce((s, x) => s + Math.abs(x), 0) / (r.length || 1);
    const eps = 0.01 * meanRef || 1e-12;
    const perValue = rowRelErrors(r, a, 1, eps);
    const perSample = ref.width === 1 ? perValue : rowRelErrors(r, a, ref.width, eps);
    return { ...base, max_rel_err: round(worstOf(perValue, true)?.value ?? 0, 6), mean_rel_err: round(meanOf(perValue), 6), ...worstFields([['rel_err_worst', worstOf(perSample, true), 6]]), ...decision };
  }
  if (kind === 'detection') {
    const { cosine } = rows();
    return { ...base, cosine: e.cosine, ...worstFields([['cosine_worst', worstOf(cosine), 6]]), detection: compareDetection(ref, act, opts.threshold ?? DEFAULT_DETECTION_THRESHOLD) };
  }
  if (kind === 'boxes') {
    if (!opts.boxesOf) throw new Error('a boxes output is compared with the detection output it belongs to (--task boxes=boxes:scores)');
    const b = opts.boxesOf;
    return { ...base, boxes: compareBoxes({ ref, act }, b, opts.threshold ?? DEFAULT_DETECTION_THRESHOLD, b.format) };
  }
  // State: one row per sequence, at its last step; drift is the mean relative L2 error of those rows.
  const { relL2 } = rows();
  return { ...base, drift: round(meanOf(relL2), 6), ...worstFields([['drift_worst', worstOf(relL2, true), 6]]), ...(opts.steps ? { steps: opts.steps } : {}) };
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

/**
 * Every output compared as `reading` says (its kind, its threshold, the scores its boxes belong to), and the
 * summary the router reads: the worst agreement, cosine and errors over the outputs.
 */
export function compareAll(reference: EvalOutputs, actual: EvalOutputs, reading: Reading, info: EvalSetInfo): Fidelity {
  const { kinds } = reading;
  const outputs: Record<string, OutputFidelity> = {};
  let labelled = false;
  const pair = (name: string) => {
    const ref = reference[name];
    const act = actual[name];
    if (!ref || !act) throw new Error(`output '${name}' missing from the ${ref ? 'variant' : 'reference'} run`);
    return { ref, act };
  };
  for (const [name, kind] of Object.entries(kinds)) {
    const { ref, act } = pair(name);
    const labels = kind === 'classification' && !labelled ? info.labels : undefined;
    const box = kind === 'boxes' ? reading.boxes?.[name] : undefined;
    const threshold = reading.thresholds?.[box ? box.scores : name];
    outputs[name] = compareOutput(kind, ref, act, {
      ...(labels ? { labels } : {}),
      ...(kind === 'state' && info.steps ? { steps: info.steps } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      ...(box ? { boxesOf: { name: box.scores, ...pair(box.scores), format: box.format } } : {}),
    });
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

/**
 * One line per variant for logs: each output's metric that fits its kind with its worst sample, its
 * decisions, and the downstream model's outputs, e.g. "'p' rel 0.012 (max 0.03), 'y' cosine 0.9991 (worst 0.97)".
 */
export function describeFidelity(f: Fidelity): string {
  if (!f.outputs) return `${f.top1_agreement !== undefined ? `top1 ${f.top1_agreement}` : `cosine ${f.cosine}`}`;
  const line = describeOutputs(f.outputs);
  return f.downstream ? `${line}; downstream ${f.downstream.model}: ${describeOutputs(f.downstream.outputs)}` : line;
}

const worstNote = (v: number | undefined) => (v !== undefined ? ` (worst ${v})` : '');

function describeOutputs(outputs: Record<string, OutputFidelity>): string {
  const metric = (o: OutputFidelity) =>
    ({
      classification: `top1 ${o.top1_agreement}${worstNote(o.top1_worst)}`,
      regression: `cosine ${o.cosine}${worstNote(o.cosine_worst)}, snr ${o.snr_db} dB${worstNote(o.snr_db_worst)}`,
      scalar: `rel ${o.mean_rel_err} (max ${o.max_rel_err})`,
      state: `drift ${o.drift}${worstNote(o.drift_worst)} after ${o.steps ?? '?'} steps`,
      detection: `${o.detection?.flips} of ${o.detection?.detections} detections flip at ${o.detection?.threshold}, near-threshold error max ${o.detection?.near_err_max}`,
      boxes: `IoU ${o.boxes?.iou_mean ?? '-'}${worstNote(o.boxes?.iou_worst)} on ${o.boxes?.matched} boxes`,
    })[o.kind];
  const decision = (o: OutputFidelity) => (o.decision ? `, ${o.decision.flips} of ${o.decision.decisions} decisions flip at ${o.decision.threshold}` : '');
  return Object.entries(outputs).map(([name, o]) => `'${name}' ${metric(o)}${decision(o)}`).join(', ');
}
