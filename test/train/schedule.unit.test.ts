/**
 * The learning-rate schedules of tools/train/finetune.ts: constant holds `lr` (the default, so earlier runs
 * keep their bytes), cosine starts at `lr`, is at half of it midway and ends near 0, never rising.
 */
import { describe, expect, it } from 'vitest';
import { learningRate } from '../../tools/train/finetune.js';

describe('learning-rate schedules', () => {
  it('holds the rate at every step when constant', () => {
    expect([0, 50, 99].map((s) => learningRate('constant', 2e-3, s, 100))).toEqual([2e-3, 2e-3, 2e-3]);
  });

  it('follows a cosine from the rate at the first step to half midway and near zero at the last', () => {
    expect(learningRate('cosine', 2e-3, 0, 100)).toBe(2e-3);
    expect(learningRate('cosine', 2e-3, 50, 100)).toBeCloseTo(1e-3, 12);
    // Step 99 of 100: lr·(1 + cos(0.99π))/2 = lr·0.000247.
    expect(learningRate('cosine', 2e-3, 99, 100)).toBeCloseTo(2e-3 * 0.000247, 8);
  });

  it('never rises under cosine', () => {
    const rates = Array.from({ length: 375 }, (_, s) => learningRate('cosine', 1e-3, s, 375));
    expect(rates.every((r, i) => i === 0 || r <= rates[i - 1]!)).toBe(true);
  });
});
