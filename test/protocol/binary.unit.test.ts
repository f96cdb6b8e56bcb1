/**
 * Triton's binary tensor extension: request bodies split at Inference-Header-Content-Length, binary
 * inputs read in order with their sizes checked, binary outputs encoded and decoded back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { joinBinaryBody, jsonDepthExceeds, parseRequestBody } from '../../src/protocol/binary.js';
import type { Tensor } from '../../src/protocol/tensor.js';
import { decodeInferRequest } from '../../src/protocol/v2-request.js';
import { decodeInferResponse, encodeInferResponse } from '../../src/protocol/v2-response.js';

const model = {
  inputs: [
    { name: 'x', datatype: 'FP32' as const, shape: [-1, 3] },
    { name: 'ids', datatype: 'INT64' as const, shape: [-1, 2] },
  ],
  outputs: [{ name: 'y', datatype: 'FP32' as const, shape: [-1, 3] }],
  batch_axis: true,
};
const limits = { max_tensor_elements: 1000, max_inputs: 8, max_batch: 8 };
const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function request(json: unknown, blocks: Uint8Array[]) {
  const { body, headerLength } = joinBinaryBody(json, blocks);
  return parseRequestBody(body, String(headerLength));
}

describe('binary request bodies', () => {
  it('reads binary inputs in order, beside JSON ones, and flags binary outputs', () => {
    const x = new Float32Array([1.5, -2, 3, 4, 5, 6]);
    const body = request(
      {
        inputs: [
          { name: 'x', datatype: 'FP32', shape: [2, 3], parameters: { binary_data_size: 24 } },
          { name: 'ids', datatype: 'INT64', shape: [2, 2], data: [1, 2, 3, 4] },
        ],
        parameters: { binary_data_output: true },
      },
      [bytes(x)],
    );
    const req = decodeInferRequest(body.json, model, limits, body.binary);
    expect([...req.inputs[0]!.data]).toEqual([...x]);
    expect([...req.inputs[1]!.data]).toEqual([1n, 2n, 3n, 4n]);
    expect([...req.binaryOutputs!]).toEqual(['y']);
  });

  it('reads a binary block at an offset that is not aligned to its element size', () => {
    const body = request({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }, { name: 'ids', datatype: 'INT64', shape: [1, 2], parameters: { binary_data_size: 16 } }] }, [
      bytes(new Float32Array([1, 2, 3])),
      bytes(new BigInt64Array([7n, -9n])),
    ]);
    // The JSON header's length is arbitrary, so the blocks start at odd offsets.
    const req = decodeInferRequest(body.json, model, limits, body.binary);
    expect([...req.inputs[1]!.data]).toEqual([7n, -9n]);
  });

  it.each([
    ['a size that does not match the shape', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 8 } }, { name: 'ids', datatype: 'INT64', shape: [1, 2], data: [1, 2] }] }, 12, /binary_data_size 8 does not match 3 FP32 elements/],
    ['more bytes than inputs claim', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }, { name: 'ids', datatype: 'INT64', shape: [1, 2], data: [1, 2] }] }, 16, /4 bytes that no input claims/],
    ['fewer bytes than declared', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }, { name: 'ids', datatype: 'INT64', shape: [1, 2], data: [1, 2] }] }, 8, /binary data ends after 8 of 12 bytes/],
    ['both data and a binary size', { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3], parameters: { binary_data_size: 12 } }, { name: 'ids', datatype: 'INT64', shape: [1, 2], data: [1, 2] }] }, 12, /both data and binary_data_size/],
  ])('rejects %s with a 400 naming it', (_, json, tail, message) => {
    const body = request(json, [new Uint8Array(tail)]);
    expect(() => decodeInferRequest(body.json, model, limits, body.binary)).toThrow(message);
  });

  it('rejects a header length outside the body and binary inputs without one', () => {
    expect(() => parseRequestBody(new Uint8Array(4), '9')).toThrow(/Inference-Header-Content-Length/);
    const plain = parseRequestBody(new TextEncoder().encode(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } }] })), undefined);
    expect(() => decodeInferRequest(plain.json, model, limits, plain.binary)).toThrow(/no Inference-Header-Content-Length/);
  });
});

describe('binary responses', () => {
  it('encodes chosen outputs as bytes and decodes them back', () => {
    const outputs: Tensor[] = [
      { name: 'y', datatype: 'FP32', shape: [1, 3], data: new Float32Array([0.5, 1, -1]) },
      { name: 'z', datatype: 'INT64', shape: [1], data: new BigInt64Array([42n]) },
    ];
    const { body, blocks } = encodeInferResponse({ name: 'm', version: '1' }, undefined, outputs, new Set(['y']));
    expect(body.outputs[0]).toEqual({ name: 'y', datatype: 'FP32', shape: [1, 3], parameters: { binary_data_size: 12 } });
    expect(body.outputs[1]!.data).toEqual([42]);
    const joined = joinBinaryBody(body, blocks);
    const parsed = parseRequestBody(joined.body, String(joined.headerLength));
    const back = decodeInferResponse(parsed.json, parsed.binary);
    expect([...back[0]!.data]).toEqual([0.5, 1, -1]);
    expect([...back[1]!.data]).toEqual([42n]);
  });
});

/** The plain definition: walk every character, brackets outside strings, a backslash skips the next one. */
function depthExceedsByChars(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (++depth > limit) return true;
    } else if (c === ']' || c === '}') depth--;
  }
  return false;
}

describe('JSON depth limit', () => {
  it('agrees with the character-by-character definition on any JSON and on any bracket soup', () => {
    fc.assert(fc.property(fc.json({ maxDepth: 8 }), fc.nat(8), (text, limit) => jsonDepthExceeds(text, limit) === depthExceedsByChars(text, limit)), { numRuns: 3000 });
    const soup = fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a', '1', ',') });
    fc.assert(fc.property(soup, fc.nat(6), (text, limit) => jsonDepthExceeds(text, limit) === depthExceedsByChars(text, limit)), { numRuns: 10000 });
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    expect(jsonDepthExceeds('{"a":"[[[[\\"[[[["}', 1)).toBe(false);
    expect(jsonDepthExceeds('{"a":"x\\\\",  "b":[[1]]}', 2)).toBe(true);
  });
});
