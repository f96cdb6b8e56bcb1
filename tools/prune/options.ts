/**
 * The compress CLI's options for pruned and distilled variants (variants.ts), and the recipe they make.
 * Defaults favour agreement with fp32: the pruned model learns fp32's answers alone (`--alpha 0`); a
 * student, far smaller, also learns from the labels when there are any (`--distill-alpha 0.5`).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { PRECISIONS, type Precision } from '../../src/registry/manifest.js';
import { INT8_FORMS, type Int8Form } from '../compress/passes/recipe.js';
import type { StructuredRecipe } from './variants.js';

const num = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('expected a number');
  return n;
};
const ratio = (v: string) => {
  const n = num(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('a fraction between 0 and 1, e.g. 0.5');
  return n;
};
const precisions = (v: string) => {
  const list = v.split(',').filter(Boolean);
  const bad = list.filter((p) => p === 'fp32' || !(PRECISIONS as readonly string[]).includes(p));
  if (bad.length) throw new InvalidArgumentError(`unknown precision ${bad.join(', ')}; a comma-separated list of ${PRECISIONS.filter((p) => p !== 'fp32').join(', ')}, or none`);
  return list as Exclude<Precision, 'fp32'>[];
};

/**
 * The training options `npm run prune` and `npm run compress` share, one definition for both: how channels are
 * chosen and joined, and how the pruned model or student is trained (values outside a list are refused by
 * commander, exit 2).
 */
export function trainingOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--residual <mode>', "channels joined by a residual Add: 'joint' prunes them together, 'skip' leaves them whole").choices(['joint', 'skip']).default('joint'))
    .option('--epochs <n>', 'training epochs (pruned model and student)', num, 3)
    .option('--lr <x>', 'Adam learning rate', num, 1e-3)
    .addOption(new Option('--lr-schedule <kind>', "learning rate over the run: 'constant', or 'cosine' from --lr down to 0").choices(['constant', 'cosine']).default('constant'))
    .option('--temperature <x>', 'distillation temperature', num, 4)
    .addOption(new Option('--importance <kind>', "channel importance: 'activation' (mean |activation| x outgoing weight norm) or 'taylor' (|activation x dL/dactivation| from the trainer)").choices(['activation', 'taylor']).default('activation'))
    .option('--importance-rows <n>', 'training rows that measure channel importance', num, 512);
}

/** Adds the options to the compress command. */
export function structuredOptions(cmd: Command): Command {
  return trainingOptions(cmd)
    .option('--prune <ratio>', 'also make pruned<ratio*100>: that fraction of the units of every prunable layer removed (MLP neurons, conv channels with their BatchNorm and the next layer\'s inputs, depthwise convs, squeeze-excitation scales), least important first by activation on --train rows x outgoing weight, then fine-tuned by distillation from fp32. Needs --train', ratio)
    .option('--distill <student>', 'also make "distilled": a student trained from scratch on fp32\'s logits: mlp:784-128-10 (MatMul+Add, Relu between) or cnn:c8s2-c16-p-c32-g (cN[sS] Conv3x3+BatchNorm+Relu, d depthwise, p MaxPool 2x2, g GlobalAveragePool, then Gemm). Needs --train')
    .option('--train <data>', "training rows for --prune/--distill, never the --eval set: 'mnist' (the bundled digits' training split) or sample files as --eval takes them (several joined with ',')")
    .option('--train-labels <file>', 'JSON array of class indices for the --train rows (optional: without labels training follows fp32 alone)')
    .option('--prune-precisions <list>', 'the pruned model also quantized in turn: pruned50-int8, -fp16, -int8w (comma-separated, or "" for none)', precisions, ['int8'] as Exclude<Precision, 'fp32'>[])
    .option('--prune-int8-form <form>', `INT8 form of the pruned model (${INT8_FORMS.filter((f) => f.startsWith('dynamic')).join(', ')})`, 'dynamic')
    .option('--train-batch <n>', 'training batch size', num, 64)
    .option('--alpha <x>', 'weight of the label cross-entropy (with --train-labels); 1 - alpha goes to the distillation KL. 0: learn fp32\'s answers', num, 0)
    .option('--distill-alpha <x>', 'the same for the student', num, 0.5)
    .option('--train-seed <n>', 'seed of the training order and the student\'s weights', num, 1)
    .option('--max-accuracy-drop <pt>', 'with --labels: how many points of labelled accuracy below fp32 a pruned or distilled variant may be (it is judged by that instead of top-1 agreement)', num, 1);
}

/** The recipe the options ask for, or undefined without --prune and --distill; throws one line on a bad combination. */
export function structuredRecipe(o: Record<string, unknown>): StructuredRecipe | undefined {
  if (o['prune'] === undefined && o['distill'] === undefined) return undefined;
  if (typeof o['train'] !== 'string') throw new InvalidArgumentError('--prune and --distill need --train <data>: the rows the variants are trained on');
  if (!['dynamic', 'dynamic-matmul'].includes(o['pruneInt8Form'] as string)) throw new InvalidArgumentError(`--prune-int8-form ${String(o['pruneInt8Form'])}: dynamic or dynamic-matmul (static forms need calibration of the pruned model)`);
  const shape = Object.values((o['shape'] ?? {}) as Record<string, number[]>)[0];
  return {
    train: o['train'],
    ...(typeof o['trainLabels'] === 'string' ? { train_labels: o['trainLabels'] } : {}),
    ...(shape ? { shape } : {}),
    seed: o['trainSeed'] as number,
    epochs: o['epochs'] as number,
    batch: o['trainBatch'] as number,
    lr: o['lr'] as number,
    ...(o['lrSchedule'] === 'cosine' ? { lr_schedule: 'cosine' as const } : {}),
    alpha: o['alpha'] as number,
    temperature: o['temperature'] as number,
    ...(o['prune'] !== undefined ? { prune: { ratio: o['prune'] as number, residual: o['residual'] as 'joint' | 'skip', importance_rows: o['importanceRows'] as number, ...(o['importance'] === 'taylor' ? { importance: 'taylor' as const } : {}), precisions: o['prunePrecisions'] as Exclude<Precision, 'fp32'>[], int8_form: o['pruneInt8Form'] as Int8Form } } : {}),
    ...(typeof o['distill'] === 'string' ? { distill: { student: o['distill'], alpha: o['distillAlpha'] as number } } : {}),
  };
}
