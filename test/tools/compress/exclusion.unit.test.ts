/**
 * The greedy exclusion search shared by the int8 and int8w choices (tools/compress/choose/exclusion.ts), on
 * a fake model whose nodes each cost a known amount of fidelity (and, where exclusions interact, a known
 * penalty): no onnxruntime, so it pins the search's order, stopping rules, best-set rule and log lines in
 * milliseconds.
 */
import { describe, expect, it } from 'vitest';
import { searchExclusions, type ExclusionSearch } from '../../../tools/compress/choose/exclusion.js';
import type { GateResult } from '../../../tools/measure/gate.js';

/**
 * A model whose fidelity loss is the sum of its quantized nodes' costs, plus `penalty(exclude)` for
 * exclusions that interact (an fp32 island between quantized nodes costs conversions); the floor allows `budget`.
 */
function fakeModel(costs: Record<string, number>, budget: number, penalty: (exclude: string[]) => number = () => 0) {
  const tried: string[][] = [];
  const fidelity = async (exclude: string[]): Promise<GateResult> => {
    tried.push([...exclude]);
    const loss = Object.entries(costs).filter(([n]) => !exclude.includes(n)).reduce((s, [, c]) => s + c, 0) + penalty(exclude);
    const margin = budget - loss;
    return { passes: margin >= 0, margin, value: loss, label: `loss ${loss}`, failures: margin >= 0 ? [] : [`loss ${loss} > ${budget}`] };
  };
  return { fidelity, tried };
}

function search(costs: Record<string, number>, budget: number, over: Partial<ExclusionSearch> = {}, penalty?: (exclude: string[]) => number) {
  const model = fakeModel(costs, budget, penalty);
  const lines: string[] = [];
  const pools: string[][] = [];
  const run = searchExclusions({
    label: 'qdq-minmax',
    exclude: [],
    fidelity: model.fidelity,
    pool: (ex) => {
      pools.push([...ex]);
      return Object.keys(costs).filter((n) => !ex.includes(n));
    },
    autoExclude: true,
    maxExclude: 8,
    progress: { step: (l) => lines.push(`step ${l}`), tick: (d) => lines.push(`tick ${d}`), log: (l) => lines.push(`log ${l}`) },
    added: (n, r) => `qdq-minmax: excluded ${n} -> ${r.label}`,
    ...over,
  });
  return { run, lines, pools, tried: model.tried };
}

describe('the greedy exclusion search', () => {
  it('returns the starting exclusions after one run when they already pass, without asking for a pool', async () => {
    const s = search({ a: 1, b: 1 }, 5, { exclude: ['a'] });
    const { exclude, result } = await s.run;
    expect(exclude).toEqual(['a']);
    expect(result.passes).toBe(true);
    expect(s.tried).toEqual([['a']]);
    expect(s.pools).toEqual([]);
    expect(s.lines).toEqual(['step qdq-minmax: loss 1']);
  });

  it('returns a miss as it is when auto-exclusion is off', async () => {
    const s = search({ a: 3, b: 3 }, 1, { autoExclude: false });
    const { exclude, result } = await s.run;
    expect([exclude, result.passes, s.tried.length, s.pools]).toEqual([[], false, 1, []]);
  });

  it('ranks every pool node by the margin it regains alone, then adds the best ones in turn until the floor passes', async () => {
    const s = search({ a: 1, b: 3, c: 2 }, 1.5, { exclude: ['user'] });
    const { exclude, result } = await s.run;
    expect(exclude).toEqual(['user', 'b', 'c']);
    expect(result.passes).toBe(true);
    expect(s.pools).toEqual([['user']]);
    // One start run, one sensitivity run per pool node (each alone), then one run per added node.
    expect(s.tried).toEqual([['user'], ['user', 'a'], ['user', 'b'], ['user', 'c'], ['user', 'b'], ['user', 'b', 'c']]);
    expect(s.lines).toEqual([
      'step qdq-minmax: loss 6',
      'step qdq-minmax: sensitivity of 3 nodes',
      'tick a', 'tick b', 'tick c',
      'log qdq-minmax: excluded b -> loss 3',
      'log qdq-minmax: excluded c -> loss 1',
    ]);
  });

  it('breaks ties in regained margin by node name, whatever order the pool lists them in', async () => {
    const costs = { z: 2, m: 2, a: 2 };
    const forward = await search(costs, 4).run;
    const backward = await search(costs, 4, { pool: () => ['a', 'm', 'z'] }).run;
    expect(forward.exclude).toEqual(['a']);
    expect(backward.exclude).toEqual(['a']);
  });

  it('adds at most maxExclude nodes and then returns its best miss with the nodes it kept fp32', async () => {
    const s = search({ a: 1, b: 2, c: 3, d: 4 }, 0, { maxExclude: 2 });
    const { exclude, result } = await s.run;
    expect(exclude).toEqual(['d', 'c']);
    expect(result).toMatchObject({ passes: false, value: 3, failures: ['loss 3 > 0'] });
  });

  it('logs each added node in the caller\'s words (int8w says it kept the node fp32)', async () => {
    const s = search({ conv1: 5, conv2: 1 }, 2, { label: 'int8w', added: (n, r) => `int8w: kept ${n} fp32 -> ${r.label}` });
    await s.run;
    expect(s.lines.filter((l) => l.startsWith('log') || l.startsWith('step'))).toEqual([
      'step int8w: loss 6',
      'step int8w: sensitivity of 2 nodes',
      'log int8w: kept conv1 fp32 -> loss 1',
    ]);
  });

  it('returns the best set it tried, not the last, when a later exclusion lowers the score', async () => {
    // Keeping a, b and c all fp32 costs 2.5 more than it saves: the score goes 6 -> 3 -> 1 -> 2.5.
    const s = search({ a: 3, b: 2, c: 1 }, 0.5, {}, (ex) => (['a', 'b', 'c'].every((n) => ex.includes(n)) ? 2.5 : 0));
    const { exclude, result } = await s.run;
    expect(s.tried.at(-1)).toEqual(['a', 'b', 'c']);
    expect(exclude).toEqual(['a', 'b']);
    expect(result).toMatchObject({ passes: false, value: 1 });
  });

  it('stops once more exclusions no longer beat the best set, instead of spending every --max-exclude run', async () => {
    // Each node kept fp32 after the first costs 1.5: a helps (10 -> 5), b and c each make it worse.
    const costs = { a: 5, b: 1, c: 1, d: 1, e: 1, f: 1 };
    const s = search(costs, -1, {}, (ex) => 1.5 * Math.max(0, ex.length - 1));
    const { exclude, result } = await s.run;
    expect(exclude).toEqual(['a']);
    expect(result.value).toBe(5);
    // One start run, six sensitivity runs, then a (best), b and c (no better twice in a row): stop.
    expect(s.tried.slice(7)).toEqual([['a'], ['a', 'b'], ['a', 'b', 'c']]);
    expect(s.tried).toHaveLength(10);
  });

  it('never adds a node that regained nothing alone', async () => {
    const s = search({ a: 2, b: 0, c: 0 }, -1);
    const { exclude } = await s.run;
    expect(exclude).toEqual(['a']);
    expect(s.tried).toEqual([[], ['a'], ['b'], ['c'], ['a']]);
  });
});
