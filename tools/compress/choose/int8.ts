/**
 * Choosing the INT8 form of a model: every candidate form is built and scored against the fp32 reference
 * in onnxruntime-node (leaving the most sensitive nodes in fp32 when it misses the fidelity floor: the greedy
 * search of exclusion.ts, shared with int8w); a form whose file would quantize nothing is not one. The
 * forms that pass are timed together in onnxruntime-web WASM, the Worker's runtime, and decided so timing
 * noise cannot flip the choice (int8-timing.ts). No form passing is an answer, not an error: the pipeline
 * writes the other variants and records why int8 is missing. Nothing is written to the models folder here.
 */
import { encodeModel } from '../../onnx/io.js';
import { allNodes } from '../../onnx/scopes.js';
import type { ModelProto } from '../../onnx/types.js';
import { calibrate } from './calibrate.js';
import type { EvalOutputs } from '../../measure/eval-run.js';
import { oneLine } from '../failure.js';
import type { Judge } from '../data/eval-set.js';
import { runNode, score } from './evaluate.js';
import { searchExclusions } from './exclusion.js';
import { sampleCount, type Feeds } from '../data/feeds.js';
import { dynamicCandidates } from '../passes/int8-dynamic.js';
import { staticCandidates, type ActivationRanges } from '../passes/int8-static.js';
import type { Progress } from '../progress.js';
import { quantizes } from '../passes/quantized.js';
import { buildInt8, WEIGHT_BITS, type Int8Form } from '../passes/recipe.js';
import { decideForm, timeForms, type FormFacts, type FormTiming, type TimingPlan } from './int8-timing.js';

/** What happened to one candidate form; recorded in the manifest's provenance. */
export interface CandidateReport {
  form: Int8Form;
  status: 'chosen' | 'passed' | 'below floor' | 'failed' | 'not applicable';
  fidelity?: number;
  excluded: string[];
  /** Size of the form's file, for the forms that passed. */
  bytes?: number;
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
  /** The WASM timing: model inputs and their values, the smallest and largest latency shapes, caps on runs and time. */
  timing: TimingPlan;
  progress: Progress;
}

/** The chosen form with the nodes it keeps in fp32 and, for static forms, its calibration ranges. */
export interface Int8Choice {
  form: Int8Form;
  exclude: string[];
  ranges?: ActivationRanges;
}

/** The choice (none when no form passed, with why), every form's report, and the timing that decided it. */
export interface Int8Outcome {
  choice?: Int8Choice;
  candidates: CandidateReport[];
  timing?: FormTiming;
  missed?: string;
}

type Passing = Int8Choice & { bytes: Uint8Array; margin: number };

/** Scores every form, times the passing ones, and returns the chosen one, or why none was. */
export async function chooseInt8(t: Int8Trial): Promise<Int8Outcome> {
  const { candidates, passing } = await scoreForms(t);
  if (passing.length === 0) return { candidates, missed: `no INT8 form meets the fidelity floors in onnxruntime-node: ${candidates.map((c) => `${c.form}: ${c.reason ?? c.status}`).join('; ')}` };
  const facts: (FormFacts & { file: Uint8Array })[] = passing.map((c) => ({ form: c.form, bytes: c.bytes.length, margin: c.margin, file: c.bytes }));
  let timing: FormTiming | undefined;
  if (facts.length > 1) {
    t.progress.step(`timing ${facts.length} INT8 forms in onnxruntime-web, each four times (their spread is the noise)`);
    timing = timeForms(t.timing, facts);
  }
  for (const f of facts) Object.assign(candidates.find((c) => c.form === f.form)!, { bytes: f.bytes, ...(f.p50_ms !== undefined ? { p50_ms: f.p50_ms } : {}) });
  const best = passing.find((c) => c.form === decideForm(facts, timing?.margin_ms ?? 0))!;
  candidates.find((c) => c.form === best.form)!.status = 'chosen';
  return { choice: { form: best.form, exclude: best.exclude, ...(best.ranges ? { ranges: best.ranges } : {}) }, candidates, ...(timing ? { timing } : {}) };
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
      const model = buildInt8(t.model, form, exclude, r, WEIGHT_BITS);
      if (!quantizes(model)) {
        candidates.push({ form, status: 'not applicable', fidelity: s.value, excluded: exclude, reason: `quantizes nothing: all ${nodes.length} quantizable node(s) kept fp32` });
        continue;
      }
      passing.push({ form, exclude, ...(r ? { ranges: r } : {}), bytes: encodeModel(model), margin: s.margin });
      candidates.push({ form, status: 'passed', fidelity: s.value, excluded: exclude });
    } catch (err) {
      candidates.push({ form, status: 'failed', excluded: [], reason: oneLine(err) });
    }
  }
  return { candidates, passing };
}
