/**
 * Which passing INT8 form is written, decided so the same inputs give the same form (and so the same bytes)
 * on every run. Latency is the reason forms differ, but its noise must not flip the recipe: the passing forms
 * are timed together, interleaved in an onnxruntime-web process, each form loaded twice, and the whole timing
 * is done twice, in two processes: the spread of a form's four timings (twin against twin, process against
 * process; one process alone underestimates it: a tiny model's forms moved 30% between runs) is the noise of
 * this machine at this moment. Forms within the margin (2x that noise, at least 5% of the fastest and at
 * least MIN_MARGIN_MS) of the fastest are tied on latency, and among tied ones the smaller file wins, then
 * the larger fidelity margin, then the preference order of `--int8-forms`: quantities that do not change from
 * run to run. The noise and margin are recorded in the manifest.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import type { InputDomain } from '../../measure/input-domain.js';
import { runInterleaved } from '../../measure/probe-client.js';
import type { Int8Form } from '../passes/recipe.js';

/** A passing form as the decision sees it: its file size, its fidelity margin (gate.ts) and its p50. */
export interface FormFacts {
  form: Int8Form;
  bytes: number;
  margin: number;
  p50_ms?: number;
}

/** What the timing measured, for the manifest's provenance. */
export interface FormTiming {
  /** Largest spread of one form's four timings (two copies in each of two processes; p50 summed over the timed points), ms. */
  noise_ms: number;
  /** Forms this close to the fastest are tied on latency: max(2 x noise, 5% of the fastest, MIN_MARGIN_MS), ms. */
  margin_ms: number;
  rule: string;
}

/**
 * Below this a latency gap decides nothing: the gateway's own work per request measured 0.44 ms CPU, 0.59 ms
 * wall (README, bench:overhead), so a form faster by less changes nothing a client sees, while on sub-ms
 * models such gaps came and went from run to run (0.07 vs 0.10 ms, either way round).
 */
export const MIN_MARGIN_MS = 0.5;

export const CHOICE_RULE = 'latency beyond the margin (2x the spread of each form timed twice in each of two processes, at least 5% of the fastest and 0.5 ms), then smaller file, then larger fidelity margin, then --int8-forms order';

/** The form written: see the header. `forms` are in preference order. */
export function decideForm(forms: readonly FormFacts[], marginMs: number): Int8Form {
  const timed = forms.filter((f) => f.p50_ms !== undefined);
  const fastest = Math.min(...timed.map((f) => f.p50_ms!));
  const tied = timed.length === forms.length ? forms.filter((f) => f.p50_ms! - fastest <= marginMs) : [...forms];
  const order = (f: FormFacts) => forms.indexOf(f);
  return [...tied].sort((a, b) => a.bytes - b.bytes || b.margin - a.margin || order(a) - order(b))[0]!.form;
}

export interface TimingPlan {
  inputs: TensorSpec[];
  /** The smallest and largest latency shapes. */
  ends: { items: number; dims: Record<string, number[]> }[];
  runs: number;
  budgetMs: number;
  intHigh: number;
  domains?: Record<string, InputDomain> | undefined;
  floatRange?: [number, number] | undefined;
}

/** Times every passing form four times (twice in each of two processes); fills each form's `p50_ms` and returns the noise. */
export function timeForms(plan: TimingPlan, forms: (FormFacts & { file: Uint8Array })[]): FormTiming {
  const work = mkdtempSync(join(tmpdir(), 'compress-forms-'));
  try {
    const variants = forms.flatMap((f) => {
      const model = join(work, `${f.form}.onnx`);
      writeFileSync(model, f.file);
      return [{ name: f.form, model }, { name: `${f.form}#twin`, model }];
    });
    const request = {
      variants, inputs: plan.inputs, batches: plan.ends.map((e) => e.items), shapes: plan.ends, warmup: 2,
      runs: Math.max(6, Math.min(plan.runs, 12)), rounds: 3, budgetMsPerPoint: Math.min(plan.budgetMs, 1500), seq: 1, intHigh: plan.intHigh,
      ...(plan.domains ? { domains: plan.domains } : {}), ...(plan.floatRange ? { floatRange: plan.floatRange } : {}),
    };
    const results = [runInterleaved(request), runInterleaved(request)];
    const totals = (form: string) => results.flatMap((r) => [form, `${form}#twin`].map((name) => r[name]!.reduce((sum, p) => sum + p.p50_ms, 0)));
    const round = (x: number) => Math.round(x * 1000) / 1000;
    let noise = 0;
    for (const f of forms) {
      const t = totals(f.form);
      f.p50_ms = round(t.reduce((a, b) => a + b, 0) / t.length);
      noise = Math.max(noise, Math.max(...t) - Math.min(...t));
    }
    const fastest = Math.min(...forms.map((f) => f.p50_ms!));
    return { noise_ms: round(noise), margin_ms: round(Math.max(2 * noise, 0.05 * fastest, MIN_MARGIN_MS)), rule: CHOICE_RULE };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
