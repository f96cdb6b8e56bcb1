/** The latency line every part of the loop predicts with: its value at an item count, and scaled by a speed factor. */
import { describe, expect, it } from 'vitest';
import { at, scaled } from '../../src/latency/line.js';

describe('a latency line', () => {
  it('predicts fixed + per-item x items', () => {
    expect(at({ fixed_ms: 2, per_item_ms: 0.5 }, 4)).toBe(4);
    expect(at({ fixed_ms: 2, per_item_ms: 0.5 }, 0)).toBe(2);
  });

  it('scales both terms, so a scaled line predicts the scaled value at every item count', () => {
    const line = { fixed_ms: 1.5, per_item_ms: 0.25 };
    expect(scaled(line, 2)).toEqual({ fixed_ms: 3, per_item_ms: 0.5 });
    for (const items of [1, 3, 32]) expect(at(scaled(line, 3), items)).toBeCloseTo(3 * at(line, items), 12);
  });
});
