/**
 * The compression pipeline behind `npm run compress`: read and check the FP32 model, set up the evaluation
 * and calibration sets, choose the INT8 form (int8-choice.ts), build FP16 and INT8 from the recorded
 * recipe, measure every variant in the Worker's runtime and write `models/<name>/` (model-folder.ts).
 * `only` limits the variants (`--only fp32` profiles any model onnxruntime-web runs, compressible or not);
 * a failing step is named in the error (failure.ts).
 */
import { relative } from 'node:path';
import { ModelManifest, type VariantName } from '../../src/registry/manifest.js';
import { allNodes } from '../onnx/scopes.js';
import { sha256 } from '../lib/sha256.js';
import { encodeFeeds, measureVariants } from '../measure/variants.js';
import { calibrate } from './calibrate.js';
import { parseFloor, runNode, type FidelityFloor } from './evaluate.js';
import { randomFeeds, readFeeds, readLabels, sampleCount, sliceFeeds, type Feeds } from './feeds.js';
import { fp16Method } from './fp16.js';
import { during, oneLine } from './failure.js';
import { chooseInt8, type CandidateReport, type Int8Choice } from './int8-choice.js';
import { writeModelFolder } from './model-folder.js';
import { silent, type Progress } from './progress.js';
import { fixedBatch, latencyShapes, resolveShapes } from './shapes.js';
import { CompressInputError, readSource } from './source.js';
import { buildSome, int8Method, passInput, type Int8Form, type PartialRecipe, type Recipe } from './variants.js';
import { checkLoadsInWeb } from './web-check.js';

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
  /** The variants to write (fp32 must be one: it is the reference); all three when absent. */
  only?: VariantName[];
}

/** Runs the whole pipeline; returns the manifest written. Throws CompressInputError for bad inputs. */
export async function compress(o: CompressOptions): Promise<{ manifest: ModelManifest; candidates: CandidateReport[] }> {
  const p = o.progress ?? silent;
  if (!/^[A-Za-z0-9_.-]+$/.test(o.name)) throw new CompressInputError(`--name '${o.name}': use letters, digits, '_', '.', '-'`);
  const only: VariantName[] = o.only ?? ['fp32', 'fp16', 'int8'];
  if (!only.includes('fp32')) throw new CompressInputError(`--only ${only.join(',')}: fp32 is the reference every other variant is measured against; include it (--only fp32,${only.join(',')})`);
  const passes = only.some((v) => v !== 'fp32');
  p.step('reading model');
  const src = readSource(o.input, { passes });
  const inputs = src.inputs;
  const batch = fixedBatch(inputs);
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
  if (batch !== undefined && batch !== o.samples && !evalFile && !calibration) p.log(`the model fixes its batch to ${batch}: evaluating on ${batch} random sample(s), not ${o.samples}`);
  const random = () => randomFeeds(inputs, resolveShapes(inputs, o.shapes, batch ?? o.samples), o.seed, { lo: o.inputRange[0], hi: o.inputRange[1], intHigh: o.intHigh });
  const evalFeeds: Feeds = evalFile ?? calibration ?? random();
  const evalSet = o.evalSetName ?? (evalFile ? `evaluation file ${o.eval}` : calibration ? `calibration set ${o.calibration}` : `seeded random inputs (seed ${o.seed}, uniform [${o.inputRange.join(', ')})${inputs.some((i) => i.datatype === 'INT64') ? `, ids < ${o.intHigh}` : ''})`);
  const evalCount = sampleCount(evalFeeds);
  const labels = o.labels ? readLabels(o.labels, evalCount) : undefined;
  const calibFeeds = calibration ?? evalFeeds;
  const latency = latencyShapes(inputs, o);
  // After the cheap checks of the user's files, before any run: an op onnxruntime-web lacks is bad input.
  p.step('loading the model in onnxruntime-web');
  await during('loading the model in onnxruntime-web', () => checkLoadsInWeb(src.path, src.original));

  // Graphs below opset 13 are upgraded once (DynamicQuantizeLinear needs 11, per-channel DequantizeLinear 13);
  // the Softmax ranks that check needs come from one short run.
  let upgrade: Recipe['upgrade'];
  if (passes && src.opset < 13) {
    const softmax = new Set(src.model.graph.node.filter((n) => n.op_type === 'Softmax').map((n) => n.input[0]!));
    const { minmax } = await during('ranks for the opset upgrade (onnxruntime-node)', () => calibrate(src.model, sliceFeeds(calibFeeds, 0, batch ?? 1)));
    upgrade = { ranks: Object.fromEntries(Object.entries(minmax.ranks).filter(([t]) => softmax.has(t)).sort()) };
    try {
      src.model = passInput(src.model, { upgrade });
    } catch (err) {
      throw new CompressInputError(`${o.input}: opset ${src.opset} graph cannot be upgraded to opset 13 for quantization: ${(err as Error).message}`);
    }
  }

  // The source model, unchanged, on inputs made to its declared shapes: if it refuses them, the model (or
  // the user's data) is what is wrong.
  const referenceOutputs = () => runNode(src.bytes, evalFeeds).catch((err: unknown) => {
    const dims = Object.entries(evalFeeds).map(([k, f]) => `${k} ${JSON.stringify(f.dims)}`).join(', ');
    const hint = !evalFile && !calibration && batch === undefined && o.samples > 1 ? '; if the model only runs at batch 1 though its inputs say otherwise, pass --samples 1 --batches 1' : '';
    throw new CompressInputError(`onnxruntime-node cannot run ${o.input} on the evaluation set (${dims}): ${oneLine(err)}${hint}`);
  });
  if (only.includes('int8')) p.step('reference outputs (onnxruntime-node)');
  const best: Int8Choice | undefined = !only.includes('int8') ? undefined : await during('choosing the INT8 form', async () => chooseInt8({
    model: src.model,
    forms: o.forms,
    reference: await referenceOutputs(),
    evalFeeds,
    calibFeeds,
    floor,
    width,
    classifier,
    exclude: o.exclude,
    autoExclude: o.autoExclude,
    maxExclude: o.maxExclude,
    timing: { inputs, ends: [...new Set([latency.shapes[0]!, latency.shapes[latency.shapes.length - 1]!])], runs: o.runs, budgetMs: o.budgetMs, intHigh: o.intHigh },
    progress: p,
  }));
  const candidates = best?.candidates ?? [];

  const recipe: PartialRecipe = { ...(upgrade ? { upgrade } : {}), ...(only.includes('fp16') ? { fp16: { keep_fp32: [] } } : {}), ...(best ? { int8: { form: best.form, exclude: best.exclude, ...(best.ranges ? { ranges: best.ranges } : {}) } } : {}) };
  const built = await during('building the variants', () => buildSome(src.model, { ...recipe, upgrade: undefined }));
  const files: Record<string, Uint8Array | string> = { 'fp32.onnx': src.bytes, ...(built.fp16 ? { 'fp16.onnx': built.fp16 } : {}), ...(built.int8 ? { 'int8.onnx': built.int8 } : {}) };
  if (best?.ranges) files['calibration-ranges.json'] = JSON.stringify(best.ranges) + '\n';
  const subgraphNodes = allNodes(src.model.graph).length - src.model.graph.node.length;
  const methods: Record<VariantName, () => string> = {
    fp32: () => 'reference fp32 (source model, unchanged)',
    fp16: () => fp16Method(built.fp16Report!),
    int8: () => int8Method(best!.form, best!.exclude, subgraphNodes),
  };
  const manifest = await during(`writing ${o.modelsDir}/${o.name}/`, () => writeModelFolder({ modelsDir: o.modelsDir, name: o.name, files, ignoreWeights: o.ignoreWeights }, async (stage) => {
    p.step(`measuring ${only.join(', ')} in onnxruntime-web (latency, memory, fidelity)`, only.length);
    const variants = await during('measuring the variants in onnxruntime-web', () => measureVariants({
      dir: stage,
      inputs,
      variants: only.map((name) => ({ name, method: methods[name]() })),
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
    }));
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
        recipe: { ...(upgrade ? { upgrade } : {}), ...(recipe.fp16 ? { fp16: recipe.fp16 } : {}), ...(best ? { int8: { form: best.form, exclude: best.exclude, ...(best.ranges ? { ranges_file: 'calibration-ranges.json' } : {}) } } : {}) },
        ...(only.length < 3 ? { variants_written: only } : {}),
        ...(built.fp16Report ? { fp16_kept_fp32: built.fp16Report.kept } : {}),
        ...(best ? { fidelity_floor: `${floor.metric}=${floor.value}`, int8_candidates: candidates } : {}),
        eval_set: evalSet,
        ...(best ? { calibration: o.calibration ? `file ${o.calibration} (${sampleCount(calibFeeds)} samples)` : `the evaluation set (${sampleCount(calibFeeds)} samples)` } : {}),
        ...o.extraProvenance,
        command: o.command,
      },
    });
  }));
  return { manifest, candidates };
}
