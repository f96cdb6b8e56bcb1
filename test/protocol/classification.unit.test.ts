/**
 * Triton's classification extension, the pure parts: the class count a requested output asks for, the top
 * N classes of each batch row as "value:index[:label]" with values printed as Triton prints them (C++
 * std::to_string: integers as they are, floats as printf %f), and how a classified output is encoded in
 * JSON and in the binary tensor extension (length-prefixed BYTES elements).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../src/errors.js';
import { bytesElements } from '../../src/protocol/binary.js';
import { classify, classifyOutputs, fixed6 } from '../../src/protocol/classification.js';
import { toHalf } from '../../src/protocol/datatypes.js';
import type { Tensor } from '../../src/protocol/tensor.js';
import { decodeInferRequest } from '../../src/protocol/v2-request.js';
import { encodeInferResponse } from '../../src/protocol/v2-response.js';

const LIMITS = { max_tensor_elements: 1000, max_inputs: 4, max_batch: 8 };
const MODEL = {
  inputs: [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 2] }],
  outputs: [
    { name: 'y', datatype: 'FP32' as const, shape: [-1, 4] },
    { name: 'mask', datatype: 'BOOL' as const, shape: [-1, 4] },
  ],
  batch_axis: true,
};
const fp32 = (shape: number[], values: number[]): Tensor => ({ name: 'y', datatype: 'FP32', shape, data: Float32Array.from(values) });

function requestWith(outputs: unknown[]) {
  return decodeInferRequest({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2], data: [1, 2] }], outputs }, MODEL, LIMITS);
}

/** Splits length-prefixed BYTES elements (uint32 little-endian length, then UTF-8). */
function parseBytes(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  for (let at = 0; at < bytes.byteLength; ) {
    const n = view.getUint32(at, true);
    out.push(new TextDecoder().decode(bytes.subarray(at + 4, at + 4 + n)));
    at += 4 + n;
  }
  return out;
}

describe('the class count of a requested output', () => {
  it('reads parameters.classification into the request, per output', () => {
    const req = requestWith([{ name: 'y', parameters: { classification: 3 } }]);
    expect([...req.classification!]).toEqual([['y', 3]]);
  });

  it('treats 0 as no classification, as tritonclient sends by default', () => {
    expect(requestWith([{ name: 'y', parameters: { classification: 0 } }]).classification).toBeUndefined();
    expect(requestWith([{ name: 'y' }]).classification).toBeUndefined();
  });

  it.each([[-1], [1.5], ['2'], [true], [null], [[2]]])('refuses %j with a 400 naming the output', (bad) => {
    expect(() => requestWith([{ name: 'y', parameters: { classification: bad } }])).toThrow(InvalidInput);
    expect(() => requestWith([{ name: 'y', parameters: { classification: bad } }])).toThrow(/output 'y': parameters\.classification must be a non-negative integer/);
  });

  it('refuses classification of a BOOL output, as Triton does', () => {
    expect(() => requestWith([{ name: 'mask', parameters: { classification: 1 } }])).toThrow(/output 'mask': classification is not available for BOOL outputs/);
  });
});

describe('the top classes of an output', () => {
  it("returns Triton's documented example: [1.1, 3.3, 0.5, 2.4] top 2 is 3.3 at 1, then 2.4 at 3", () => {
    expect(classify(fp32([4], [1.1, 3.3, 0.5, 2.4]), 2, false)).toEqual({ name: 'y', datatype: 'BYTES', shape: [2], data: ['3.300000:1', '2.400000:3'] });
  });

  it('classifies each batch row on its own, with shape [batch, N]', () => {
    const t = fp32([2, 4], [0.1, 0.9, 0.3, 0.2, 5, -1, 7, 6]);
    expect(classify(t, 2, true)).toMatchObject({ shape: [2, 2], data: ['0.900000:1', '0.300000:2', '7.000000:2', '6.000000:3'] });
  });

  it('clamps N to the classes of a row, as Triton does', () => {
    expect(classify(fp32([1, 4], [1, 2, 3, 4]), 10, true)).toMatchObject({ shape: [1, 4], data: ['4.000000:3', '3.000000:2', '2.000000:1', '1.000000:0'] });
  });

  it('ranks over the whole tensor when the model has no batch axis', () => {
    expect(classify(fp32([2, 2], [1, 4, 3, 2]), 3, false)).toMatchObject({ shape: [3], data: ['4.000000:1', '3.000000:2', '2.000000:3'] });
  });

  it('appends the label of each class index when the output has labels', () => {
    expect(classify(fp32([1, 3], [0.2, 0.7, 0.1]), 2, true, ['cat', 'dog', 'bird']).data).toEqual(['0.700000:1:dog', '0.200000:0:cat']);
  });

  it('prints integers as integers, 64-bit ones included, ranked in their own type', () => {
    const ints: Tensor = { name: 'y', datatype: 'INT64', shape: [3], data: BigInt64Array.from([5n, -3n, 9007199254740993n]) };
    expect(classify(ints, 2, false).data).toEqual(['9007199254740993:2', '5:0']);
    const bytes: Tensor = { name: 'y', datatype: 'UINT8', shape: [2], data: Uint8Array.from([10, 200]) };
    expect(classify(bytes, 1, false).data).toEqual(['200:1']);
  });

  it('decodes FP16 before ranking it', () => {
    const half: Tensor = { name: 'y', datatype: 'FP16', shape: [3], data: Uint16Array.from([0.5, 2, -1].map(toHalf)) };
    expect(classify(half, 2, false).data).toEqual(['2.000000:1', '0.500000:0']);
  });

  it('keeps equal values in index order and puts NaN last', () => {
    expect(classify(fp32([4], [NaN, 1, 1, -Infinity]), 4, false).data).toEqual(['1.000000:1', '1.000000:2', '-inf:3', 'nan:0']);
  });

  it('leaves outputs that did not ask for classification as they are', () => {
    const y = fp32([1, 4], [1, 2, 3, 4]);
    const z: Tensor = { name: 'z', datatype: 'FP32', shape: [1, 1], data: Float32Array.from([7]) };
    const out = classifyOutputs([y, z], new Map([['y', 1]]), { batch_axis: true, outputs: [{ name: 'y', labels: ['a', 'b', 'c', 'd'] }] });
    expect(out).toEqual([{ name: 'y', datatype: 'BYTES', shape: [1, 1], data: ['4.000000:3:d'] }, z]);
  });
});

describe('values printed like printf %f', () => {
  it('rounds the exact binary value to six decimals, ties to even', () => {
    expect(fixed6(Math.fround(3.3))).toBe('3.300000');
    expect(fixed6(1 / 128)).toBe('0.007812');
    expect(fixed6(3 / 128)).toBe('0.023438');
    expect(fixed6(-4e-7)).toBe('-0.000000');
    expect(fixed6(0)).toBe('0.000000');
  });

  it('prints every digit of large values, as printf does', () => {
    expect(fixed6(1e30)).toBe('1000000000000000019884624838656.000000');
    expect(fixed6(Math.fround(3.4028234663852886e38))).toBe('340282346638528859811704183484516925440.000000');
  });

  it('agrees with toFixed(6) except where toFixed breaks an exact tie upward', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e15, max: 1e15, noNaN: true }), (x) => {
        // An exact tie at six decimals is x = odd / 128: toFixed rounds it away from zero, printf to even.
        if (Number.isInteger(x * 128) && Math.abs(x * 128) % 2 === 1) return;
        expect(fixed6(x)).toBe(Object.is(x, -0) ? '-0.000000' : x.toFixed(6));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('a classified output on the wire', () => {
  const classes = { name: 'y', datatype: 'BYTES' as const, shape: [1, 2], data: ['0.900000:1:dog', '0.100000:0:cat'] };

  it('is an array of strings in JSON', () => {
    const { body, blocks } = encodeInferResponse({ name: 'm', version: '1' }, undefined, [classes]);
    expect(body.outputs[0]).toEqual({ name: 'y', datatype: 'BYTES', shape: [1, 2], data: ['0.900000:1:dog', '0.100000:0:cat'] });
    expect(blocks).toEqual([]);
  });

  it('is length-prefixed elements in binary, sized in binary_data_size', () => {
    const { body, blocks } = encodeInferResponse({ name: 'm', version: '1' }, undefined, [classes], new Set(['y']));
    expect(body.outputs[0]).toEqual({ name: 'y', datatype: 'BYTES', shape: [1, 2], parameters: { binary_data_size: 4 + 14 + 4 + 14 } });
    expect(parseBytes(blocks[0]!)).toEqual(classes.data);
  });

  it('frames each element as a little-endian uint32 byte length, then its UTF-8 bytes', () => {
    expect([...bytesElements(['ab', '', 'é'])]).toEqual([2, 0, 0, 0, 97, 98, 0, 0, 0, 0, 2, 0, 0, 0, 0xc3, 0xa9]);
  });
});
