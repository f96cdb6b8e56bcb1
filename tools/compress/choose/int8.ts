/**
 * Choosing the INT8 form of a model: every candidate form is built and scored against the fp32 reference
 * in onnxruntime-node (leaving the most sensitive nodes in fp32 when it misses the fidelity floor: the greedy
 * search of exclusion.ts, shared with int8w); the forms that pass are timed briefly in onnxruntime-web WASM,
 * the Worker's runtime, and the fastest wins. Nothing is written to the models folder here.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { runProbe } from '../../measure/probe-client.js';
import { encodeModel } from '../../onnx/io.js';
import { allNodes } from '../../onnx/scopes.js';
import type { ModelProto } from '../../onnx/types.js';
import { calibrate } from './calibrate.js';
import type { EvalOutputs } from '../../measure/eval-run.js';
import { CompressInputError, oneLine } from '../failure.js';
import type { Judge } from '../data/eval-set.js';
import { runNode, score } from './evaluate.js';
import { searchExclusions } from './exclusion.js';
import { sampleCount, type Feeds } from '../data/feeds.js';
import { dynamicCandidates } from '../passes/int8-dynamic.js';
import { staticCandidates, type ActivationRanges } from '../passes/int8-static.js';
import type { Progress } from '../progress.js';
import { buildInt8, WEIGHT_BITS, type Int8Form } from '../passes/recipe.js';

/** What happened to one candidate form; recorded in the manifest's provenance. */
export interface CandidateReport {
  form: Int8Form;
  status: 'chosen' | 'passed' | 'below floor' | 'failed' | 'not applicable';
  fidelity?: number;
  excluded: string[];
  p50_ms?: number;
  reason?: string;
}

export interface Int8Trial {
  /** The normalized fp32 model the passes start from (upgraded to opset 13 when it was older). */
  model: ModelProto;
  /** Candidate forms, in order of preference. */
  forms: Int8Form[];
  /** Outputs of the fp32 model on `evalFeeds` (onnxruntime-node): what candidates are scored against. */
  reference: EvalOutputs;
  evalFeeds: Feeds;
  /** Calibration samples for the static (QDQ) forms, calibrated once on first need. */
  calibFeeds: Feeds;
  /** Output kinds, floors and how the set is run (evaluate.ts). */
  judge: Judge;
  /** Nodes the user keeps in fp32; more are excluded (up to maxExclude) only with autoExclude. */
  exclude: string[];
  autoExclude: boolean;
  maxExclude: number;
  /** The WASM timing: model inputs, the smallest and largest latency shapes, and caps on runs and time. */
  timing: { inputs: TensorSpec[]; ends: { items: number; dims: Record<string, number[]> }[]; runs: number; budgetMs: number; intHigh: number };
  progress: Progress;
}

/** The chosen form with the nodes it keeps in fp32 and, for static forms, its calibration ranges. */
export interface Int8Choice {
  form: Int8Form;
  exclude: string[];
  ranges?: ActivationRanges;
  candidates: CandidateReport[];
}

type Passing = Omit<Int8Choice, 'candidates'> & { bytes: Uint8Array };

/** Scores every form, times the passing ones, returns the chosen one; CompressInputError when none passes. */
export async function chooseInt8(t: Int8Trial): Promise<Int8Choice> {
  const { candidates, passing } = await scoreForms(t);
  if (passing.length === 0) {
    throw new CompressInputError(`no INT8 form meets the fidelity floors in onnxruntime-node: ${candidates.map((c) => `${c.form}: ${c.reason ?? c.status}`).join('; ')} (--only fp32,fp16 writes the model without an INT8 variant)`);
  }
  if (passing.length > 1) timeForms(t, passing, candidates);
  // Forms are in preference order; a later one wins only when clearly faster (15%), so timing noise
  // between two near-equal forms cannot flip the recipe (and the files' sha256) from run to run.
  const time = (f: Int8Form) => candidates.find((c) => c.form === f)!.p50_ms ?? Infinity;
  const best = passing.reduce((a, b) => (time(b.form) < 0.85 * time(a.form) ? b : a));
  candidates.find((c) => c.form === best.form)!.status = 'chosen';
  return { form: best.form, exclude: best.exclude, ...(best.ranges ? { ranges: best.ranges } : {}), candidates };
}

/** Fidelity of each form in onnxruntime-node, with auto-exclusion of sensitive nodes when it falls short. */
async function scoreForms(t: Int8Trial): Promise<{ candidates: CandidateReport[]; passing: Passing[] }> {
  const p = t.progress;
  let ranges: { minmax: ActivationRanges; percentile: ActivationRanges } | undefined;
  const candidates: CandidateReport[] = [];
  const passing: Passing[] = [];
  for (const form of t.forms) {
    const isStatic = form.startsWith('qdq');
    const nodes = isStatic ? staticCandidates(t.model).map((n) => n.name) : dynamicCandidates(t.model, form === 'dynamic' ? 'matmul+conv' : 'matmul');
    if (nodes.length === 0 || (form === 'dynamic' && !allNodes(t.model.graph).some((n) => n.op_type === 'Conv') && t.forms.includes('dynamic-matmul'))) {
      candidates.push({ form, status: 'not applicable', excluded: [], reason: nodes.length ? 'same as dynamic-matmul (no Conv)' : 'no quantizable node' });
      continue;
    }
    try {
      if (isStatic && !ranges) {
        p.step(`calibrating (${sampleCount(t.calibFeeds)} samples)`);
        ranges = await calibrate(t.model, t.calibFeeds);
      }
      const r = isStatic ? (form === 'qdq-minmax' ? ranges!.minmax : ranges!.percentile) : undefined;
      const { exclude, result: s } = await searchExclusions({
        label: form,
        exclude: t.exclude,
        fidelity: async (ex) => score(t.reference, await runNode(buildInt8(t.model, form, ex, r, WEIGHT_BITS), t.evalFeeds, t.judge.plan), t.judge),
        pool: (ex) => nodes.filter((n) => !ex.includes(n)),
        autoExclude: t.autoExclude,
        maxExclude: t.maxExclude,
        progress: p,
        added: (n, result) => `${form}: excluded ${n} -> ${result.label}`,
      });
      if (!s.passes) {
        candidates.push({ form, status: 'below floor', fidelity: s.value, excluded: exclude, reason: s.failures.join('; ') });
        continue;
      }
      passing.push({ form, exclude, ...(r ? { ranges: r } : {}), bytes: encodeModel(buildInt8(t.model, form, exclude, r, WEIGHT_BITS)) });
      candidates.push({ form, status: 'passed', fidelity: s.value, excluded: exclude });
    } catch (err) {
      candidates.push({ form, status: 'failed', excluded: [], reason: oneLine(err) });
    }
  }
  return { candidates, passing };
}

/** A short WASM timing of each passing form at the smallest and largest shapes; fills its `p50_ms`. */
function timeForms(t: Int8Trial, passing: Passing[], candidates: CandidateReport[]): void {
  t.progress.step(`timing ${passing.length} INT8 forms in onnxruntime-web`, passing.length);
  const work = join(tmpdir(), `compress-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  try {
    for (const c of passing) {
      const file = join(work, `${c.form}.onnx`);
      writeFileSync(file, c.bytes);
      const { ends } = t.timing;
      const probe = runProbe({ model: file, inputs: t.timing.inputs, batches: ends.map((e) => e.items), shapes: ends, warmup: 2, runs: Math.min(t.timing.runs, 10), budgetMsPerPoint: Math.min(t.timing.budgetMs, 2000), seq: 1, intHigh: t.timing.intHigh });
      candidates.find((x) => x.form === c.form)!.p50_ms = probe.points.reduce((sum, pt) => sum + pt.p50_ms, 0);
      t.progress.tick(c.form);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
