/**
 * Fidelity by output kind (fidelity.ts), the kinds `--task auto` gives outputs (kinds.ts), and the gate's
 * floors (gate.ts): pure functions over hand-made outputs and small graphs.
 */
import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { compareAll, compareOutput } from '../../../tools/measure/fidelity.js';
import { floorsFor, gate, parseFloors } from '../../../tools/measure/gate.js';
import { outputKinds, parseTask } from '../../../tools/measure/kinds.js';
import { melNet, scalarNet, stateNet } from '../compress/kind-graphs.js';

const out = (values: number[], width: number, last = width) => ({ width, last, data: Float32Array.from(values) });
const spec = (name: string, shape: number[]): TensorSpec => ({ name, datatype: 'FP32', shape });

describe('compareOutput by kind', () => {
  it('scores scalar outputs by absolute and relative error, without a cosine', () => {
    const f = compareOutput('scalar', out([0.5, 0.2, 0.8, 0.4], 1), out([0.55, 0.2, 0.8, 0.3], 1));
    expect(f.cosine).toBeUndefined();
    expect(f.max_abs_err).toBeCloseTo(0.1, 6);
    expect(f.mean_abs_err).toBeCloseTo(0.0375, 6);
    expect(f.max_rel_err).toBeCloseTo(0.25, 5); // 0.1 / 0.4
    expect(f.mean_rel_err).toBeCloseTo((0.1 + 0 + 0 + 0.25) / 4, 5);
  });

  it('takes top-1 per row of the last axis, so a sequence of class scores is judged per position', () => {
    // One sample of 2 positions x 3 classes: position 0 agrees, position 1 does not.
    const f = compareOutput('classification', out([0.1, 0.8, 0.1, 0.6, 0.3, 0.1], 6, 3), out([0.2, 0.7, 0.1, 0.3, 0.6, 0.1], 6, 3));
    expect(f.top1_agreement).toBe(0.5);
    expect(f.cosine).toBeGreaterThan(0.8);
  });

  it('gives regression outputs cosine, SNR in dB and error relative to the largest reference value', () => {
    const f = compareOutput('regression', out([1, -2, 3, 4], 4), out([1.1, -2, 3, 4], 4));
    expect(f.snr_db).toBeCloseTo(10 * Math.log10(30 / 0.01), 1);
    expect(f.max_rel_err).toBeCloseTo(0.1 / 4, 5);
    expect(compareOutput('regression', out([1, 2], 2), out([1, 2], 2)).snr_db).toBe(200);
  });

  it('measures state drift as the relative L2 error of the final state, averaged over sequences', () => {
    const f = compareOutput('state', out([3, 4, 1, 0], 2), out([3, 4.5, 1, 0.1], 2), { steps: 8 });
    expect(f.drift).toBeCloseTo((0.5 / 5 + 0.1 / 1) / 2, 6);
    expect(f.steps).toBe(8);
  });

  it('summarises the worst agreement and cosine over outputs and keeps every output in detail', () => {
    const ref = { a: out([0.9, 0.1, 0.2, 0.8], 2), b: out([1, 2, 3], 3) };
    const act = { a: out([0.8, 0.2, 0.6, 0.4], 2), b: out([1, 2, 2], 3) };
    const f = compareAll(ref, act, { kinds: { a: 'classification', b: 'regression' } }, { evalSet: 'x', kind: 'random', samples: 2 });
    expect(f.top1_agreement).toBe(0.5);
    expect(f.cosine).toBe(Math.min(f.outputs!['a']!.cosine!, f.outputs!['b']!.cosine!));
    expect(Object.keys(f.outputs!)).toEqual(['a', 'b']);
    expect(f.eval_set_kind).toBe('random');
  });
});

describe('output kinds under --task auto', () => {
  it('does not call a log-mel map a classifier, though its last axis has 40 bins', () => {
    const m = melNet();
    expect(outputKinds(m, [spec('frames', [-1, 16, 32])], [spec('log_mel', [-1, 16, 40])], parseTask(['auto']))).toEqual({ log_mel: 'regression' });
  });

  it('calls class scores a classifier when a Softmax produces them or their name says so', () => {
    const named = melNet('logits');
    expect(outputKinds(named, [spec('frames', [-1, 16, 32])], [spec('logits', [-1, 16, 40])], parseTask(['auto']))).toEqual({ logits: 'classification' });
    const soft = melNet('raw');
    soft.graph.node.push({ op_type: 'Softmax', input: ['raw'], output: ['out'], name: 'sm' });
    expect(outputKinds(soft, [], [spec('out', [-1, 10])], parseTask(['auto']))).toEqual({ out: 'classification' });
  });

  it('calls one value per sample scalar, and a fed-back output state', () => {
    expect(outputKinds(scalarNet(), [spec('x', [-1, 8])], [spec('p', [-1, 1])], parseTask(['auto']))).toEqual({ p: 'scalar' });
    const inputs = [spec('x', [-1, 8]), spec('state', [-1, 16])];
    expect(outputKinds(stateNet(), inputs, [spec('y', [-1, 4]), spec('stateN', [-1, 16])], parseTask(['auto']))).toEqual({ y: 'regression', stateN: 'state' });
  });

  it('settles outputs with dynamic dims from the widths a reference run measured', () => {
    expect(outputKinds(undefined, [], [spec('v', [-1, -1])], parseTask(['auto']), { v: 1 })).toEqual({ v: 'scalar' });
  });

  it('lets --task set a kind per output, and names an unknown output or kind', () => {
    const t = parseTask(['log_mel=classifier']);
    expect(outputKinds(melNet(), [], [spec('log_mel', [-1, 16, 40])], t)).toEqual({ log_mel: 'classification' });
    expect(() => outputKinds(melNet(), [], [spec('log_mel', [-1, 16, 40])], parseTask(['mel=scalar']))).toThrow(/no output named 'mel'/);
    expect(() => parseTask(['spectrogram'])).toThrow(/unknown kind 'spectrogram'/);
  });
});

describe('the fidelity gate', () => {
  it('holds each output to its kind\'s default floors, each mean with its worst sample\'s, replaced metric by metric by the floors given for its kind or its name', () => {
    const kinds = { p: 'scalar', y: 'regression', s: 'state' } as const;
    expect(floorsFor(kinds, [])).toEqual({
      p: [{ metric: 'rel', value: 0.05 }],
      y: [{ metric: 'cosine', value: 0.99 }, { metric: 'cosine_worst', value: 0.95, whereMeasured: true }],
      s: [{ metric: 'drift', value: 0.05 }, { metric: 'drift_worst', value: 0.25, whereMeasured: true }],
    });
    const given = floorsFor(kinds, parseFloors(['y:cosine=0.999,rel=0.01']));
    expect(given).toEqual({
      p: [{ metric: 'rel', value: 0.01 }],
      y: [{ output: 'y', metric: 'cosine', value: 0.999 }, { output: 'y', metric: 'cosine_worst', value: 0.995, whereMeasured: true }],
      s: [{ metric: 'drift', value: 0.05 }, { metric: 'drift_worst', value: 0.25, whereMeasured: true }],
    });
  });

  it('refuses a floor that judges no output, or that does not fit the output it names', () => {
    expect(() => floorsFor({ p: 'scalar' }, parseFloors(['top1=0.99']))).toThrow(/top1: applies to no output \(outputs: 'p' scalar/);
    expect(() => floorsFor({ p: 'scalar' }, parseFloors(['p:cosine=0.9']))).toThrow(/output 'p' is scalar; cosine judges classification or regression/);
    expect(() => parseFloors(['cosine=2'])).toThrow(/between 0 and 1/);
    expect(() => parseFloors(['psnr=3'])).toThrow(/expected \[output:\]metric=value/);
  });

  it('passes only when every output passes, lower-is-better metrics included', () => {
    const floors = floorsFor({ p: 'scalar', y: 'regression' }, []);
    const good = { outputs: { p: { kind: 'scalar' as const, max_abs_err: 0, mean_abs_err: 0, mean_rel_err: 0.01 }, y: { kind: 'regression' as const, max_abs_err: 0, mean_abs_err: 0, cosine: 0.995 } } };
    expect(gate(good, floors).passes).toBe(true);
    const bad = { outputs: { ...good.outputs, p: { ...good.outputs.p, mean_rel_err: 0.2 } } };
    const verdict = gate(bad, floors);
    expect(verdict.passes).toBe(false);
    expect(verdict.failures).toEqual(["'p' rel 0.2 > 0.05"]);
    expect(verdict.label).toBe("'p' rel 0.2 > 0.05");
  });
});
