/**
 * The one Server-Timing parser and formatter: the gateway's own headers, the origin's, and the odd forms the
 * spec allows (parameters in any order, quoted values, descriptions) all read the same way.
 */
import { describe, expect, it } from 'vitest';
import { formatServerTiming, parseServerTiming } from '../../src/lib/server-timing.js';

describe('formatServerTiming', () => {
  it('lists the durations in their order with two decimals and leaves out the ones not measured', () => {
    expect(formatServerTiming({ select: 0.123, load: undefined, queue: 1, infer: 12.345 })).toBe('select;dur=0.12, queue;dur=1.00, infer;dur=12.35');
  });

  it('is empty when nothing was measured', () => {
    expect(formatServerTiming({})).toBe('');
  });
});

describe('parseServerTiming', () => {
  it('reads back what the gateway writes', () => {
    const t = { select: 0.1, queue: 3, infer: 20.25, predicted: 18.5 };
    expect(parseServerTiming(formatServerTiming(t))).toEqual({ select: 0.1, queue: 3, infer: 20.25, predicted: 18.5 });
  });

  it('takes parameters in any order, quoted durations and extra spaces', () => {
    expect(parseServerTiming('infer;desc="run";dur=3.4 ,  load ; dur = 1.2, cache;dur="0.5"')).toEqual({ infer: 3.4, load: 1.2, cache: 0.5 });
  });

  it('leaves out metrics without a usable duration and keeps the first of a repeated one', () => {
    expect(parseServerTiming('miss, cpu;dur=abc, neg;dur=-1, infer;dur=2, infer;dur=9')).toEqual({ infer: 2 });
  });

  it('is empty for an absent or empty header', () => {
    expect(parseServerTiming(null)).toEqual({});
    expect(parseServerTiming(undefined)).toEqual({});
    expect(parseServerTiming('')).toEqual({});
  });
});
