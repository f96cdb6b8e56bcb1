/**
 * The pruned and distilled variants of `npm run compress -- --prune r --distill spec --train data`: a pruned model
 * (whole channels and neurons removed, tools/prune) and a distilled student (tools/train/student.ts), each
 * trained from the fp32 model's logits on the training rows, and the pruned model quantized in turn by the
 * recipe passes (`pruned50-int8`, `pruned50-fp16`, `pruned50-int8w`). Everything here is a function of the fp32
 * bytes and the recorded recipe (seeded order and weights, onnxruntime-web and TensorFlow.js WASM on one
 * thread), so setup (`npm run models`) rebuilds the same bytes from the manifest, as it does for fp16 and int8.
 */
import type { Precision, VariantFacts, VariantName } from '../../src/registry/manifest.js';
import { decodeModel, encodeModel } from '../onnx/io.js';
import type { ModelProto } from '../onnx/types.js';
import { checkSupported, liftConstants, UnsupportedModel } from './graph.js';
import { loadRows, sampleDims, type LabelledRows } from './data.js';
import { distil, logitsName, profileShapes, pruneChannels, type PruneSummary } from './pipeline.js';
import { collect, type Batch } from './taps.js';
import { buildStudent } from '../train/student.js';
import { loadTf } from '../train/tf.js';
import { quietTraining, type TrainProgress } from '../train/progress.js';
import { buildSome, int8Method, type Int8Form, type PartialRecipe } from '../compress/passes/recipe.js';
import { INT8W_MIN_ELEMENTS } from '../compress/passes/int8-weight-only.js';
import { WEIGHT_BITS } from '../compress/passes/uniform-int8.js';

/** What to make and how to train it; recorded as `provenance.recipe.structured` and replayed by setup. */
export interface StructuredRecipe {
  /** Training rows: 'mnist' (the bundled digits' training split) or sample files, as tools/prune/data.ts reads them. */
  train: string;
  train_labels?: string;
  /** A sample's dims with the batch axis, for dynamic input dims. */
  shape?: number[];
  seed: number;
  epochs: number;
  batch: number;
  lr: number;
  /** Absent: constant; 'cosine': from `lr` down to 0 over all the steps (tools/train/finetune.ts). */
  lr_schedule?: 'cosine';
  /** Weight of the label cross-entropy; 0: pure distillation (the variant learns the fp32 model's answers). */
  alpha: number;
  temperature: number;
  /** `importance` absent: activation statistics (importance.ts); 'taylor': |activation x gradient| (taylor.ts). */
  prune?: { ratio: number; residual: 'joint' | 'skip'; importance_rows: number; importance?: 'activation' | 'taylor'; precisions: Exclude<Precision, 'fp32'>[]; int8_form: Int8Form };
  /** `alpha` here overrides the recipe's for the student (a small student gains from the labels). */
  distill?: { student: string; alpha?: number };
}

/** One made variant: its bytes and what the manifest says of it. */
export interface StructuredVariant {
  name: VariantName;
  bytes: Uint8Array;
  made: VariantFacts;
  method: string;
}

/** What training took, for the provenance. */
export interface StructuredReport {
  train_rows: string;
  macs_fp32: number;
  pruning?: { spaces: number; kept_whole: string[]; removed: number; macs: number; epoch_loss: number[]; seconds: number };
  student?: { macs: number; epoch_loss: number[]; seconds: number };
}

/** The pruned variant's name: `pruned` and the percentage removed (0.5 -> pruned50). */
export const prunedName = (ratio: number) => `pruned${Math.round(ratio * 100)}`;
/** The distilled student's name. */
export const DISTILLED = 'distilled';

const round = (x: number) => Math.round(x * 1000) / 1000;

/** The units a pruning removed, in words: conv channels where the graph convolves, else hidden neurons. */
function unitsOf(m: ModelProto, s: PruneSummary): string {
  const open = s.spaces.filter((x) => !x.frozen);
  const kind = m.graph.node.some((n) => n.op_type === 'Conv') ? 'channels (conv output channels with their BatchNorm and readers, MLP neurons)' : 'hidden neurons';
  return `${kind} of ${open.length} of ${s.spaces.length} channel sets`;
}

/** Training rows for the recipe, checked against the model's input. */
export function trainingRows(teacher: ModelProto, r: Pick<StructuredRecipe, 'train' | 'train_labels' | 'shape'>): LabelledRows {
  return loadRows(teacher, r.train, 'train', r.train_labels, r.shape);
}

/**
 * The checks that can refuse a structured recipe before anything is measured or trained: the graph's ops
 * and input (one line naming them) and the training rows (readable, shaped for the input, labels matching).
 */
export function checkStructured(fp32: Uint8Array, r: StructuredRecipe): void {
  const teacher = liftConstants(decodeModel(fp32));
  checkSupported(teacher);
  trainingRows(teacher, r);
}

/**
 * Makes the recipe's structured variants from the fp32 model's bytes. Throws UnsupportedModel (one line
 * naming the op or input) when the pruner or the trainer cannot handle the graph or the data.
 */
export async function makeStructured(fp32: Uint8Array, r: StructuredRecipe, o: { progress?: TrainProgress; log?: (line: string) => void; only?: readonly VariantName[] } = {}): Promise<{ variants: StructuredVariant[]; report: StructuredReport }> {
  const log = o.log ?? (() => {});
  const wanted = (name: VariantName) => !o.only || o.only.includes(name);
  const teacher = liftConstants(decodeModel(fp32));
  checkSupported(teacher);
  const train = trainingRows(teacher, r);
  const base = await profileShapes(teacher, train);
  const teacherLogits = await collect(teacher, logitsName(teacher), train);
  const tf = await loadTf('wasm');
  const settings = { epochs: r.epochs, batch: r.batch, lr: r.lr, ...(r.lr_schedule ? { lrSchedule: r.lr_schedule } : {}), seed: r.seed, alpha: r.alpha, temperature: r.temperature, ...(train.labels && r.alpha > 0 ? { labels: train.labels } : {}), progress: o.progress ?? quietTraining };
  const variants: StructuredVariant[] = [];
  const report: StructuredReport = { train_rows: train.description, macs_fp32: base.macs };
  if (r.prune) {
    const name = prunedName(r.prune.ratio);
    const quantized = r.prune.precisions.map((p) => `${name}-${p}`);
    if (wanted(name) || quantized.some(wanted)) {
      const rows = Math.min(r.prune.importance_rows, train.dims[0]!);
      const calib: Batch = { dims: [rows, ...train.dims.slice(1)], data: train.data.subarray(0, (rows * train.data.length) / train.dims[0]!) };
      const importance = r.prune.importance === 'taylor' ? { kind: 'taylor' as const, tf, ...(train.labels ? { labels: train.labels } : {}) } : { kind: 'activation' as const };
      const pruned = await pruneChannels(teacher, calib, r.prune.ratio, r.prune.residual, importance);
      const kept = pruned.summary.spaces.filter((s) => s.frozen).map((s) => `${s.channels} (${s.frozen})`);
      const removed = pruned.summary.spaces.reduce((n, s) => n + s.channels - s.kept, 0);
      log(`${name}: ${removed} units removed, ${pruned.summary.macs_before} -> ${pruned.summary.macs_after} multiply-adds; training ${r.epochs} epoch(s) on ${train.description}`);
      const t = await distil(tf, pruned.model, train, teacherLogits, { ...settings, label: name });
      const bytes = encodeModel(t.model);
      const made: VariantFacts = { precision: 'fp32', base: 'fp32', pruning: { ratio: r.prune.ratio, units: unitsOf(teacher, pruned.summary), removed }, macs_ratio: round(pruned.summary.macs_after / base.macs) };
      const how = `structured pruning: ${removed} ${unitsOf(teacher, pruned.summary)} removed (${Math.round(r.prune.ratio * 100)}% of each, least important by ${r.prune.importance === 'taylor' ? 'first-order Taylor |activation x gradient|' : 'activation x outgoing weight'} on ${rows} training rows), then fine-tuned ${r.epochs} epoch(s) by distillation from fp32 (T ${r.temperature}, alpha ${r.alpha}); ${round(base.macs / pruned.summary.macs_after)}x fewer multiply-adds`;
      variants.push({ name, bytes, made, method: `${how}; fp32 compute` });
      report.pruning = { spaces: pruned.summary.spaces.length, kept_whole: kept, removed, macs: pruned.summary.macs_after, epoch_loss: t.epochLoss.map(round), seconds: Math.round(t.seconds) };
      const recipe: PartialRecipe = {
        ...(r.prune.precisions.includes('fp16') ? { fp16: { keep_fp32: [] } } : {}),
        ...(r.prune.precisions.includes('int8') ? { int8: { form: r.prune.int8_form, exclude: [], weight_bits: WEIGHT_BITS } } : {}),
        ...(r.prune.precisions.includes('int8w') ? { int8w: { exclude: [], min_elements: INT8W_MIN_ELEMENTS } } : {}),
      };
      const built = buildSome(t.model, recipe);
      const q = (p: Exclude<Precision, 'fp32'>, b: Uint8Array | undefined, what: string) => {
        if (b) variants.push({ name: `${name}-${p}`, bytes: b, made: { ...made, precision: p, base: name }, method: `${what}, of ${name} (${how})` });
      };
      q('fp16', built.fp16, 'fp16 weights+compute, fp32 io');
      q('int8', built.int8, int8Method(r.prune.int8_form, []));
      q('int8w', built.int8w?.bytes, 'weight-only int8 (dequantized at load, fp32 compute)');
    }
  }
  if (r.distill && wanted(DISTILLED)) {
    const { name, sample } = sampleDims(teacher, r.shape);
    const last = teacher.graph.node.find((n) => n.output.includes(teacher.graph.output[0]!.name));
    const student = buildStudent(r.distill.student, { input: teacher.graph.input.find((i) => i.name === name)!, output: teacher.graph.output[0]!, sample, classes: teacherLogits.dims[1]!, softmax: last?.op_type === 'Softmax' }, r.seed);
    checkSupported(student);
    log(`${DISTILLED}: student ${r.distill.student}; training ${r.epochs} epoch(s) on ${train.description}`);
    const alpha = r.distill.alpha ?? r.alpha;
    const t = await distil(tf, student, train, teacherLogits, { ...settings, alpha, ...(train.labels && alpha > 0 ? { labels: train.labels } : {}), label: DISTILLED });
    const macs = (await profileShapes(t.model, train)).macs;
    variants.push({
      name: DISTILLED,
      bytes: encodeModel(t.model),
      made: { precision: 'fp32', base: 'fp32', student: r.distill.student, macs_ratio: round(macs / base.macs) },
      method: `distilled student ${r.distill.student} trained ${r.epochs} epoch(s) from seeded weights on fp32's logits (T ${r.temperature}, alpha ${alpha}); ${round(base.macs / macs)}x fewer multiply-adds; fp32 compute`,
    });
    report.student = { macs, epoch_loss: t.epochLoss.map(round), seconds: Math.round(t.seconds) };
  }
  if (!variants.length && !o.only) throw new UnsupportedModel('nothing to make: give --prune <ratio>, --distill <spec> or both');
  return { variants, report };
}
