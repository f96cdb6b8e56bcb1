/**
 * Property-based fuzzing (fast-check) of request bodies and headers against the worker in workerd:
 * whatever arrives, the answer is a 2xx or a 4xx, never a 5xx (this model is served at the edge, so no
 * origin failure can excuse one), and every error is JSON `{"error": string}`. Bounded in runs and time.
 */
import fc from 'fast-check';
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { digits } from '../helpers.js';

const datatypes = ['FP32', 'FP16', 'FP64', 'INT64', 'INT32', 'INT8', 'UINT8', 'BOOL', 'BYTES', 'fp32', '', 'WAT'];
const leaf = fc.oneof(fc.double(), fc.integer(), fc.boolean(), fc.string({ maxLength: 4 }), fc.constant(null), fc.constant(1e308));
const data = fc.oneof(fc.array(leaf, { maxLength: 8 }), fc.array(fc.array(leaf, { maxLength: 4 }), { maxLength: 4 }), leaf, fc.constant(digits.inputs[0]));
const shape = fc.oneof(
  fc.array(fc.oneof(fc.integer({ min: -3, max: 1000 }), fc.double(), fc.constant(784), fc.constant(1e12), fc.string({ maxLength: 2 })), { maxLength: 4 }),
  fc.constant([1, 784]),
);
const input = fc.record(
  {
    name: fc.oneof(fc.constant('input'), fc.string({ maxLength: 6 })),
    datatype: fc.constantFrom(...datatypes),
    shape,
    data,
    parameters: fc.dictionary(fc.string({ maxLength: 4 }), leaf, { maxKeys: 2 }),
  },
  { requiredKeys: [] },
);
const body = fc.oneof(
  fc.record(
    {
      id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
      inputs: fc.oneof(fc.array(input, { maxLength: 3 }), leaf),
      outputs: fc.array(fc.record({ name: fc.oneof(fc.constant('logits'), fc.string({ maxLength: 4 })) }), { maxLength: 2 }),
      parameters: fc.oneof(fc.dictionary(fc.string({ maxLength: 6 }), leaf, { maxKeys: 3 }), fc.record({ slo_ms: leaf })),
    },
    { requiredKeys: [] },
  ).map((b) => JSON.stringify(b)),
  fc.string({ maxLength: 64 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
);
const headers = fc.record(
  {
    'x-slo-ms': fc.oneof(fc.integer({ min: -10, max: 100000 }).map(String), fc.string({ maxLength: 5 }), fc.constant('10000')),
    'x-model-variant': fc.oneof(fc.constantFrom('fp32', 'fp16', 'int8', 'FP16', 'int4', ''), fc.string({ maxLength: 5 })),
    RTT: fc.oneof(fc.nat(5000).map(String), fc.string({ maxLength: 5 })),
    ECT: fc.constantFrom('slow-2g', '2g', '3g', '4g', '5g', '__proto__', 'constructor'),
    Downlink: fc.oneof(fc.double({ min: 0, max: 100, noNaN: true }).map(String), fc.string({ maxLength: 5 })),
    'Save-Data': fc.constantFrom('on', 'off', '1'),
    'Device-Memory': fc.constantFrom('0.25', '8', 'lots', '-1'),
    'Sec-CH-UA-Mobile': fc.constantFrom('?0', '?1', 'yes'),
    'content-type': fc.constantFrom('application/json', 'text/plain', 'application/octet-stream'),
  },
  { requiredKeys: [] },
);

describe('fuzzing the v2 infer route', () => {
  it('answers every body and header combination with a 2xx or a JSON 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(body, headers, fc.constantFrom('/v2/models/mnist/infer', '/v2/models/mnist/versions/1/infer', '/v2/models/mnist/versions/x/infer'), async (b, h, path) => {
        const res = await SELF.fetch(`http://gateway.test${path}`, { method: 'POST', body: b, headers: h as Record<string, string> });
        const text = await res.text();
        expect(res.status, `${res.status} for ${b.slice(0, 200)} ${JSON.stringify(h)}: ${text.slice(0, 200)}`).toBeLessThan(500);
        const json = JSON.parse(text);
        if (res.status >= 400) expect(typeof json.error).toBe('string');
        else expect(Array.isArray(json.outputs)).toBe(true);
      }),
      { numRuns: 300, seed: 20261128, interruptAfterTimeLimit: 45_000 },
    );
  });
});
