/**
 * The compression pipeline behind `npm run compress`: read and check the FP32 model, set up the evaluation
 * and calibration sets, choose the INT8 form (int8-choice.ts), build FP16 and INT8 from the recorded
 * recipe, measure every variant in the Worker's runtime and write `models/<name>/` (model-folder.ts).
 */
import { relative } from 'node:path';
import { ModelManifest } from '../../src/registry/manifest.js';
import { sha256 } from '../lib/sha256.js';
import { encodeFeeds, measureVariants } from '../measure/variants.js';
import { calibrate } from './calibrate.js';
import { runNode } from './evaluate.js';
import { evaluationSets, judgeOf, type EvalSetOptions } from './eval-set.js';
import { sliceFeeds } from './feeds.js';
import { chooseInt8, type CandidateReport } from './int8-choice.js';
import { writeModelFolder } from './model-folder.js';
import { silent, type Progress } from './progress.js';
import { latencyShapes } from './shapes.js';
import { CompressInputError, readSource } from './source.js';
import { buildVariants, int8Method, passInput, type Int8Form, type Recipe } from './variants.js';
import { dropBelowFloor, type DroppedVariant } from './web-gate.js';

export interface CompressOptions extends EvalSetOptions {
  input: string;
  name: string;
  modelsDir: string;
  /** `[output:]metric=value` floors (gate.ts); absent: each output kind's default. */
  fidelityFloor?: string | string[];
  exclude: string[];
  autoExclude: boolean;
  maxExclude: number;
  forms: Int8Form[];
  batches: number[];
  /** Latency over input sizes instead of batches: [height, width] of the last two axes, batch 1. */
  sizes?: [number, number][];
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
export async function compress(o: CompressOptions): Promise<{ manifest: ModelManifest; candidates: CandidateReport[]; dropped: DroppedVariant[] }> {
  const p = o.progress ?? silent;
  if (!/^[A-Za-z0-9_.-]+$/.test(o.name)) throw new CompressInputError(`--name '${o.name}': use letters, digits, '_', '.', '-'`);
  p.step('reading model');
  const src = readSource(o.input);
  const inputs = src.inputs;
  const unknownExclude = o.exclude.filter((n) => !src.model.graph.node.some((x) => x.name === n));
  if (unknownExclude.length) throw new CompressInputError(`--exclude: no node named ${unknownExclude.map((n) => `'${n}'`).join(', ')} (node names are as in the model, unnamed nodes are <op>_<index>)`);

  // Evaluation and calibration sets (eval-set.ts); random ones make the fidelity unverified.
  const sets = evaluationSets(o, inputs, src.outputs);
  const { evalFeeds, calibFeeds, evalSet, labels } = sets;
  if (sets.kind === 'random') p.log(`WARNING: no --eval or --calibration samples: fidelity is measured on seeded random inputs, which overstate it; the manifest marks it unverified (eval_set_kind: random) and the router avoids such variants (policy unverified_fidelity)`);
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
  const reference = await runNode(src.bytes, evalFeeds, sets.plan);
  const judge = judgeOf(src.model, inputs, src.outputs, o, reference, sets.plan);
  p.log(`outputs: ${Object.entries(judge.floors).map(([n, f]) => `'${n}' ${judge.kinds[n]} (${f.map((x) => `${x.metric} ${['rel', 'drift'].includes(x.metric) ? '<=' : '>='} ${x.value}`).join(', ')})`).join('; ')}`);
  const best = await chooseInt8({
    model: src.model,
    forms: o.forms,
    reference,
    evalFeeds,
    calibFeeds,
    judge,
    exclude: o.exclude,
    autoExclude: o.autoExclude,
    maxExclude: o.maxExclude,
    timing: { inputs, ends: [latency.shapes[0]!, latency.shapes[latency.shapes.length - 1]!], runs: o.runs, budgetMs: o.budgetMs, intHigh: o.intHigh },
    progress: p,
  });
  const { candidates } = best;

  const recipe: Recipe = { ...(upgrade ? { upgrade } : {}), fp16: { keep_fp32: [] }, int8: { form: best.form, exclude: best.exclude, ...(best.ranges ? { ranges: best.ranges } : {}) } };
  const built = buildVariants(src.model, { ...recipe, upgrade: undefined });
  const files: Record<string, Uint8Array | string> = { 'fp32.onnx': src.bytes, 'fp16.onnx': built.fp16, 'int8.onnx': built.int8 };
  if (best.ranges) files['calibration-ranges.json'] = JSON.stringify(best.ranges) + '\n';
  let dropped: DroppedVariant[] = [];
  const manifest = await writeModelFolder({ modelsDir: o.modelsDir, name: o.name, files, ignoreWeights: o.ignoreWeights }, (stage) => {
    p.step('measuring fp32, fp16, int8 in onnxruntime-web (latency, memory, fidelity)', 3);
    const variants = measureVariants({
      dir: stage,
      inputs,
      variants: [
        { name: 'fp32', method: 'reference fp32 (source model, unchanged)' },
        { name: 'fp16', method: `fp16 weights (${built.fp16Report.clamped} values clamped to ±65504); fp16 compute only where the CPU provider has fp16 kernels (${built.fp16Report.fp16Nodes} nodes), fp32 elsewhere behind casts (${built.fp16Report.fp32Nodes} nodes); fp32 io` },
        { name: 'int8', method: int8Method(best.form, best.exclude) },
      ],
      evalFeeds: encodeFeeds(evalFeeds),
      evalSet,
      evalSetKind: sets.kind,
      width: 1,
      ...(labels ? { labels } : {}),
      kinds: judge.kinds,
      evalPlan: sets.plan,
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
    // The decision in the serving runtime: a variant below a floor there is not written (web-gate.ts).
    dropped = dropBelowFloor(variants, judge.floors, stage);
    for (const d of dropped) p.log(`DROPPED ${d.variant}: below its floor in ${d.runtime}: ${d.failures.join('; ')}`);
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
        recipe: { ...(upgrade ? { upgrade } : {}), fp16: recipe.fp16, int8: { form: best.form, exclude: best.exclude, ...(best.ranges ? { ranges_file: 'calibration-ranges.json' } : {}) } },
        fidelity_floors: Object.fromEntries(Object.entries(judge.floors).map(([n, f]) => [n, { kind: judge.kinds[n], floors: f.map((x) => `${x.metric}=${x.value}`) }])),
        ...(dropped.length ? { dropped_variants: dropped } : {}),
        int8_candidates: candidates,
        eval_set: evalSet,
        eval_set_kind: sets.kind,
        calibration: sets.calibration,
        ...o.extraProvenance,
        command: o.command,
      },
    });
  });
  return { manifest, candidates, dropped };
}
