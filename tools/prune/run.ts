/**
 * `npm run prune -- model.onnx --out dir --prune 0.5 --train <data> [--distill mlp:784-64-10] [--seed 1] [--epochs N]`:
 * writes a structurally pruned variant (pruned.onnx) fine-tuned by distillation from the model, and/or a
 * distilled student (student.onnx), then measures both against the model on held-out rows (accuracy, top-1
 * agreement) and in onnxruntime-web (p50 at batch 1 and 8, interleaved with the model), and writes
 * report.json. Graph inputs and outputs keep their names and shapes. A model the tools cannot handle stops
 * with one line naming the op or input (exit 1); bad options exit 2.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, type CommanderError } from 'commander';
import { readModel, writeModel } from '../onnx/io.js';
import { loadTf, type Backend } from '../train/tf.js';
import { buildStudent } from '../train/student.js';
import { trainingBar, quietTraining } from '../train/progress.js';
import { checkSupported, liftConstants, UnsupportedModel } from './graph.js';
import { loadRows, sampleDims } from './data.js';
import { collect, type Batch } from './taps.js';
import { distil, logitsName, profileShapes, pruneChannels, type PruneSummary } from './pipeline.js';
import { fidelity, latency, outputs, type Fidelity } from './measure.js';
import { trainingOptions } from './options.js';

const num = (v: string) => { const n = Number(v); if (!Number.isFinite(n)) throw new Error(`not a number: ${v}`); return n; };

const program = new Command('prune')
  .description('Structured pruning and distillation of an ONNX MLP or CNN into smaller dense variants, measured against the model.')
  .argument('<model>', 'FP32 ONNX model (MLP or CNN: Conv, BatchNormalization, MatMul, Gemm, activations, pooling)')
  .requiredOption('--out <dir>', 'where pruned.onnx, student.onnx and report.json go')
  .requiredOption('--train <data>', "training rows: 'mnist' (the bundled digits' training split) or sample files the compressor reads (.json feeds, .npy, .png/.jpg, folders; several joined with ',')")
  .option('--labels <file>', 'JSON array of class indices for the training rows (else distillation from the teacher alone)')
  .option('--eval <data>', "held-out rows (same forms); default with --train mnist: the mnist test split")
  .option('--eval-labels <file>', 'JSON array of class indices for the held-out rows')
  .option('--prune <ratio>', 'fraction of the channels of every prunable layer to remove, e.g. 0.5', num)
  .option('--distill <spec>', 'also distil a student: mlp:784-64-10 or cnn:c8s2-c16-p-c32-g (see tools/prune/README.md)')
  .option('--shape <dims>', 'a sample with its batch axis, for dynamic input dims, e.g. 1,3,48,192', (v) => v.split(',').map(num))
  .option('--seed <n>', 'seed of the data order and the student weights', num, 1)
  .option('--batch <n>', 'training batch size', num, 64)
  .option('--alpha <x>', 'weight of the label cross-entropy (with labels); 1 - alpha goes to the distillation KL', num, 0.5)
  .option('--backend <name>', "TensorFlow.js backend: 'wasm' (XNNPACK, default) or 'cpu'", 'wasm')
  .option('--runs <n>', 'timed onnxruntime-web runs per variant and batch size (0: no latency)', num, 200)
  .option('--quiet', 'no progress output');

trainingOptions(program);

program.exitOverride((err: CommanderError) => process.exit(err.exitCode === 0 || err.code === 'commander.helpDisplayed' ? 0 : 2));

interface Variant { name: string; file: string; macs: number; training?: { epoch_loss: number[]; seconds: number }; fidelity?: Fidelity; pruning?: PruneSummary; spec?: string }

program.action(async (file: string, o) => {
  const log = o.quiet ? () => {} : (line: string) => console.error(`[prune] ${line}`);
  const started = performance.now();
  try {
    if (!o.prune && !o.distill) throw new UnsupportedModel('nothing to do: give --prune <ratio>, --distill <spec> or both');
    if (o.prune !== undefined && !(o.prune > 0 && o.prune < 1)) throw new UnsupportedModel(`--prune ${o.prune}: a fraction between 0 and 1`);
    const teacher = liftConstants(readModel(file));
    checkSupported(teacher);
    const train = loadRows(teacher, o.train, 'train', o.labels, o.shape);
    if (!o.eval && o.train !== 'mnist') throw new UnsupportedModel('--eval <data> is needed unless --train is mnist (whose test split is held out)');
    const held = loadRows(teacher, o.eval ?? 'mnist', 'test', o.evalLabels, o.shape);
    log(`training rows: ${train.description}; held out: ${held.description}`);
    mkdirSync(o.out, { recursive: true });
    const base = await profileShapes(teacher, train);
    const teacherLogits = await collect(teacher, logitsName(teacher), train);
    const tf = await loadTf(o.backend as Backend);
    const settings = { epochs: o.epochs, batch: o.batch, lr: o.lr, lrSchedule: o.lrSchedule, seed: o.seed, alpha: o.alpha, temperature: o.temperature, ...(train.labels ? { labels: train.labels } : {}), progress: o.quiet ? quietTraining : trainingBar() };
    const variants: Variant[] = [];
    if (o.prune) {
      const rows = Math.min(o.importanceRows, train.dims[0]!);
      const calib: Batch = { dims: [rows, ...train.dims.slice(1)], data: train.data.subarray(0, (rows * train.data.length) / train.dims[0]!) };
      const importance = o.importance === 'taylor' ? { kind: 'taylor' as const, tf, ...(train.labels ? { labels: train.labels } : {}) } : { kind: 'activation' as const };
      const pruned = await pruneChannels(teacher, calib, o.prune, o.residual, importance);
      const open = pruned.summary.spaces.filter((s) => !s.frozen);
      log(`pruned ${open.length} of ${pruned.summary.spaces.length} channel sets by ${o.prune}: ${pruned.summary.macs_before} -> ${pruned.summary.macs_after} multiply-adds`);
      for (const s of pruned.summary.spaces.filter((k) => k.frozen)) log(`  kept whole: ${s.channels} channels (${s.frozen})`);
      const t = await distil(tf, pruned.model, train, teacherLogits, { ...settings, label: 'pruned' });
      const out = join(o.out, 'pruned.onnx');
      writeModel(out, t.model);
      variants.push({ name: 'pruned', file: out, macs: pruned.summary.macs_after, training: { epoch_loss: t.epochLoss, seconds: Math.round(t.seconds) }, pruning: pruned.summary });
    }
    if (o.distill) {
      const { name, sample } = sampleDims(teacher, o.shape);
      const last = teacher.graph.node.find((n) => n.output.includes(teacher.graph.output[0]!.name));
      const student = buildStudent(o.distill, { input: teacher.graph.input.find((i) => i.name === name)!, output: teacher.graph.output[0]!, sample, classes: teacherLogits.dims[1]!, softmax: last?.op_type === 'Softmax' }, o.seed);
      checkSupported(student);
      const t = await distil(tf, student, train, teacherLogits, { ...settings, label: 'student' });
      const out = join(o.out, 'student.onnx');
      writeModel(out, t.model);
      variants.push({ name: 'student', file: out, spec: o.distill, macs: (await profileShapes(t.model, train)).macs, training: { epoch_loss: t.epochLoss, seconds: Math.round(t.seconds) } });
    }
    const baseOut = await outputs(teacher, held);
    for (const v of variants) v.fidelity = fidelity(baseOut, await outputs(readModel(v.file), held), held.labels);
    const baseFidelity = fidelity(baseOut, baseOut, held.labels);
    const fp32 = join(o.out, 'fp32.onnx');
    copyFileSync(file, fp32);
    const { name: input, sample } = sampleDims(teacher, o.shape);
    const p50 = o.runs > 0 ? latency([{ name: 'fp32', path: fp32 }, ...variants.map((v) => ({ name: v.name, path: v.file }))], input, sample, [1, 8], o.runs) : {};
    const report = {
      command: `npm run prune -- ${process.argv.slice(2).join(' ')}`,
      model: resolve(file),
      train: train.description,
      held_out: held.description,
      settings: { prune: o.prune, importance: o.importance, distill: o.distill, residual: o.residual, seed: o.seed, epochs: o.epochs, batch: o.batch, lr: o.lr, lr_schedule: o.lrSchedule, alpha: o.alpha, temperature: o.temperature, backend: o.backend },
      fp32: { macs: base.macs, fidelity: baseFidelity, p50_ms: p50.fp32 },
      variants: variants.map((v) => ({
        ...v,
        mac_ratio: Math.round((base.macs / v.macs) * 100) / 100,
        accuracy_delta_pt: v.fidelity?.accuracy !== undefined && baseFidelity.accuracy !== undefined ? Math.round((v.fidelity.accuracy - baseFidelity.accuracy) * 1000) / 10 : undefined,
        p50_ms: p50[v.name],
        speedup: p50[v.name] && p50.fp32 ? Object.fromEntries(Object.keys(p50.fp32).map((b) => [b, Math.round((p50.fp32![Number(b)]! / p50[v.name]![Number(b)]!) * 100) / 100])) : undefined,
      })),
      seconds: Math.round((performance.now() - started) / 1000),
    };
    writeFileSync(join(o.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    console.log(`variant   MACs (ratio)          accuracy (delta pt)  top-1 agreement  p50 b1 / b8 ms (speedup)`);
    console.log(`fp32      ${String(base.macs).padEnd(21)} ${String(baseFidelity.accuracy ?? '-').padEnd(20)} 1                ${p50.fp32 ? `${p50.fp32[1]} / ${p50.fp32[8]}` : '-'}`);
    for (const v of report.variants) console.log(`${v.name.padEnd(9)} ${`${v.macs} (${v.mac_ratio}x)`.padEnd(21)} ${`${v.fidelity?.accuracy ?? '-'} (${v.accuracy_delta_pt ?? '-'})`.padEnd(20)} ${String(v.fidelity?.top1_agreement).padEnd(16)} ${v.p50_ms ? `${v.p50_ms[1]} / ${v.p50_ms[8]} (${v.speedup?.[1]}x / ${v.speedup?.[8]}x)` : '-'}`);
    log(`wrote ${o.out}/report.json in ${report.seconds} s`);
  } catch (err) {
    const line = String((err as Error).message ?? err).split('\n')[0];
    console.error(err instanceof UnsupportedModel ? `prune: ${line}` : `prune: failed: ${line}`);
    if (!(err instanceof UnsupportedModel) && process.env.PRUNE_DEBUG) console.error(err);
    process.exit(1);
  }
});

if (import.meta.url === `file://${process.argv[1]}`) await program.parseAsync();
