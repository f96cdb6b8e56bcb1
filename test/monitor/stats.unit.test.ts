/**
 * The confidence arithmetic (src/monitor/stats.ts) against textbook values, and the verdicts drawn from it
 * (src/monitor/verdict.ts): which test, at which confidence, and when too few samples decide nothing.
 */
import { describe, expect, it } from 'vitest';
import { meanInterval, normalQuantile, sumsOf, wilson } from '../../src/monitor/stats.js';
import type { OutputEvidence } from '../../src/monitor/verdict.js';
import { judge } from '../../src/monitor/verdict.js';

describe('normal quantiles', () => {
  it.each([
    [0.5, 0],
    [0.8413447, 1],
    [0.95, 1.6448536],
    [0.975, 1.959964],
    [0.99, 2.3263479],
    [0.999, 3.0902323],
    [0.01, -2.3263479],
  ])('Φ⁻¹(%s) = %s', (p, z) => expect(normalQuantile(p)).toBeCloseTo(z, 5));

  it('refuses probabilities outside (0, 1)', () => {
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});

describe('Wilson interval', () => {
  it('matches the textbook interval for 81 of 100 at z = 1.96', () => {
    const w = wilson(81, 100, 1.96);
    expect(w.score).toBe(0.81);
    expect(w.lower).toBeCloseTo(0.7222, 4);
    expect(w.upper).toBeCloseTo(0.8749, 4);
  });

  it('has width at 0 and n successes, and stays inside [0, 1]', () => {
    const none = wilson(0, 10, 2.326);
    expect(none.lower).toBe(0);
    expect(none.upper).toBeGreaterThan(0.3);
    const all = wilson(10, 10, 2.326);
    expect(all.upper).toBe(1);
    expect(all.lower).toBeLessThan(0.7);
    expect(wilson(0, 0, 2)).toMatchObject({ lower: 0, upper: 1 });
  });
});

describe('mean with its standard error', () => {
  it('bounds the mean by z standard errors, within the score\'s range', () => {
    const s = sumsOf([0.9, 0.95, 1, 0.85, 0.9]);
    const m = meanInterval(s, 1.645);
    expect(m.score).toBeCloseTo(0.92, 9);
    const sd = Math.sqrt([0.9, 0.95, 1, 0.85, 0.9].reduce((a, x) => a + (x - 0.92) ** 2, 0) / 4);
    expect(m.se).toBeCloseTo(sd / Math.sqrt(5), 9);
    expect(m.upper).toBeCloseTo(0.92 + 1.645 * m.se, 9);
    expect(meanInterval(sumsOf([0.5]), 2)).toMatchObject({ lower: -1, upper: 1 });
  });
});

const agreement = (k: number, n: number): OutputEvidence => ({ metric: 'agreement', n, sum: k, sumsq: k });
const rule = { floor: 0.95, confidence: 0.99, minSamples: 30 };

describe('verdicts', () => {
  it('demotes when the upper bound of agreement is below the floor, and says so', () => {
    const v = judge({ logits: agreement(334, 412) }, rule);
    expect(v.status).toBe('below');
    expect(v.upper).toBeLessThan(0.95);
    expect(v.text).toMatch(/^production agreement 0\.811 \(n=412, upper 0\.8\d+\) < floor 0\.95$/);
  });

  it('is unsure with fewer samples than the minimum, however bad they look', () => {
    const v = judge({ logits: agreement(0, 29) }, rule);
    expect(v.status).toBe('unsure');
    expect(v.text).toMatch(/fewer than 30 samples/);
    expect(judge({ logits: agreement(0, 30) }, rule).status).toBe('below');
  });

  it('is unsure near the floor, and above it only when the lower bound clears it', () => {
    expect(judge({ logits: agreement(94, 100) }, rule).status).toBe('unsure');
    expect(judge({ logits: agreement(999, 1000) }, rule).status).toBe('above');
    expect(judge({ logits: agreement(999, 1000) }, { ...rule, floor: 0.999 }).status).toBe('unsure');
  });

  it('tests a cosine as a mean with its standard error, and the worst output decides', () => {
    const cos = (xs: number[]): OutputEvidence => ({ metric: 'cosine', ...sumsOf(xs) });
    const good = cos(Array.from({ length: 40 }, (_, i) => 0.999 - (i % 3) * 0.0005));
    const bad = cos(Array.from({ length: 40 }, (_, i) => 0.9 + (i % 5) * 0.01));
    expect(judge({ a: good }, { ...rule, floor: 0.99 }).status).toBe('above');
    const v = judge({ a: good, b: bad }, { ...rule, floor: 0.99 });
    expect(v).toMatchObject({ status: 'below', output: 'b', metric: 'cosine' });
    expect(v.text).toMatch(/^production cosine 0\.92 \(n=40, upper 0\.9\d+\) < floor 0\.99$/);
  });

  it('has nothing to say without samples', () => {
    expect(judge({}, rule)).toMatchObject({ status: 'unsure', n: 0, text: 'no production samples yet' });
  });
});
