/**
 * The request log line as built from the data plane's typed outcome, and as the feedback Tail Worker reads it
 * back with the shared schema: one type on both sides of the process boundary.
 */
import { describe, expect, it } from 'vitest';
import type { InferOutcome } from '../../src/dataplane.js';
import { parseRequestLine, RequestLogLine } from '../../src/latency/request-line.js';
import { requestLogLine } from '../../routes/request-log.js';

const request = { requestId: 'r1', method: 'POST', path: '/v2/models/mnist/infer', status: 200, ms: 7, caller: '0123456789abcdef' };
const outcome = (served: { variant: string; site: string }) =>
  ({
    served: { ...served, reason: 'int8 at edge: most accurate' },
    timings: { select: 0.1, infer: 2 },
    predictedMs: 1.5,
    decision: { target: 'edge', variant: 'int8', predicted_ms: 3 },
    items: 2,
    batch: 2,
    wire: { body_bytes: 6400, tensor_bytes: 6272 },
  }) as unknown as InferOutcome;

describe('the request log line', () => {
  it('says what ran, where, for how many items, and what was predicted, from the outcome', () => {
    const line = requestLogLine(request, outcome({ variant: 'int8', site: 'edge' }));
    expect(line).toEqual({
      event: 'request',
      request_id: 'r1',
      method: 'POST',
      path: '/v2/models/mnist/infer',
      model: 'mnist',
      status: 200,
      variant: 'int8',
      target: 'edge',
      reason: 'int8 at edge: most accurate',
      server_timing: 'select;dur=0.10, infer;dur=2.00, predicted;dur=1.50',
      items: 2,
      batch: 2,
      predicted_ms: 3,
      caller: '0123456789abcdef',
      body_bytes: 6400,
      tensor_bytes: 6272,
      ms: 7,
    });
  });

  it('leaves the prediction out when a fallback ran something else than was predicted', () => {
    expect(requestLogLine(request, outcome({ variant: 'fp32', site: 'origin' })).predicted_ms).toBeUndefined();
  });

  it('names the model and status of a request that served no inference', () => {
    const line = requestLogLine({ ...request, status: 404, path: '/v2/models/nope/ready', method: 'GET' });
    expect(line).toEqual({ event: 'request', request_id: 'r1', method: 'GET', path: '/v2/models/nope/ready', model: 'nope', status: 404, ms: 7 });
  });

  it('is read back by the shared schema exactly as written (JSON drops what is undefined)', () => {
    const line = requestLogLine(request, outcome({ variant: 'int8', site: 'edge' }));
    const text = JSON.stringify(line);
    expect(parseRequestLine(text)).toEqual(JSON.parse(text));
    expect(RequestLogLine.safeParse(JSON.parse(JSON.stringify(requestLogLine({ ...request, status: 500 })))).success).toBe(true);
  });
});
