/**
 * The compression pipeline behind `npm run compress`: read and check the FP32 model, set up the evaluation
 * and calibration sets, choose the INT8 form (choose/int8.ts), build FP16 and INT8 from the recorded
 * recipe, measure every variant in the Worker's runtime and write `models/<name>/` (model-folder.ts).
 * `only` lists exactly the variants to make (`--only fp32` profiles any model onnxruntime-web runs); each is
 * judged on its own and the ones that pass are written (choose/written.ts); a failing step is named in the
 * error (failure.ts).
 */
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ModelManifest, type Precision, type VariantName } from '../../src/registry/manifest.js';
import { allNodes } from '../onnx/scopes.js';
import { sha256 } from '../lib/sha256.js';
import { encodeFeeds, measureVariants } from '../measure/variants.js';
import { calibrate } from './choose/calibrate.js';
import { runNode } from './choose/evaluate.js';
import { evaluationSets, judgeOf, type EvalSetOptions } from './data/eval-set.js';
import { describeJudge, judgeRecord, withDownstream, type DownstreamOptions } from './data/downstream.js';
import { sliceFeeds } from './data/feeds.js';
import { fp16Method } from './passes/fp16.js';
import { CompressInputError, during, oneLine } from './failure.js';
import { chooseInt8, type CandidateReport, type Int8Outcome } from './choose/int8.js';
import { chooseWeightOnly } from './choose/int8w.js';
import { writeModelFolder } from './model-folder.js';
import { silent, type Progress } from './progress.js';
import { fixedBatch, latencyShapes } from './data/shapes.js';
import { readSource } from './source/read.js';
import { buildSome, WEIGHT_BITS, INT8W_LOAD, int8Method, int8wMethod, passInput, weightOnlyRecipe, type Int8Form, type PartialRecipe, type Recipe } from './passes/recipe.js';
import { checkLoadsInWeb } from './source/web-check.js';
import { dropBelowFloor, gateWeightOnly, type DroppedVariant, type WeightOnlyVerdict } from './choose/web-gate.js';
import { checkSomethingWritten, unquantized, variantsToWrite } from './choose/written.js';
import type { StructuredRecipe } from '../prune/variants.js';
import { checkStructuredInput, makeStructuredVariants } from '../prune/compress-step.js';

export interface CompressOptions extends EvalSetOptions, DownstreamOptions {
  input: string;
  name: string;
  modelsDir: string;
  /** `[output:]metric=value` floors (tools/measure/gate.ts), added to each output kind's defaults. */
  fidelityFloor?: string | string[];
  /** `output=threshold`: outputs users compare with a threshold, judged by the decisions that flip. */
  decision?: string | string[];
  exclude: string[];
  autoExclude: boolean;
  maxExclude: number;
  forms: Int8Form[];
  /** Also make the weight-only int8 variant (int8w; default true). */
  int8w?: boolean;
  /** Sensitivity search for int8w (default: autoExclude); it costs one fp32-compute run per weight-bearing node. */
  int8wAutoExclude?: boolean;
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
  /** Class names per output (`labels[i]` names class index i of a row), for the classification extension. */
  outputLabels?: Record<string, string[]>;
  /** Merged into the manifest's provenance (training record of a trained model). */
  extraProvenance?: Record<string, unknown>;
  command: string;
  progress?: Progress;
  /** Exactly the variants to make (fp32 must be one: it is the reference); all four (int8w unless `int8w` is false) when absent. */
  only?: Precision[];
  /** Pruned and distilled variants (tools/prune/variants.ts), trained on data other than the evaluation set. */
  structured?: StructuredRecipe;
  /** How far (points of labelled accuracy) a pruned or distilled variant may fall below fp32 (default 1). */
  maxAccuracyDrop?: number;
}

/** Runs the whole pipeline; returns the manifest written. Throws CompressInputError for bad inputs. */
export async function compress(o: CompressOptions): Promise<{ manifest: ModelManifest; candidates: CandidateReport[]; dropped: DroppedVariant[] }> {
  const p = o.progress ?? silent;
  if (!/^[A-Za-z0-9_.-]+$/.test(o.name)) throw new CompressInputError(`--name '${o.name}': use letters, digits, '_', '.', '-'`);
  const only = variantsToWrite(o);
  const passes = only.some((v) => v !== 'fp32');
  p.step('reading model');
  const src = readSource(o.input, { passes });
  const inputs = src.inputs;
  if (o.structured) checkStructuredInput(src.bytes, o);
  const unknownExclude = o.exclude.filter((n) => !src.model.graph.node.some((x) => x.name === n));
  if (unknownExclude.length) throw new CompressInputError(`--exclude: no node named ${unknownExclude.map((n) => `'${n}'`).join(', ')} (node names are as in the model, unnamed nodes are <op>_<index>)`);

  // Evaluation and calibration sets (data/eval-set.ts); random ones make the fidelity unverified.
  const sets = evaluationSets(o, inputs, src.outputs, src.model.graph);
  const { evalFeeds, calibFeeds, evalSet, labels } = sets;
  if (sets.plan.state.length || o.state?.length || o.stateless) p.log(sets.stateNote);
  if (sets.kind === 'random') p.log(`WARNING: no --eval or --calibration samples: fidelity is measured on seeded random inputs, which overstate it; the manifest marks it unverified (eval_set_kind: random) and the router avoids such variants (policy unverified_fidelity)`);
  const latency = latencyShapes(inputs, o);
  const values = { ...(Object.keys(sets.domains).length ? { domains: sets.domains } : {}), floatRange: o.inputRange };
  // After the cheap checks of the user's files, before any run: an op onnxruntime-web lacks is bad input.
  p.step('loading the model in onnxruntime-web');
  await during('loading the model in onnxruntime-web', () => checkLoadsInWeb(src.path, src.original));

  // Graphs below opset 13 are upgraded once (DynamicQuantizeLinear needs 11, per-channel DequantizeLinear 13);
  // the Softmax ranks that check needs come from one short run.
  let upgrade: Recipe['upgrade'];
  if (passes && src.opset < 13) {
    const softmax = new Set(src.model.graph.node.filter((n) => n.op_type === 'Softmax').map((n) => n.input[0]!));
    const { minmax } = await during('ranks for the opset upgrade (onnxruntime-node)', () => calibrate(src.model, sliceFeeds(calibFeeds, 0, fixedBatch(inputs) ?? 1)));
    upgrade = { ranks: Object.fromEntries(Object.entries(minmax.ranks).filter(([t]) => softmax.has(t)).sort()) };
    try {
      src.model = passInput(src.model, { upgrade });
    } catch (err) {
      throw new CompressInputError(`${o.input}: opset ${src.opset} graph cannot be upgraded to opset 13 for quantization: ${(err as Error).message}`);
    }
  }

  // The source model, unchanged, on inputs made to its declared shapes: if it refuses them, the model (or
  // the user's data, or the values and state pairs chosen for its inputs, named in the error) is what is wrong.
  p.step('reference outputs (onnxruntime-node)');
  const reference = await runNode(src.bytes, evalFeeds, sets.plan).catch((err: unknown) => {
    const hints = [
      ...(sets.kind === 'random' && o.samples > 1 && fixedBatch(inputs) === undefined ? ['if the model only runs at batch 1 though its inputs say otherwise, pass --samples 1 --batches 1'] : []),
      ...(inputs.some((i) => i.datatype === 'INT64' && !sets.domains[i.name] && !sets.plan.state.some((s) => s.input === i.name)) ? ['an integer input that takes only some values needs them: --input-values name=v1,v2 (or --input-range name=lo,hi)'] : []),
      ...(sets.plan.state.length ? ['state pairs are named with --state in=out, or turned off with --stateless'] : []),
    ];
    throw new CompressInputError(`onnxruntime-node cannot run ${o.input} on the evaluation set: ${oneLine(err)}${hints.map((h) => `; ${h}`).join('')}`);
  });
  const judge = await withDownstream(judgeOf(src.model, inputs, src.outputs, o, reference, sets.plan), o, src.outputs, reference);
  p.log(`outputs: ${describeJudge(judge)}`);
  const int8: Int8Outcome | undefined = !only.includes('int8') ? undefined : await during('choosing the INT8 form', async () => chooseInt8({
    model: src.model,
    forms: o.forms,
    reference,
    evalFeeds,
    calibFeeds,
    judge,
    exclude: o.exclude,
    autoExclude: o.autoExclude,
    maxExclude: o.maxExclude,
    timing: { inputs, ends: [...new Set([latency.shapes[0]!, latency.shapes[latency.shapes.length - 1]!])], runs: o.runs, budgetMs: o.budgetMs, intHigh: o.intHigh, ...values },
    progress: p,
  }));
  const best = int8?.choice;
  const candidates = int8?.candidates ?? [];
  const dropped: DroppedVariant[] = int8?.missed ? [{ variant: 'int8', runtime: 'onnxruntime-node', failures: [int8.missed] }] : [];

  const int8w = !only.includes('int8w') ? undefined : (await during('choosing the int8w exclusions', () => chooseWeightOnly({ model: src.model, reference, evalFeeds, judge, recipe: weightOnlyRecipe(o), autoExclude: o.int8wAutoExclude ?? o.autoExclude, maxExclude: o.maxExclude, progress: p }))).recipe;
  const recipe: PartialRecipe = { ...(upgrade ? { upgrade } : {}), ...(int8w ? { int8w } : {}), ...(only.includes('fp16') ? { fp16: { keep_fp32: [] } } : {}), ...(best ? { int8: { form: best.form, exclude: best.exclude, ...(best.ranges ? { ranges: best.ranges } : {}), weight_bits: WEIGHT_BITS } } : {}) };
  const built = await during('building the variants', () => buildSome(src.model, { ...recipe, upgrade: undefined }));
  // A file that quantizes nothing is fp32 under another name: never written as int8 or int8w.
  const empty = unquantized({ ...(built.int8 ? { int8: built.int8 } : {}), ...(built.int8w ? { int8w: built.int8w.bytes } : {}) });
  dropped.push(...empty);
  const gone = (v: VariantName) => empty.some((d) => d.variant === v);
  const structured = o.structured ? await makeStructuredVariants(src.bytes, o) : undefined;
  const files: Record<string, Uint8Array | string> = { 'fp32.onnx': src.bytes, ...(built.fp16 ? { 'fp16.onnx': built.fp16 } : {}), ...(built.int8 && !gone('int8') ? { 'int8.onnx': built.int8 } : {}), ...(built.int8w && !gone('int8w') ? { 'int8w.onnx': built.int8w.bytes } : {}) };
  if (best?.ranges && !gone('int8')) files['calibration-ranges.json'] = JSON.stringify(best.ranges) + '\n';
  for (const v of structured?.variants ?? []) files[`${v.name}.onnx`] = v.bytes;
  const toMeasure = only.filter((v) => v === 'fp32' || files[`${v}.onnx`] !== undefined);
  const subgraphNodes = allNodes(src.model.graph).length - src.model.graph.node.length;
  const methods: Record<Precision, () => string> = {
    fp32: () => 'reference fp32 (source model, unchanged)',
    fp16: () => fp16Method(built.fp16Report!),
    int8: () => int8Method(best!.form, best!.exclude, subgraphNodes),
    int8w: () => int8wMethod(built.int8w!.report, int8w!),
  };
  let int8wVerdict: WeightOnlyVerdict | undefined;
  const manifest = await during(`writing ${o.modelsDir}/${o.name}/`, () => writeModelFolder({ modelsDir: o.modelsDir, name: o.name, files, ignoreWeights: o.ignoreWeights }, async (stage) => {
    const measured = [...toMeasure, ...(structured?.variants ?? []).map((v) => v.name)];
    p.step(`measuring ${measured.join(', ')} in onnxruntime-web (latency, memory, fidelity)`, measured.length);
    const variants = await during('measuring the variants in onnxruntime-web', () => measureVariants({
      dir: stage,
      inputs,
      variants: [
        ...toMeasure.map((name) => ({ name, method: methods[name](), ...(name === 'int8w' ? { load: INT8W_LOAD } : {}) })),
        ...(structured?.variants ?? []).map((v) => ({ name: v.name, method: v.method, made: v.made, ...(v.made.precision === 'int8w' ? { load: INT8W_LOAD } : {}) })),
      ],
      evalFeeds: encodeFeeds(evalFeeds),
      evalSet,
      evalSetKind: sets.kind,
      width: 1,
      ...(labels ? { labels } : {}),
      kinds: judge.kinds,
      reading: judge,
      ...(judge.downstream ? { downstream: judge.downstream } : {}),
      evalPlan: sets.plan,
      batches: latency.shapes.map((s) => s.items),
      shapes: latency.shapes,
      warmup: o.warmup,
      runs: o.runs,
      budgetMsPerPoint: o.budgetMs,
      seq: 1,
      intHigh: o.intHigh,
      ...values,
      runtimeNote: latency.note,
      item: latency.item,
      log: (line) => { p.tick(line.split(':')[0]); p.log(line); },
    }));
    // The decision in the serving runtime: a variant below a floor there is not written (choose/web-gate.ts).
    if (variants.int8w) int8wVerdict = gateWeightOnly(variants.int8w.fidelity, judge.floors);
    const below = dropBelowFloor(variants, judge.floors, stage, { structured: new Set(structured?.variants.map((v) => v.name)), maxAccuracyDrop: o.maxAccuracyDrop ?? 1 });
    for (const d of below) p.log(`DROPPED ${d.variant}: below its floor in ${d.runtime}: ${d.failures.join('; ')}`);
    dropped.push(...below);
    checkSomethingWritten(only, Object.keys(variants) as VariantName[], dropped);
    const kept = (v: VariantName) => variants[v] !== undefined;
    if (!kept('int8')) rmSync(join(stage, 'calibration-ranges.json'), { force: true });
    return ModelManifest.parse({
      name: o.name,
      version: '1',
      platform: 'onnx',
      description: o.description ?? `${o.name}: compressed from ${o.input}`,
      synthetic: o.synthetic ?? false,
      inputs,
      outputs: src.outputs.map((x) => (o.outputLabels?.[x.name] ? { ...x, labels: o.outputLabels[x.name] } : x)),
      batch_axis: inputs.every((i) => i.shape[0] === -1) && src.outputs.every((x) => x.shape[0] === -1),
      ...(labels ? { test_accuracy: variants.fp32!.fidelity.accuracy } : {}),
      variants,
      provenance: {
        generator: 'compress',
        source: o.source ?? { file: relative(process.cwd(), o.input) },
        source_sha256: sha256(src.bytes),
        opset: src.opset,
        normalized: { constants_lifted: src.lifted, batchnorm_folded: src.folded },
        recipe: { ...(upgrade ? { upgrade } : {}), ...(recipe.fp16 && kept('fp16') ? { fp16: recipe.fp16 } : {}), ...(best && kept('int8') ? { int8: { form: best.form, exclude: best.exclude, ...(best.ranges ? { ranges_file: 'calibration-ranges.json' } : {}), weight_bits: WEIGHT_BITS } } : {}), ...(int8w && kept('int8w') ? { int8w } : {}), ...(structured?.variants.some((v) => kept(v.name)) ? { structured: o.structured } : {}) },
        ...(structured ? { structured: structured.report } : {}),
        ...(int8wVerdict ? { int8w: int8wVerdict } : {}),
        ...(o.only ? { variants_written: only } : {}),
        ...(built.fp16Report ? { fp16_kept_fp32: built.fp16Report.kept } : {}),
        ...judgeRecord(judge),
        ...(dropped.length ? { dropped_variants: dropped } : {}),
        ...(int8 ? { int8_candidates: candidates } : {}),
        ...(int8?.timing ? { int8_choice: int8.timing } : {}),
        ...(sets.plan.state.length ? { state_pairs: sets.plan.state } : {}),
        ...(Object.keys(sets.domains).length ? { input_domains: sets.domains } : {}),
        eval_set: evalSet,
        eval_set_kind: sets.kind,
        calibration: sets.calibration,
        ...o.extraProvenance,
        command: o.command,
      },
    });
  }));
  return { manifest, candidates, dropped };
}
