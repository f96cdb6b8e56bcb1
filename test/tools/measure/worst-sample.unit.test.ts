/**
 * The worst sample next to the mean (per-sample.ts, fidelity.ts) and the floors that hold it (gate.ts,
 * floor-metrics.ts): a front-end with one bad window among many keeps its whole-set cosine and loses its
 * worst sample's, and the default floors catch it; floors given add to the defaults metric by metric.
 */
import { describe, expect, it } from 'vitest';
import { compareAll, compareOutput } from '../../../tools/measure/fidelity.js';
import { downstreamKey, floorsFor, gate, parseFloors } from '../../../tools/measure/gate.js';
import { top1Agreement, worstOf } from '../../../tools/measure/per-sample.js';
import { Prng } from '../../../tools/lib/prng.js';

const out = (data: Float32Array, width: number, last = width) => ({ width, last, data });

/** 64 windows of 40 log-mel-like bins; the variant matches fp32 except in window `bad`, which it distorts. */
function windows(bad: number, distortion: number) {
  const prng = new Prng(5);
  const ref = prng.fillUniform(new Float32Array(64 * 40), 1).map((x) => x - 4);
  const act = ref.map((x, i) => (Math.floor(i / 40) === bad ? x + distortion * Math.sin(i) : x + 1e-4 * Math.cos(i)));
  return { ref: out(ref, 40), act: out(act, 40) };
}

describe('the worst sample next to the mean', () => {
  it('finds the one bad window the whole-set cosine hides, and names it', () => {
    const { ref, act } = windows(17, 3);
    const f = compareOutput('regression', ref, act);
    expect(f.cosine).toBeGreaterThan(0.995);
    expect(f.cosine_worst).toBeLessThan(0.9);
    expect(f.snr_db_worst).toBeLessThan(f.snr_db!);
    expect(f.worst_sample).toEqual({ cosine: 17, snr: 17 });
  });

  it('fails the default worst-sample floor of a regression output where the mean floor alone passed', () => {
    const { ref, act } = windows(17, 3);
    const fidelity = compareAll({ mel: ref }, { mel: act }, { kinds: { mel: 'regression' } }, { evalSet: 'x', samples: 64 });
    const verdict = gate(fidelity, floorsFor({ mel: 'regression' }, []));
    expect(verdict.passes).toBe(false);
    expect(verdict.failures).toEqual([expect.stringMatching(/^'mel' cosine_worst 0\.\d+ < 0\.95$/)]);
    // The mean alone, as the gate held it before: it passes.
    expect(gate(fidelity, { mel: [{ metric: 'cosine', value: 0.99 }] }).passes).toBe(true);
  });

  it('takes top-1 agreement per sample over its positions, and leaves it out for one row per sample', () => {
    // 2 samples x 3 positions x 2 classes; sample 1 disagrees at 2 of 3 positions.
    const ref = Float32Array.from([1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1]);
    const act = Float32Array.from([1, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 0]);
    const t = top1Agreement(ref, act, 6, 2);
    expect(t.agreement).toBeCloseTo(4 / 6, 6);
    expect(Array.from(t.perSample!)).toEqual([1, expect.closeTo(1 / 3, 6)]);
    expect(compareOutput('classification', out(ref, 6, 2), out(act, 6, 2))).toMatchObject({ top1_worst: expect.closeTo(0.333333, 5), worst_sample: { top1: 1 } });
    expect(compareOutput('classification', out(ref, 2), out(act, 2)).top1_worst).toBeUndefined();
  });

  it('gives scalars their worst sample\'s relative error and state its worst sequence\'s drift', () => {
    const s = compareOutput('scalar', out(Float32Array.from([1, 1, 1, 1]), 1), out(Float32Array.from([1, 1.3, 1, 1.1]), 1));
    expect(s).toMatchObject({ rel_err_worst: expect.closeTo(0.3, 5), worst_sample: { rel: 1 } });
    const st = compareOutput('state', out(Float32Array.from([3, 4, 1, 0]), 2), out(Float32Array.from([3, 4.5, 1, 0.1]), 2));
    expect(st.drift_worst).toBeCloseTo(0.1, 6);
    expect(worstOf([0.2, 0.1, 0.3], true)).toEqual({ value: 0.3, sample: 2 });
  });
});

describe('floors added to the defaults', () => {
  it('adds a floor of another metric to the defaults instead of replacing them', () => {
    expect(floorsFor({ y: 'regression' }, parseFloors(['snr=20']))).toEqual({
      y: [{ metric: 'cosine', value: 0.99 }, { metric: 'snr', value: 20 }, { metric: 'cosine_worst', value: 0.95, whereMeasured: true }],
    });
  });

  it('derives the worst-sample floor from a mean floor given, unless the worst is given too', () => {
    expect(floorsFor({ y: 'regression' }, parseFloors(['cosine=0.9']))['y']).toContainEqual({ metric: 'cosine_worst', value: 0.5, whereMeasured: true });
    expect(floorsFor({ y: 'regression' }, parseFloors(['cosine_worst=0.98']))['y']).toEqual([{ metric: 'cosine', value: 0.99 }, { metric: 'cosine_worst', value: 0.98 }]);
    expect(floorsFor({ p: 'classification' }, parseFloors(['top1=0.95']))['p']).toContainEqual({ metric: 'top1_worst', value: 0.75, whereMeasured: true });
  });

  it('skips a derived worst-sample floor where the metric does not exist, and fails one given explicitly', () => {
    const one = compareOutput('classification', out(Float32Array.from([1, 0, 0, 1]), 2), out(Float32Array.from([1, 0, 0, 1]), 2));
    expect(gate({ outputs: { p: one } }, floorsFor({ p: 'classification' }, [])).passes).toBe(true);
    const explicit = gate({ outputs: { p: one } }, floorsFor({ p: 'classification' }, parseFloors(['top1_worst=0.9'])));
    expect(explicit.failures).toEqual(["'p' has no top1_worst"]);
  });

  it('gates a downstream model\'s outputs under their own keys and names them', () => {
    const ok = { kind: 'scalar' as const, max_abs_err: 0, mean_abs_err: 0, mean_rel_err: 0 };
    const bad = { ...ok, mean_rel_err: 0.3 };
    const floors = { p: [{ metric: 'rel' as const, value: 0.05 }], [downstreamKey('score')]: [{ metric: 'rel' as const, value: 0.05 }] };
    const verdict = gate({ outputs: { p: ok }, downstream: { model: 'kws.onnx', inputs: { x: 'p' }, samples: 4, outputs: { score: bad } } }, floors);
    expect(verdict.failures).toEqual(["downstream 'score' rel 0.3 > 0.05"]);
    expect(gate({ outputs: { p: ok } }, floors).failures).toEqual(["downstream 'score' has no rel"]);
  });

  it('refuses worst-sample floors out of range, and names the new metrics when one is unknown', () => {
    expect(() => parseFloors(['cosine_worst=1.5'])).toThrow(/cosine_worst is between 0 and 1/);
    expect(parseFloors(['snr_worst=-3'])).toEqual([{ metric: 'snr_worst', value: -3 }]);
    expect(() => parseFloors(['cosine_best=0.9'])).toThrow(/metric one of .*cosine_worst .*flips .*near .*iou/);
  });
});
