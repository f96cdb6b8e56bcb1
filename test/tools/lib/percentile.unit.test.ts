/** The one percentile of tools and bench: nearest rank, q from 0 to 1. */
import { describe, expect, it } from 'vitest';
import { percentile } from '../../../tools/lib/percentile.js';

describe('percentile', () => {
  it('takes nearest-rank percentiles', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 0.5)).toBe(50);
    expect(percentile(xs, 0.95)).toBe(95);
    expect(percentile(xs, 0.99)).toBe(99);
    expect(percentile([3], 0.95)).toBe(3);
    expect(percentile([5, 1, 3, 2, 4], 0.5)).toBe(3);
  });

  it('answers an observed sample, never an interpolation', () => {
    expect(percentile([10, 20], 0.5)).toBe(10);
    expect(percentile([10, 20], 0.51)).toBe(20);
  });

  it('clamps q to the smallest and largest sample', () => {
    expect(percentile([4, 2, 9], 0)).toBe(2);
    expect(percentile([4, 2, 9], 1)).toBe(9);
  });

  it('leaves the samples unsorted and is NaN without samples', () => {
    const xs = [3, 1, 2];
    percentile(xs, 0.5);
    expect(xs).toEqual([3, 1, 2]);
    expect(percentile([], 0.5)).toBeNaN();
  });
});
