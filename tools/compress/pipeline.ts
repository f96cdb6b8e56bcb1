/**
 * The compression pipeline behind `npm run compress`: read and check the FP32 model, build FP16 and the
 * INT8 candidates, keep the INT8 form that is fastest in onnxruntime-web WASM among those inside the
 * fidelity floor (excluding the most sensitive nodes greedily when needed), measure every variant in the
 * Worker's runtime and write `models/<name>/` atomically (built in a temp dir, renamed into place).
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ModelManifest } from '../../src/registry/manifest.js';
import { type TensorSpec } from '../../src/protocol/datatypes.js';
import { sha256 } from '../lib/sha256.js';
import { encodeModel } from '../onnx/io.js';
import { encodeFeeds, measureVariants } from '../measure/variants.js';
import { runProbe } from '../measure/probe-client.js';
import { calibrate } from './calibrate.js';
import { dynamicCandidates } from './int8-dynamic.js';
import { staticCandidates, type ActivationRanges } from './int8-static.js';
import { parseFloor, runNode, score, type FidelityFloor } from './evaluate.js';
import { randomFeeds, readFeeds, readLabels, sampleCount, sliceFeeds, type Feeds } from './feeds.js';
import { CompressInputError, readSource, type SourceModel } from './source.js';
import { buildInt8, buildVariants, int8Method, passInput, type Int8Form, type Recipe } from './variants.js';

/** Reports progress of long steps; the CLI draws bars, library callers may log or ignore. */
export interface Progress {
  step(label: string, total?: number): void;
  tick(detail?: string): void;
  log(line: string): void;
}
const silent: Progress = { step() {}, tick() {}, log() {} };

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
}

export interface CandidateReport {
  form: Int8Form;
  status: 'chosen' | 'passed' | 'below floor' | 'failed' | 'not applicable';
  fidelity?: number;
  excluded: string[];
  p50_ms?: number;
  reason?: string;
}

/** Resolves each input's dims for `samples` samples (axis 0) from its spec and the --shape template. */
function resolveShapes(inputs: TensorSpec[], templates: Record<string, number[]>, samples: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const spec of inputs) {
    const t = templates[spec.name];
    if (t && t.length !== spec.shape.length) throw new CompressInputError(`--shape ${spec.name}: rank ${t.length}, the model input has rank ${spec.shape.length} (${JSON.stringify(spec.shape)})`);
    out[spec.name] = spec.shape.map((d, i) => {
      if (i === 0) return samples;
      if (d >= 0) return d;
      if (!t) throw new CompressInputError(`input '${spec.name}' has a dynamic dim ${i} (${JSON.stringify(spec.shape)}); give its size with --shape ${spec.name}=${spec.shape.map((x) => (x < 0 ? 'N' : x)).join(',')}`);
      return t[i]!;
    });
  }
  return out;
}

function latencyShapes(o: CompressOptions, inputs: TensorSpec[]): { shapes: { items: number; dims: Record<string, number[]> }[]; note: string; item: { input: string; elements: number } } {
  const first = inputs[0]!;
  if (o.sizes?.length) {
    const shapes = o.sizes.map(([h, w]) => {
      const dims = resolveShapes(inputs, o.shapes, 1);
      for (const d of Object.values(dims)) if (d.length >= 2) d.splice(d.length - 2, 2, h, w);
      return { items: Math.round((h * w) / 1024), dims };
    });
    const perTile = resolveShapes([first], o.shapes, 1)[first.name]!.slice(1, -2).reduce((a, b) => a * b, 1) * 1024;
    return {
      shapes,
      note: `, batch 1 at image sizes ${o.sizes.map(([h, w]) => `${h}x${w}`).join(', ')} (items = input pixels / 1024, i.e. 32x32 tiles)`,
      item: { input: first.name, elements: perTile },
    };
  }
  const desc = inputs.map((s) => `${s.name} ${JSON.stringify(resolveShapes([s], o.shapes, 1)[s.name]!.slice(1))}`).join(', ');
  const perItem = resolveShapes([first], o.shapes, 1)[first.name]!.slice(1).reduce((a, b) => a * b, 1);
  return {
    shapes: o.batches.map((b) => ({ items: b, dims: resolveShapes(inputs, o.shapes, b) })),
    note: `, items = batch size (per item: ${desc})`,
    item: { input: first.name, elements: perItem },
  };
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
  const latency = latencyShapes(o, inputs);

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
  const userExclude = o.exclude;

  // INT8 candidates: fidelity in onnxruntime-node, auto-exclusion, then a short WASM timing of the passing ones.
  let ranges: { minmax: ActivationRanges; percentile: ActivationRanges } | undefined;
  const candidates: CandidateReport[] = [];
  const passing: { form: Int8Form; exclude: string[]; ranges?: ActivationRanges; bytes: Uint8Array }[] = [];
  for (const form of o.forms) {
    const isStatic = form.startsWith('qdq');
    const nodes = isStatic ? staticCandidates(src.model).map((n) => n.name) : dynamicCandidates(src.model, form === 'dynamic' ? 'matmul+conv' : 'matmul');
    if (nodes.length === 0 || (form === 'dynamic' && !src.model.graph.node.some((n) => n.op_type === 'Conv') && o.forms.includes('dynamic-matmul'))) {
      candidates.push({ form, status: 'not applicable', excluded: [], reason: nodes.length ? 'same as dynamic-matmul (no Conv)' : 'no quantizable node' });
      continue;
    }
    try {
      if (isStatic && !ranges) {
        p.step(`calibrating (${sampleCount(calibFeeds)} samples)`);
        ranges = await calibrate(src.model, calibFeeds);
      }
      const r = isStatic ? (form === 'qdq-minmax' ? ranges!.minmax : ranges!.percentile) : undefined;
      const fid = async (exclude: string[]) => score(reference, await runNode(buildInt8(src.model, form, exclude, r), evalFeeds), width, classifier, floor);
      let exclude = [...userExclude];
      let s = await fid(exclude);
      p.step(`${form}: ${floor.metric} ${s.value.toFixed(4)}`);
      if (!s.passes && o.autoExclude) {
        // Sensitivity: the fidelity gained by leaving each node alone in fp32; exclude the best gains first.
        const pool = nodes.filter((n) => !exclude.includes(n));
        p.step(`${form}: sensitivity of ${pool.length} nodes`, pool.length);
        const gains: [string, number][] = [];
        for (const n of pool) {
          gains.push([n, (await fid([...exclude, n])).value - s.value]);
          p.tick(n);
        }
        gains.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
        for (const [n] of gains.slice(0, o.maxExclude)) {
          exclude = [...exclude, n];
          s = await fid(exclude);
          p.log(`${form}: excluded ${n} -> ${floor.metric} ${s.value.toFixed(4)}`);
          if (s.passes) break;
        }
      }
      if (!s.passes) {
        candidates.push({ form, status: 'below floor', fidelity: s.value, excluded: exclude, reason: `${floor.metric} ${s.value.toFixed(4)} < ${floor.value}` });
        continue;
      }
      passing.push({ form, exclude, ...(r ? { ranges: r } : {}), bytes: encodeModel(buildInt8(src.model, form, exclude, r)) });
      candidates.push({ form, status: 'passed', fidelity: s.value, excluded: exclude });
    } catch (err) {
      candidates.push({ form, status: 'failed', excluded: [], reason: (err as Error).message.split('\n')[0]!.slice(0, 200) });
    }
  }
  if (passing.length === 0) {
    throw new CompressInputError(`no INT8 form meets the fidelity floor ${floor.metric}=${floor.value}: ${candidates.map((c) => `${c.form}: ${c.reason ?? c.status}`).join('; ')}`);
  }

  const work = join(tmpdir(), `compress-${process.pid}-${Date.now()}`);
  mkdirSync(work, { recursive: true });
  try {
    if (passing.length > 1) {
      p.step(`timing ${passing.length} INT8 forms in onnxruntime-web`, passing.length);
      const ends = [latency.shapes[0]!, latency.shapes[latency.shapes.length - 1]!];
      for (const c of passing) {
        const file = join(work, `${c.form}.onnx`);
        writeFileSync(file, c.bytes);
        const probe = runProbe({ model: file, inputs, batches: ends.map((e) => e.items), shapes: ends, warmup: 2, runs: Math.min(o.runs, 10), budgetMsPerPoint: Math.min(o.budgetMs, 2000), seq: 1, intHigh: o.intHigh });
        candidates.find((x) => x.form === c.form)!.p50_ms = probe.points.reduce((sum, pt) => sum + pt.p50_ms, 0);
        p.tick(c.form);
      }
    }
    // Forms are in preference order; a later one wins only when clearly faster (15%), so timing noise
    // between two near-equal forms cannot flip the recipe (and the files' sha256) from run to run.
    const time = (f: Int8Form) => candidates.find((c) => c.form === f)!.p50_ms ?? Infinity;
    const best = passing.reduce((a, b) => (time(b.form) < 0.85 * time(a.form) ? b : a));
    candidates.find((c) => c.form === best.form)!.status = 'chosen';

    const recipe: Recipe = { ...(upgrade ? { upgrade } : {}), fp16: { keep_fp32: [] }, int8: { form: best.form, exclude: best.exclude, ...(best.ranges ? { ranges: best.ranges } : {}) } };
    const built = buildVariants(src.model, { ...recipe, upgrade: undefined });
    const stage = join(o.modelsDir, `.${o.name}.tmp-${process.pid}`);
    rmSync(stage, { recursive: true, force: true });
    mkdirSync(stage, { recursive: true });
    try {
      writeFileSync(join(stage, 'fp32.onnx'), src.bytes);
      writeFileSync(join(stage, 'fp16.onnx'), built.fp16);
      writeFileSync(join(stage, 'int8.onnx'), built.int8);
      if (best.ranges) writeFileSync(join(stage, 'calibration-ranges.json'), JSON.stringify(best.ranges) + '\n');
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
      let testAccuracy: number | undefined;
      if (labels) testAccuracy = variants.fp32!.fidelity.accuracy;
      const manifest = ModelManifest.parse({
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
          fidelity_floor: `${floor.metric}=${floor.value}`,
          int8_candidates: candidates,
          eval_set: evalSet,
          calibration: o.calibration ? `file ${o.calibration} (${sampleCount(calibFeeds)} samples)` : `the evaluation set (${sampleCount(calibFeeds)} samples)`,
          ...o.extraProvenance,
          command: o.command,
        },
      });
      writeFileSync(join(stage, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
      if (o.ignoreWeights) writeFileSync(join(stage, '.gitignore'), '*.onnx\n*.onnx.tmp-*\n');
      swapInto(stage, join(o.modelsDir, o.name));
      return { manifest, candidates };
    } catch (err) {
      rmSync(stage, { recursive: true, force: true });
      throw err;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Keeps files of an existing model folder that the pipeline does not make (samples, training record), then renames. */
function swapInto(stage: string, target: string): void {
  if (existsSync(target)) {
    for (const f of readdirSync(target)) if (!existsSync(join(stage, f)) && !f.endsWith('.onnx') && f !== 'calibration-ranges.json' && f !== '.gitignore') copyFileSync(join(target, f), join(stage, f));
    const old = `${target}.old-${process.pid}`;
    renameSync(target, old);
    renameSync(stage, target);
    rmSync(old, { recursive: true, force: true });
  } else renameSync(stage, target);
}

export type { SourceModel };
