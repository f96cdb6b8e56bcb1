/**
 * The routing headers the v2 route renders from the data plane's typed result, Server-Timing included.
 */
import { describe, expect, it } from 'vitest';
import type { InferOutcome } from '../../src/dataplane.js';
import { routedHeaders, serverTiming } from '../../routes/v2/headers.js';

describe('serverTiming', () => {
  it('lists the durations in their order with two decimals and leaves out the ones not measured', () => {
    expect(serverTiming({ select: 0.123, load: undefined, queue: 1, infer: 12.345 })).toBe('select;dur=0.12, queue;dur=1.00, infer;dur=12.35');
  });

  it('is empty when nothing was measured', () => {
    expect(serverTiming({})).toBe('');
  });
});

describe('routedHeaders', () => {
  it('says what ran, where, why and how long, from the typed result', () => {
    const outcome = {
      served: { variant: 'int8', site: 'origin', reason: 'edge fp32 failed (x); fell back to origin' },
      timings: { select: 0.5, origin: 20 },
      predictedMs: 12.345,
    } as unknown as InferOutcome;
    expect(routedHeaders(outcome)).toEqual({
      'x-model-variant': 'int8',
      'x-served-by': 'origin',
      'x-route-reason': 'edge fp32 failed (x); fell back to origin',
      'server-timing': 'select;dur=0.50, origin;dur=20.00, predicted;dur=12.35',
    });
  });
});
