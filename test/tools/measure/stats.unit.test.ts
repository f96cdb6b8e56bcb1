/** Measurement statistics: the latency fit and output comparison (percentiles: test/tools/lib). */
import { describe, expect, it } from 'vitest';
import { compareOutputs, fitLatency } from '../../../tools/measure/stats.js';

describe('measurement statistics', () => {
  it('fits fixed + per-item cost exactly on a straight line', () => {
    expect(fitLatency([1, 2, 4, 8].map((items) => ({ items, p95_ms: 0.5 + 0.25 * items })))).toEqual({ fixed_ms: 0.5, per_item_ms: 0.25 });
  });

  it('clamps a negative slope to zero with the mean as fixed cost', () => {
    expect(fitLatency([{ items: 1, p95_ms: 3 }, { items: 2, p95_ms: 1 }])).toEqual({ fixed_ms: 2, per_item_ms: 0 });
  });

  it('reports agreement, accuracy and errors between two output sets', () => {
    const ref = new Float32Array([1, 0, 0, 1]);
    const got = new Float32Array([0.9, 0.1, 0.6, 0.4]);
    const cmp = compareOutputs(ref, got, 2, [0, 0]);
    expect(cmp.top1_agreement).toBe(0.5);
    expect(cmp.accuracy).toBe(1);
    expect(cmp.max_abs_err).toBeCloseTo(0.6);
    expect(cmp.mean_abs_err).toBeCloseTo(0.35);
  });
});
