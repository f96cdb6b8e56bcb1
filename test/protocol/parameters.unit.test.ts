/**
 * The bounds on v2 `parameters` (src/protocol/parameters.ts) through the decoder: count per object and bytes
 * in all, for the request's, an input's and an output's, refused before the schema walks them.
 */
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../src/errors.js';
import type { RequestLimits } from '../../src/protocol/v2-request.js';
import { decodeInferRequest } from '../../src/protocol/v2-request.js';
import type { TensorSpec } from '../../src/protocol/datatypes.js';

const LIMITS: RequestLimits = { max_tensor_elements: 1000, max_inputs: 4, max_batch: 8, max_parameters: 8, max_parameter_bytes: 1024 };
const MODEL = { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3] }] as TensorSpec[], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }] as TensorSpec[], batch_axis: true };
const input = (parameters?: unknown) => ({ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3], ...(parameters === undefined ? {} : { parameters }) });
const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

function rejection(body: unknown, limits = LIMITS): InvalidInput {
  try {
    decodeInferRequest(body, MODEL, limits);
  } catch (e) {
    return e as InvalidInput;
  }
  throw new Error('expected a rejection');
}

describe('parameters in a v2 request', () => {
  it('keeps what the protocol sends: a few scalars on the request, the inputs and the outputs', () => {
    const req = decodeInferRequest({ parameters: { priority: 1, timeout: 5000, binary_data_output: false }, inputs: [input({ note: 'ok' })], outputs: [{ name: 'y', parameters: { classification: 2 } }] }, MODEL, LIMITS);
    expect(req.parameters).toEqual({ priority: 1, timeout: 5000, binary_data_output: false });
    expect(req.classification?.get('y')).toBe(2);
  });

  it.each([
    { why: 'a million request parameter keys', body: { parameters: many(1_000_000), inputs: [input()] }, msg: 'request parameters: more than 8 entries (limits.max_parameters)' },
    { why: 'too many keys on an input', body: { inputs: [input(many(9))] }, msg: "parameters of input 'x': more than 8 entries (limits.max_parameters)" },
    { why: 'too many keys on an output', body: { inputs: [input()], outputs: [{ name: 'y', parameters: many(9) }] }, msg: "parameters of output 'y': more than 8 entries (limits.max_parameters)" },
    { why: 'one long value', body: { parameters: { note: 'x'.repeat(2000) }, inputs: [input()] }, msg: 'request parameters exceed 1024 bytes in all (limits.max_parameter_bytes), passed at the request parameters' },
    { why: 'a deep value', body: { parameters: { a: { b: { c: Array(1000).fill(1) } } }, inputs: [input()] }, msg: /exceed 1024 bytes in all \(limits\.max_parameter_bytes\)/ },
    {
      why: 'small objects that add up',
      body: { parameters: { a: 'x'.repeat(400) }, inputs: [input({ b: 'x'.repeat(400) })], outputs: [{ name: 'y', parameters: { c: 'x'.repeat(400) } }] },
      msg: "request parameters exceed 1024 bytes in all (limits.max_parameter_bytes), passed at the parameters of output 'y'",
    },
    { why: 'a million outputs that each carry one', body: { inputs: [input()], outputs: Array.from({ length: 1_000_000 }, () => ({ name: 'y', parameters: { binary_data: true } })) }, msg: /passed at the parameters of output 'y'$/ },
  ])('refuses $why with a 400 naming the limit', ({ body, msg }) => {
    const err = rejection(body);
    expect(err).toBeInstanceOf(InvalidInput);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(msg);
  });

  it('refuses too many inputs (413) before looking at their parameters', () => {
    const err = rejection({ inputs: Array.from({ length: 1000 }, () => input(many(100))) });
    expect(err.status).toBe(413);
    expect(err.message).toBe('1000 inputs exceed the limit of 4');
  });
});
