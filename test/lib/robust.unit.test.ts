/** Robust statistics: median, MAD rejection, trimmed mean and the clamped line fit. */
import { describe, expect, it } from 'vitest';
import { fitLine, mad, median, rejectOutliers, trimmedMean } from '../../src/lib/robust.js';

describe('robust statistics', () => {
  it('takes the median of odd and even samples', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('rejects a burst far from the median and records the dispersion', () => {
    const r = rejectOutliers([10, 11, 10.5, 9.8, 10.2, 60, 10.1]);
    expect(r.kept).not.toContain(60);
    expect(r.rejected).toBe(1);
    expect(r.median).toBe(10.2);
    expect(r.mad).toBeCloseTo(mad([10, 11, 10.5, 9.8, 10.2, 60, 10.1]));
  });

  it('keeps a quantised sample of equal values and drops only what exceeds the floor', () => {
    const r = rejectOutliers([1, 1, 1, 1, 2, 9], 3, 1);
    expect(r.kept).toEqual([1, 1, 1, 1, 2]);
  });

  it('averages the middle of a sample, so integer-ms times keep their fraction', () => {
    expect(trimmedMean([0, 0, 0, 1, 1, 0, 0, 1, 0, 0])).toBeCloseTo(0.25);
    expect(trimmedMean([1, 2, 3, 4, 100], 0.2)).toBe(3);
  });

  it('fits fixed + per-item cost, clamping a negative slope flat and a negative intercept through zero', () => {
    expect(fitLine([1, 2, 4].map((items) => ({ items, ms: 1 + 2 * items })))).toEqual({ fixed_ms: 1, per_item_ms: 2 });
    expect(fitLine([{ items: 1, ms: 3 }, { items: 2, ms: 1 }])).toEqual({ fixed_ms: 2, per_item_ms: 0 });
    const through = fitLine([{ items: 1, ms: 1 }, { items: 10, ms: 20 }])!;
    expect(through.fixed_ms).toBe(0);
    expect(through.per_item_ms).toBeCloseTo(201 / 101);
    expect(fitLine([])).toBeUndefined();
  });
});
