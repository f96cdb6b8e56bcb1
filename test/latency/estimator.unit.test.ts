/**
 * The online latency estimator (src/latency/estimator.ts): it starts at the manifest's prior, converges to
 * the machine it runs on within 50 noisy runs from a prior that is 2x off either way, forgets, and shrugs
 * off readings that are not durations and single outliers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LatencyEstimator } from '../../src/latency/estimator.js';

/** A small seeded PRNG (mulberry32), so every property run is reproducible from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const SIZES = [1, 2, 4, 8, 16, 32];

/** The true machine: fixed + per-item ms, with multiplicative noise up to +-noise. */
function machine(fixed: number, perItem: number, noise: number, random: () => number) {
  return (items: number) => (fixed + perItem * items) * (1 + noise * (2 * random() - 1));
}

/** Median |predicted - actual| / actual over fresh runs, after learning `n` runs. */
function errorAfter(est: LatencyEstimator, run: (items: number) => number, pick: () => number, n: number): number {
  for (let i = 0; i < n; i++) {
    const items = pick();
    est.observe(items, run(items));
  }
  const errors: number[] = [];
  for (let i = 0; i < 51; i++) {
    const items = pick();
    const actual = run(items);
    errors.push(Math.abs(est.predict(items) - actual) / actual);
  }
  return median(errors);
}

describe('the latency estimator', () => {
  it('predicts the prior before it has seen a run', () => {
    const est = new LatencyEstimator({ fixed_ms: 2, per_item_ms: 0.5 });
    expect(est.predict(1)).toBeCloseTo(2.5);
    expect(est.predict(32)).toBeCloseTo(18);
    expect(est.estimate()).toEqual({ fixed_ms: 2, per_item_ms: 0.5, tail: 0, observations: 0 });
  });

  it('converges within 20% median error after 50 noisy runs from a prior 2x off either way, whatever the batch sizes', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.2, max: 200, noNaN: true }),
        fc.double({ min: 0, max: 50, noNaN: true }),
        fc.constantFrom(0.5, 2),
        fc.double({ min: 0.5, max: 2, noNaN: true }),
        fc.constantFrom('one', 'mixed', 'large'),
        fc.integer(),
        (fixed, perItem, off, skew, sizes, seed) => {
          const random = rng(seed);
          // The prior is off by `off` overall, and its two terms are skewed against each other too.
          const est = new LatencyEstimator({ fixed_ms: fixed * off * skew, per_item_ms: (perItem * off) / skew });
          const pick = sizes === 'one' ? () => 1 : sizes === 'large' ? () => 32 : () => SIZES[Math.floor(random() * SIZES.length)]!;
          expect(errorAfter(est, machine(fixed, perItem, 0.2, random), pick, 50)).toBeLessThanOrEqual(0.2);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('lets about ten runs outweigh the prior: one run moves it a fifth of the way, ten most of it', () => {
    const est = new LatencyEstimator({ fixed_ms: 10, per_item_ms: 0 });
    est.observe(1, 20);
    expect(est.predict(1)).toBeGreaterThan(11);
    expect(est.predict(1)).toBeLessThan(14);
    for (let i = 0; i < 9; i++) est.observe(1, 20);
    expect(est.predict(1)).toBeGreaterThan(17);
  });

  it('rescales the whole profile from runs of one batch size (a uniformly faster machine)', () => {
    const est = new LatencyEstimator({ fixed_ms: 10, per_item_ms: 2 });
    for (let i = 0; i < 60; i++) est.observe(1, 6);
    expect(est.predict(1)).toBeCloseTo(6, 0);
    // The prior said 74 ms at 32 items; half-speed evidence at 1 item halves it.
    expect(est.predict(32)).toBeGreaterThan(30);
    expect(est.predict(32)).toBeLessThan(45);
  });

  it('ignores readings that are not durations: NaN, infinite, negative', () => {
    const est = new LatencyEstimator({ fixed_ms: 5, per_item_ms: 1 });
    for (const bad of [NaN, Infinity, -Infinity, -1]) expect(est.observe(1, bad)).toBe(false);
    expect(est.observe(NaN, 3)).toBe(false);
    expect(est.observe(0, 3)).toBe(false);
    expect(est.observe(1, 3, 0)).toBe(false);
    expect(est.predict(1)).toBe(6);
    expect(est.estimate().observations).toBe(0);
  });

  it('is not wrecked by one 10x GC pause, and forgets it', () => {
    const random = rng(7);
    const run = machine(4, 1, 0.1, random);
    const est = new LatencyEstimator({ fixed_ms: 4, per_item_ms: 1 });
    for (let i = 0; i < 60; i++) est.observe(2, run(2));
    const before = est.predict(2);
    est.observe(2, 60);
    expect(est.predict(2) / before).toBeLessThan(1.1);
    for (let i = 0; i < 50; i++) est.observe(2, run(2));
    expect(Math.abs(est.predict(2) / 6 - 1)).toBeLessThan(0.05);
  });

  it('follows a machine that changes speed (forgetting), and reports a tail margin for skewed noise', () => {
    const random = rng(3);
    const est = new LatencyEstimator({ fixed_ms: 10, per_item_ms: 0 });
    for (let i = 0; i < 100; i++) est.observe(1, 10);
    for (let i = 0; i < 100; i++) est.observe(1, random() < 0.8 ? 20 : 30);
    expect(est.predict(1)).toBeGreaterThan(20);
    expect(est.predict(1)).toBeLessThan(24);
    expect(est.estimate().tail).toBeGreaterThan(0.05);
  });

  it("counts a batched run by each request's share, so one run is one observation however many requests joined it", () => {
    const est = new LatencyEstimator({ fixed_ms: 10, per_item_ms: 1 });
    for (const share of [0.25, 0.25, 0.5]) est.observe(8, 9, share);
    expect(est.estimate().observations).toBeCloseTo(1);
  });

  it('keeps its predictions positive from a prior whose fit has a negative fixed cost', () => {
    const est = new LatencyEstimator({ fixed_ms: -0.198, per_item_ms: 0.1313 });
    expect(est.predict(1)).toBeGreaterThan(0);
    for (let i = 0; i < 50; i++) est.observe(1, 0.1);
    expect(est.predict(1)).toBeCloseTo(0.1, 2);
  });
});
