/**
 * The routing headers the v2 route renders from the data plane's typed result, Server-Timing included.
 */
import { describe, expect, it } from 'vitest';
import type { InferOutcome } from '../../src/dataplane.js';
import { routedHeaders } from '../../routes/v2/headers.js';

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
