/** From repeated runs to a manifest point (outliers rejected, dispersion kept), and the interleaving order. */
import { describe, expect, it } from 'vitest';
import { roundOrder, summarise } from '../../../tools/measure/profile.js';

describe('latency points from repeated runs', () => {
  it('drops a burst of outside load before taking p50 and p95, and records it', () => {
    const runs = [10, 10.2, 9.9, 10.1, 10.3, 9.8, 10, 48, 10.1, 10.2];
    const p = summarise(4, runs);
    expect(p).toMatchObject({ items: 4, runs: 10, rejected: 1 });
    expect(p.p95_ms).toBeLessThan(11);
    expect(p.p50_ms).toBeCloseTo(10.1, 5);
    expect(p.mad_ms).toBeGreaterThan(0);
  });

  it('keeps a flat sample whole: timer jitter is not an outlier', () => {
    expect(summarise(1, [1, 1, 1, 1, 1.01]).rejected).toBe(0);
  });
});

describe('the interleaving order', () => {
  it('rotates the variants each round so none always runs first', () => {
    expect([0, 1, 2, 3].map((r) => roundOrder(['fp32', 'fp16', 'int8'], r).join(' '))).toEqual(['fp32 fp16 int8', 'fp16 int8 fp32', 'int8 fp32 fp16', 'fp32 fp16 int8']);
  });
});
