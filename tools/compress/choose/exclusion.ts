/**
 * The greedy exclusion search both int8 choices use (int8.ts per form, int8w.ts): when a quantized model
 * misses a fidelity floor in onnxruntime-node, rank the candidate nodes by the margin regained when each
 * alone stays fp32 (one run per node), then keep the best of them fp32 one at a time, in that order, until
 * every floor passes or `maxExclude` nodes are out. Ties rank by name, so the order the caller lists nodes in
 * cannot change the recipe.
 *
 * Exclusions do not add up: keeping one more node fp32 can lower the score (a real model's SNR went
 * 18.23 -> 17.89 dB on its last step), so the search returns the best set it tried (highest margin; of equal
 * ones, the first, i.e. the fewest nodes), not the last. Only nodes that regained margin alone are added, and
 * the search stops once `PATIENCE` additions in a row have not beaten the best: more exclusions no longer help.
 * The caller decides what a miss means (int8 drops the form, int8w reports its verdict and the web gate
 * decides). Which nodes each caller may exclude and how it logs one are parameters (`pool`, `added`).
 */
import type { GateResult } from '../../measure/gate.js';
import type { Progress } from '../progress.js';

export interface ExclusionSearch {
  /** What the progress lines name: the INT8 form, or 'int8w'. */
  label: string;
  /** Nodes kept fp32 from the start (the user's `--exclude`); the search only adds to them. */
  exclude: readonly string[];
  /** Builds the model with these nodes kept fp32 and scores it against the floors. */
  fidelity: (exclude: string[]) => Promise<GateResult>;
  /**
   * The nodes the search may add, given the starting exclusions; asked only when the start misses (int8w
   * builds the model once more to learn which nodes read quantized weights).
   */
  pool: (exclude: readonly string[]) => string[];
  /** Without it a miss is returned as it is (`--no-auto-exclude`). */
  autoExclude: boolean;
  /** At most this many nodes are added (`--max-exclude`). */
  maxExclude: number;
  progress: Progress;
  /**
   * The log line for one added node. The two callers word it differently ("excluded n" for int8, "kept n
   * fp32" for int8w); the words are kept as they were so logs read the same after the merge.
   */
  added: (node: string, result: GateResult) => string;
}

/** Additions in a row that may fail to beat the best set before the search stops. */
export const PATIENCE = 2;

/** The best exclusions the search found and their score, which passes unless the search ran out. */
export async function searchExclusions(s: ExclusionSearch): Promise<{ exclude: string[]; result: GateResult }> {
  const p = s.progress;
  let exclude = [...s.exclude];
  let result = await s.fidelity(exclude);
  p.step(`${s.label}: ${result.label}`);
  if (result.passes || !s.autoExclude) return { exclude, result };
  // Sensitivity: the fidelity gained by leaving each node alone in fp32; exclude the best gains first.
  const pool = s.pool(exclude);
  p.step(`${s.label}: sensitivity of ${pool.length} nodes`, pool.length);
  const gains: [string, number][] = [];
  for (const n of pool) {
    gains.push([n, (await s.fidelity([...exclude, n])).margin - result.margin]);
    p.tick(n);
  }
  gains.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  let best = { exclude, result };
  let stale = 0;
  for (const [n] of gains.filter(([, gain]) => gain > 0).slice(0, s.maxExclude)) {
    exclude = [...exclude, n];
    result = await s.fidelity(exclude);
    p.log(s.added(n, result));
    if (result.margin > best.result.margin) {
      best = { exclude, result };
      stale = 0;
    } else stale++;
    if (result.passes || stale >= PATIENCE) break;
  }
  return best;
}
