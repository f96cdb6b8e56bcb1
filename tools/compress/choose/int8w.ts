/**
 * Which nodes int8w keeps in fp32: the user's `--exclude`, plus (with auto-exclusion, as for int8) the
 * nodes whose weights cost the most fidelity, found by a sensitivity run per node in onnxruntime-node and
 * excluded greedily until the floor is met (exclusion.ts, the search int8 uses). Near-ties in a classifier's
 * outputs (a direction classifier on synthetic glyphs) can flip on a 0.01% weight error; one sensitive layer
 * kept fp32 is cheaper than no int8w.
 */
import type { EvalOutputs } from '../../measure/eval-run.js';
import type { ModelProto } from '../../onnx/types.js';
import type { Judge } from '../data/eval-set.js';
import { runNode, score } from './evaluate.js';
import { searchExclusions } from './exclusion.js';
import type { Feeds } from '../data/feeds.js';
import { toWeightOnlyInt8 } from '../passes/int8-weight-only.js';
import type { Progress } from '../progress.js';
import { INT8W_LOAD, type Recipe } from '../passes/recipe.js';

export interface WeightOnlyTrial {
  /** The normalized (and upgraded) model the passes start from. */
  model: ModelProto;
  reference: EvalOutputs;
  evalFeeds: Feeds;
  /** Every output's kind and floors (../data/eval-set.ts judgeOf), as int8 is judged. */
  judge: Judge;
  recipe: NonNullable<Recipe['int8w']>;
  autoExclude: boolean;
  maxExclude: number;
  progress: Progress;
}

/** The int8w recipe with its exclusions, and its verdict in onnxruntime-node (the worst output's check). */
export async function chooseWeightOnly(t: WeightOnlyTrial): Promise<{ recipe: NonNullable<Recipe['int8w']>; label: string; passes: boolean }> {
  const build = (exclude: readonly string[]) => toWeightOnlyInt8(t.model, new Set(exclude), t.recipe.min_elements);
  const { exclude, result } = await searchExclusions({
    label: 'int8w',
    exclude: t.recipe.exclude,
    fidelity: async (ex) => score(t.reference, await runNode(build(ex).model, t.evalFeeds, t.judge.plan, INT8W_LOAD), t.judge),
    // Only nodes that read a quantized weight: keeping any other fp32 changes nothing.
    pool: (ex) => {
      const quantized = new Set(build(ex).report.quantized.map((q) => q.name));
      return t.model.graph.node.filter((n) => !ex.includes(n.name) && n.input.some((i) => quantized.has(i))).map((n) => n.name);
    },
    autoExclude: t.autoExclude,
    maxExclude: t.maxExclude,
    progress: t.progress,
    added: (n, r) => `int8w: kept ${n} fp32 -> ${r.label}`,
  });
  return { recipe: { ...t.recipe, exclude }, label: result.label, passes: result.passes };
}
