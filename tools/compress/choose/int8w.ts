/**
 * Which nodes int8w keeps in fp32: the user's `--exclude`, plus (with auto-exclusion, as for int8) the
 * nodes whose weights cost the most fidelity, found by a sensitivity run per node in onnxruntime-node and
 * excluded greedily until the floor is met. Near-ties in a classifier's outputs (a direction classifier on
 * synthetic glyphs) can flip on a 0.01% weight error; one sensitive layer kept fp32 is cheaper than no int8w.
 */
import type { EvalOutputs } from '../../measure/eval-run.js';
import type { ModelProto } from '../../onnx/types.js';
import type { Judge } from '../data/eval-set.js';
import { runNode, score } from './evaluate.js';
import type { Feeds } from '../data/feeds.js';
import { toWeightOnlyInt8 } from '../passes/int8-weight-only.js';
import type { Progress } from '../progress.js';
import type { Recipe } from '../passes/recipe.js';

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
  const build = (exclude: string[]) => toWeightOnlyInt8(t.model, new Set(exclude), t.recipe.min_elements);
  const fid = async (exclude: string[]) => score(t.reference, await runNode(build(exclude).model, t.evalFeeds, t.judge.plan), t.judge);
  let exclude = [...t.recipe.exclude];
  let s = await fid(exclude);
  t.progress.step(`int8w: ${s.label}`);
  if (!s.passes && t.autoExclude) {
    const quantized = new Set(build(exclude).report.quantized.map((q) => q.name));
    const pool = t.model.graph.node.filter((n) => !exclude.includes(n.name) && n.input.some((i) => quantized.has(i))).map((n) => n.name);
    t.progress.step(`int8w: sensitivity of ${pool.length} nodes`, pool.length);
    const gains: [string, number][] = [];
    for (const n of pool) {
      gains.push([n, (await fid([...exclude, n])).margin - s.margin]);
      t.progress.tick(n);
    }
    gains.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    for (const [n] of gains.slice(0, t.maxExclude)) {
      exclude = [...exclude, n];
      s = await fid(exclude);
      t.progress.log(`int8w: kept ${n} fp32 -> ${s.label}`);
      if (s.passes) break;
    }
  }
  return { recipe: { ...t.recipe, exclude }, label: s.label, passes: s.passes };
}
