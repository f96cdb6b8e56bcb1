/**
 * The compress pipeline's two steps for pruned and distilled variants (variants.ts): checks that refuse a
 * recipe before anything is measured (training data that is the evaluation set, a graph op or input the
 * pruner cannot take: one line, exit 2), and the training itself with the pipeline's progress.
 */
import { CompressInputError, during } from '../compress/failure.js';
import { silent, trainingProgress, type Progress } from '../compress/progress.js';
import { checkStructured, makeStructured, type StructuredRecipe, type StructuredReport, type StructuredVariant } from './variants.js';
import { UnsupportedModel } from './graph.js';

/** What the steps read of the compress options. */
interface StepOptions {
  structured?: StructuredRecipe;
  eval?: string | string[];
  progress?: Progress;
}

/** Refuses, before any measuring or training, a structured recipe the pruner, the trainer or the data cannot serve. */
export function checkStructuredInput(fp32: Uint8Array, o: StepOptions): void {
  const r = o.structured!;
  const evals = [o.eval ?? []].flat().map((e) => e.replace(/^[^=]+=/, ''));
  if (r.train !== 'mnist' && evals.some((e) => r.train.split(',').some((t) => e.split(',').includes(t)))) {
    throw new CompressInputError(`--train ${r.train} is also the evaluation set: pruned and distilled variants are judged on data they were not trained on (give --eval other samples)`);
  }
  if (!o.eval) throw new CompressInputError('--prune/--distill need --eval: held-out samples the variants are judged on, apart from --train');
  try {
    checkStructured(fp32, r);
  } catch (err) {
    if (err instanceof UnsupportedModel) throw new CompressInputError(err.message);
    throw err;
  }
}

/** The pruned and distilled variants (checked by checkStructuredInput first). */
export async function makeStructuredVariants(fp32: Uint8Array, o: StepOptions): Promise<{ variants: StructuredVariant[]; report: StructuredReport }> {
  const r = o.structured!;
  const p = o.progress ?? silent;
  try {
    return await during('pruning and distilling (tools/prune, TensorFlow.js WASM)', () => makeStructured(fp32, r, { progress: trainingProgress(p), log: (line) => p.log(line) }));
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof UnsupportedModel ? err.cause : err;
    if (cause instanceof UnsupportedModel) throw new CompressInputError(cause.message);
    throw err;
  }
}
