/**
 * The compression pipeline behind `npm run compress`: read and check the FP32 model, set up the evaluation
 * and calibration sets, choose the INT8 form (int8-choice.ts), build FP16 and INT8 from the recorded
 * recipe, measure every variant in the Worker's runtime and write `models/<name>/` (model-folder.ts).
 */
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ModelManifest } from '../../src/registry/manifest.js';
import { sha256 } from '../lib/sha256.js';
import { encodeFeeds, measureVariants } from '../measure/variants.js';
import { calibrate } from './calibrate.js';
import { parseFloor, runNode, type FidelityFloor } from './evaluate.js';
import { randomFeeds, readFeeds, readLabels, sampleCount, sliceFeeds, type Feeds } from './feeds.js';
import { chooseInt8, type CandidateReport } from './int8-choice.js';
import { chooseWeightOnly } from './int8w-choice.js';
import { writeModelFolder } from './model-folder.js';
import { silent, type Progress } from './progress.js';
import { latencyShapes, resolveShapes } from './shapes.js';
import { CompressInputError, readSource } from './source.js';
import { buildVariants, gateWeightOnly, INT8W_LOAD, int8Method, int8wMethod, passInput, weightOnlyRecipe, type Int8Form, type Recipe, type WeightOnlyVerdict } from './variants.js';

export interface CompressOptions {
  input: string;
  name: string;
  modelsDir: string;
  calibration?: string;
  eval?: string;
  labels?: string;
  evalSetName?: string;
  fidelityFloor?: string;
  exclude: string[];
  autoExclude: boolean;
  maxExclude: number;
  forms: Int8Form[];
  /** Also make the weight-only int8 variant (int8w; default true). */
  int8w?: boolean;
  /** Sensitivity search for int8w (default: autoExclude); it costs one fp32-compute run per weight-bearing node. */
  int8wAutoExclude?: boolean;
  /** Shape templates for inputs with dynamic dims other than the batch (axis 0 is replaced). */
  shapes: Record<string, number[]>;
  batches: number[];
  /** Latency over input sizes instead of batches: [height, width] of the last two axes, batch 1. */
  sizes?: [number, number][];
  samples: number;
  seed: number;
  task: 'auto' | 'classifier' | 'embedding';
  intHigh: number;
  inputRange: [number, number];
  runs: number;
  warmup: number;
  budgetMs: number;
  description?: string;
  synthetic?: boolean;
  /** Provenance of the source (a file in node_modules, a generator config); the source path if absent. */
  source?: Record<string, unknown>;
  /** Write a .gitignore for the .onnx files (setup regenerates them). */
  ignoreWeights: boolean;
  /** Merged into the manifest's provenance (training record of a trained model). */
  extraProvenance?: Record<string, unknown>;
  command: string;
  progress?: Progress;
}

/** Runs the whole pipeline; returns the manifest written. Throws CompressInputError for bad inputs. */
export async function compress(o: CompressOptions): Promise<{ manifest: ModelManifest; candidates: CandidateReport[] }> {
  const p = o.progress ?? silent;
  if (!/^[A-Za-z0-9_.-]+$/.test(o.name)) throw new CompressInputError(`--name '${o.name}': use letters, digits, '_', '.', '-'`);
  p.step('reading model');
  const src = readSource(o.input);
  const inputs = src.inputs;
  const out0 = src.outputs[0]!;
  const lastDim = out0.shape[out0.shape.length - 1] ?? -1;
  const classifier = o.task === 'classifier' || (o.task === 'auto' && lastDim >= 2);
  const width = lastDim > 0 ? lastDim : 1;
  const floor: FidelityFloor = o.fidelityFloor ? parseFloor(o.fidelityFloor) : { metric: classifier ? 'top1' : 'cosine', value: 0.99 };
  if (floor.metric === 'top1' && !classifier) throw new CompressInputError(`--fidelity-floor top1 needs class scores; this model's output '${out0.name}' is not treated as a classifier (use cosine=, or --task classifier)`);
  const unknownExclude = o.exclude.filter((n) => !src.model.graph.node.some((x) => x.name === n));
  if (unknownExclude.length) throw new CompressInputError(`--exclude: no node named ${unknownExclude.map((n) => `'${n}'`).join(', ')} (node names are as in the model, unnamed nodes are <op>_<index>)`);

  // Evaluation and calibration sets.
  const calibration = o.calibration ? readFeeds(o.calibration, inputs, 'calibration') : undefined;
  const evalFile = o.eval ? readFeeds(o.eval, inputs, 'evaluation') : undefined;
  const random = () => randomFeeds(inputs, resolveShapes(inputs, o.shapes, o.samples), o.seed, { lo: o.inputRange[0], hi: o.inputRange[1], intHigh: o.intHigh });
  const evalFeeds: Feeds = evalFile ?? calibration ?? random();
  const evalSet = o.evalSetName ?? (evalFile ? `evaluation file ${o.eval}` : calibration ? `calibration set ${o.calibration}` : `seeded random inputs (seed ${o.seed}, uniform [${o.inputRange.join(', ')})${inputs.some((i) => i.datatype === 'INT64') ? `, ids < ${o.intHigh}` : ''})`);
  const evalCount = sampleCount(evalFeeds);
  const labels = o.labels ? readLabels(o.labels, evalCount) : undefined;
  const calibFeeds = calibration ?? evalFeeds;
  const latency = latencyShapes(inputs, o);

  // Graphs below opset 13 are upgraded once (DynamicQuantizeLinear needs 11, per-channel DequantizeLinear 13);
  // the Softmax ranks that check needs come from one short run.
  let upgrade: Recipe['upgrade'];
  if (src.opset < 13) {
    const softmax = new Set(src.model.graph.node.filter((n) => n.op_type === 'Softmax').map((n) => n.input[0]!));
    const { minmax } = await calibrate(src.model, sliceFeeds(calibFeeds, 0, 1));
    upgrade = { ranks: Object.fromEntries(Object.entries(minmax.ranks).filter(([t]) => softmax.has(t)).sort()) };
    try {
      src.model = passInput(src.model, { upgrade });
    } catch (err) {
      throw new CompressInputError(`${o.input}: opset ${src.opset} graph cannot be upgraded to opset 13 for quantization: ${(err as Error).message}`);
    }
  }

  p.step('reference outputs (onnxruntime-node)');
  const reference = await runNode(src.bytes, evalFeeds);
  const best = await chooseInt8({
    model: src.model,
    forms: o.forms,
    reference,
    evalFeeds,
    calibFeeds,
    floor,
    width,
    classifier,
    exclude: o.exclude,
    autoExclude: o.autoExclude,
    maxExclude: o.maxExclude,
    timing: { inputs, ends: [latency.shapes[0]!, latency.shapes[latency.shapes.length - 1]!], runs: o.runs, budgetMs: o.budgetMs, intHigh: o.intHigh },
    progress: p,
  });
  const { candidates } = best;

  const int8w = o.int8w === false ? undefined : (await chooseWeightOnly({ model: src.model, reference, evalFeeds, floor, width, classifier, recipe: weightOnlyRecipe(o), autoExclude: o.int8wAutoExclude ?? o.autoExclude, maxExclude: o.maxExclude, progress: p })).recipe;
  const recipe: Recipe = { ...(upgrade ? { upgrade } : {}), fp16: { keep_fp32: [] }, int8: { form: best.form, exclude: best.exclude, ...(best.ranges ? { ranges: best.ranges } : {}) }, ...(int8w ? { int8w } : {}) };
  const built = buildVariants(src.model, { ...recipe, upgrade: undefined });
  const files: Record<string, Uint8Array | string> = { 'fp32.onnx': src.bytes, 'fp16.onnx': built.fp16, 'int8.onnx': built.int8, ...(built.int8w ? { 'int8w.onnx': built.int8w.bytes } : {}) };
  let int8wVerdict: WeightOnlyVerdict | undefined;
  if (best.ranges) files['calibration-ranges.json'] = JSON.stringify(best.ranges) + '\n';
  const manifest = await writeModelFolder({ modelsDir: o.modelsDir, name: o.name, files, ignoreWeights: o.ignoreWeights }, (stage) => {
    p.step(`measuring ${Object.keys(files).filter((f) => f.endsWith('.onnx')).map((f) => f.slice(0, -5)).join(', ')} in onnxruntime-web (latency, memory, fidelity)`, built.int8w ? 4 : 3);
    const variants = measureVariants({
      dir: stage,
      inputs,
      variants: [
        { name: 'fp32', method: 'reference fp32 (source model, unchanged)' },
        { name: 'fp16', method: `fp16 weights (${built.fp16Report.clamped} values clamped to ±65504); fp16 compute only where the CPU provider has fp16 kernels (${built.fp16Report.fp16Nodes} nodes), fp32 elsewhere behind casts (${built.fp16Report.fp32Nodes} nodes); fp32 io` },
        { name: 'int8', method: int8Method(best.form, best.exclude) },
        ...(built.int8w && int8w ? [{ name: 'int8w' as const, method: int8wMethod(built.int8w.report, int8w), load: INT8W_LOAD }] : []),
      ],
      evalFeeds: encodeFeeds(evalFeeds),
      evalSet,
      width,
      ...(labels ? { labels } : {}),
      classifier,
      batches: latency.shapes.map((s) => s.items),
      shapes: latency.shapes,
      warmup: o.warmup,
      runs: o.runs,
      budgetMsPerPoint: o.budgetMs,
      seq: 1,
      intHigh: o.intHigh,
      runtimeNote: latency.note,
      item: latency.item,
      log: (line) => { p.tick(line.split(':')[0]); p.log(line); },
    });
    // int8w is gated on its fidelity in onnxruntime-web, the runtime that serves it: below the floor it is not written.
    if (variants.int8w) {
      int8wVerdict = gateWeightOnly(variants.int8w.fidelity, floor);
      if (int8wVerdict.status !== 'served') {
        delete variants.int8w;
        rmSync(join(stage, 'int8w.onnx'));
      }
    }
    let testAccuracy: number | undefined;
    if (labels) testAccuracy = variants.fp32!.fidelity.accuracy;
    return ModelManifest.parse({
      name: o.name,
      version: '1',
      platform: 'onnx',
      description: o.description ?? `${o.name}: compressed from ${o.input}`,
      synthetic: o.synthetic ?? false,
      inputs,
      outputs: src.outputs,
      batch_axis: inputs.every((i) => i.shape[0] === -1) && src.outputs.every((x) => x.shape[0] === -1),
      ...(testAccuracy !== undefined ? { test_accuracy: testAccuracy } : {}),
      variants,
      provenance: {
        generator: 'compress',
        source: o.source ?? { file: relative(process.cwd(), o.input) },
        source_sha256: sha256(src.bytes),
        opset: src.opset,
        normalized: { constants_lifted: src.lifted, batchnorm_folded: src.folded },
        recipe: { ...(upgrade ? { upgrade } : {}), fp16: recipe.fp16, int8: { form: best.form, exclude: best.exclude, ...(best.ranges ? { ranges_file: 'calibration-ranges.json' } : {}) }, ...(int8w && variants.int8w ? { int8w } : {}) },
        ...(int8wVerdict ? { int8w: int8wVerdict } : {}),
        fidelity_floor: `${floor.metric}=${floor.value}`,
        int8_candidates: candidates,
        eval_set: evalSet,
        calibration: o.calibration ? `file ${o.calibration} (${sampleCount(calibFeeds)} samples)` : `the evaluation set (${sampleCount(calibFeeds)} samples)`,
        ...o.extraProvenance,
        command: o.command,
      },
    });
  });
  return { manifest, candidates };
}
