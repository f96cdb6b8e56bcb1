/**
 * The Worker's comparators (src/monitor/compare.ts) against the compressor's (tools/measure/fidelity.ts) on
 * the same arrays: the production figure and the offline one must mean the same thing, or "production vs
 * offline" compares two different metrics.
 */
import { describe, expect, it } from 'vitest';
import { compareAnswers, compareOutput, outputKind } from '../../src/monitor/compare.js';
import type { Tensor } from '../../src/protocol/tensor.js';
import type { ModelManifest, OutputKind } from '../../src/registry/manifest.js';
import { Prng } from '../../tools/lib/prng.js';
import { compareOutput as toolsCompare } from '../../tools/measure/fidelity.js';

const rng = new Prng(24);
const noise = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * scale);
const tensor = (data: Float32Array, shape: number[]): Tensor => ({ name: 'y', datatype: 'FP32', shape, data });
/** A reference and a perturbed copy of `rows` samples of `shape` (batch first). */
function pair(rows: number, rest: number[], perturb: number, offset = 0) {
  const width = rest.reduce((a, b) => a * b, 1);
  const ref = noise(rows * width, 3).map((x) => x + offset);
  const act = ref.map((x) => x + (rng.next() * 2 - 1) * perturb);
  return { ref, act, width, last: rest.at(-1) ?? 1, shape: [rows, ...rest] };
}

describe('the production comparators agree with the compressor on the same arrays', () => {
  it('classification: top-1 agreement, one row per sample', () => {
    const p = pair(200, [10], 0.8);
    const mine = compareOutput('classification', tensor(p.ref, p.shape), tensor(p.act, p.shape), 200)!;
    const tools = toolsCompare('classification', { width: p.width, last: p.last, data: p.ref }, { width: p.width, last: p.last, data: p.act });
    expect(tools.top1_agreement).toBeGreaterThan(0.5);
    expect(tools.top1_agreement).toBeLessThan(1);
    expect(mine.top1_agreement).toBe(tools.top1_agreement);
    expect(mine.metric).toBe('agreement');
    expect(mine.sums.n).toBe(200);
    expect(mine.sums.sum / mine.sums.n).toBeCloseTo(tools.top1_agreement!, 9);
    // Each sample scores 0 or 1: a Bernoulli rate.
    expect(mine.sums.sumsq).toBe(mine.sums.sum);
  });

  it('classification per position: a sample of several rows scores the share of its rows that agree', () => {
    const p = pair(20, [6, 5], 1.5);
    const mine = compareOutput('classification', tensor(p.ref, p.shape), tensor(p.act, p.shape), 20)!;
    const tools = toolsCompare('classification', { width: p.width, last: p.last, data: p.ref }, { width: p.width, last: p.last, data: p.act });
    expect(mine.top1_agreement).toBe(tools.top1_agreement);
    expect(mine.sums.n).toBe(20);
    expect(mine.worst).toBeCloseTo(tools.top1_worst!, 6);
  });

  it('regression: cosine and SNR over the request, and the worst sample\'s cosine', () => {
    const p = pair(32, [16], 0.5);
    const mine = compareOutput('regression', tensor(p.ref, p.shape), tensor(p.act, p.shape), 32)!;
    const tools = toolsCompare('regression', { width: p.width, last: p.last, data: p.ref }, { width: p.width, last: p.last, data: p.act });
    expect(mine.cosine).toBe(tools.cosine);
    expect(mine.snr_db).toBe(tools.snr_db);
    expect(mine.worst).toBeCloseTo(tools.cosine_worst!, 6);
    expect(mine.metric).toBe('cosine');
    expect(mine.sums.n).toBe(32);
  });

  it('scalar: mean relative error floored at 1% of the mean magnitude', () => {
    const p = pair(64, [1], 0.2, 2);
    const mine = compareOutput('scalar', tensor(p.ref, p.shape), tensor(p.act, p.shape), 64)!;
    const tools = toolsCompare('scalar', { width: 1, last: 1, data: p.ref }, { width: 1, last: 1, data: p.act });
    expect(mine.mean_rel_err).toBe(tools.mean_rel_err);
    // The score is 1 - relative error per sample, so its mean is 1 - the mean relative error (none is clamped here).
    expect(1 - mine.sums.sum / mine.sums.n).toBeCloseTo(tools.mean_rel_err!, 5);
    expect(1 - mine.worst).toBeCloseTo(tools.rel_err_worst!, 5);
  });

  it('state: the relative L2 drift per sample', () => {
    const p = pair(16, [8], 0.3);
    const mine = compareOutput('state', tensor(p.ref, p.shape), tensor(p.act, p.shape), 16)!;
    const tools = toolsCompare('state', { width: p.width, last: p.last, data: p.ref }, { width: p.width, last: p.last, data: p.act });
    expect(mine.drift).toBe(tools.drift);
    expect(1 - mine.worst).toBeCloseTo(tools.drift_worst!, 6);
  });

  it('identical outputs score perfectly whatever the kind; boxes are not judged online', () => {
    const p = pair(4, [10], 0);
    for (const kind of ['classification', 'regression', 'scalar', 'state', 'detection'] as OutputKind[]) {
      const c = compareOutput(kind, tensor(p.ref, p.shape), tensor(p.ref, p.shape), 4)!;
      expect(c.sums.sum / c.sums.n, kind).toBeCloseTo(1, 9);
    }
    expect(compareOutput('boxes', tensor(p.ref, p.shape), tensor(p.ref, p.shape), 4)).toBeUndefined();
    expect(() => compareOutput('regression', tensor(p.ref, p.shape), tensor(p.ref.slice(1), [39]), 4)).toThrow(/sizes differ/);
  });

  it('reads FP16 answers as numbers, not half bits', () => {
    const half = (x: number) => (x === 1 ? 0x3c00 : x === 2 ? 0x4000 : 0);
    const ref: Tensor = { name: 'y', datatype: 'FP32', shape: [1, 3], data: Float32Array.from([1, 2, 0]) };
    const act: Tensor = { name: 'y', datatype: 'FP16', shape: [1, 3], data: Uint16Array.from([1, 2, 0].map(half)) };
    expect(compareOutput('regression', ref, act, 1)!.cosine).toBe(1);
  });
});

describe('output kinds online', () => {
  const manifest = (outputs: ModelManifest['outputs'], fidelity: Record<string, unknown> = {}) =>
    ({ name: 'm', batch_axis: true, outputs, variants: { fp32: { fidelity: { top1_agreement: 1, ...fidelity } } } }) as unknown as ModelManifest;

  it('takes the kind the compressor recorded, else a classifier for a labelled or top-1-measured single output', () => {
    const logits = { name: 'logits', datatype: 'FP32' as const, shape: [-1, 10] };
    expect(outputKind(manifest([logits]), logits)).toBe('classification');
    expect(outputKind(manifest([logits], { outputs: { logits: { kind: 'regression' } } }), logits)).toBe('regression');
    const two = [logits, { name: 'score', datatype: 'FP32' as const, shape: [-1, 1] }];
    expect(outputKind(manifest(two), two[1]!)).toBe('scalar');
    expect(outputKind(manifest(two), logits)).toBe('regression');
  });

  it('compares every output both answers hold', () => {
    const logits = { name: 'logits', datatype: 'FP32' as const, shape: [-1, 3] };
    const ref: Tensor = { name: 'logits', datatype: 'FP32', shape: [2, 3], data: Float32Array.from([1, 0, 0, 0, 1, 0]) };
    const act: Tensor = { name: 'logits', datatype: 'FP32', shape: [2, 3], data: Float32Array.from([1, 0, 0, 1, 0, 0]) };
    const c = compareAnswers(manifest([logits]), [ref], [act], 2);
    expect(c.logits).toMatchObject({ metric: 'agreement', top1_agreement: 0.5, sums: { n: 2, sum: 1 } });
  });
});
