/**
 * The v2 JSON codec: decoding request bodies into validated tensors (every datatype, every rejection with
 * its status and message), FP16 conversion (property tests against an exact reference), and encoding
 * responses that decode back to the same tensors.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GatewayError, InvalidInput, PayloadTooLarge } from '../../src/errors.js';
import { fromHalf, toHalf } from '../../src/protocol/datatypes.js';
import type { Tensor } from '../../src/protocol/tensor.js';
import { tensorValues } from '../../src/protocol/json-data.js';
import type { RequestLimits } from '../../src/protocol/v2-request.js';
import { decodeInferRequest } from '../../src/protocol/v2-request.js';
import { decodeInferResponse, encodeInferResponse, InferResponseBody } from '../../src/protocol/v2-response.js';
import type { Datatype, TensorSpec } from '../../src/protocol/datatypes.js';

const LIMITS: RequestLimits = { max_tensor_elements: 1000, max_inputs: 4, max_batch: 8 };

type Model = { inputs: TensorSpec[]; outputs: TensorSpec[]; batch_axis: boolean };

/** A batched model with one input `x` of `datatype` and shape [-1, 3]. */
const modelOf = (datatype: Datatype): Model => ({
  inputs: [{ name: 'x', datatype, shape: [-1, 3] }],
  outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }],
  batch_axis: true,
});

/** A batched model with two FP32 inputs `a` [-1, 3] and `b` [-1, 2] and two outputs. */
const TWO: Model = {
  inputs: [
    { name: 'a', datatype: 'FP32', shape: [-1, 3] },
    { name: 'b', datatype: 'FP32', shape: [-1, 2] },
  ],
  outputs: [
    { name: 'y', datatype: 'FP32', shape: [-1, 2] },
    { name: 'z', datatype: 'INT64', shape: [-1] },
  ],
  batch_axis: true,
};

const FP32 = modelOf('FP32');

const x = (data: unknown, shape: unknown[] = [1, 3], datatype = 'FP32') => ({ name: 'x', datatype, shape, data });

function decodeOne(datatype: Datatype, data: unknown, shape: unknown[] = [1, 3]): Tensor {
  return decodeInferRequest({ inputs: [x(data, shape, datatype)] }, modelOf(datatype), LIMITS).inputs[0]!;
}

/** The error decodeInferRequest throws for `body`, or fails the test when it throws none. */
function rejection(body: unknown, model: Model = FP32, limits: RequestLimits = LIMITS): GatewayError {
  try {
    decodeInferRequest(body, model, limits);
  } catch (e) {
    return e as GatewayError;
  }
  throw new Error(`expected ${JSON.stringify(body)} to be rejected`);
}

describe('decodeInferRequest decodes every datatype', () => {
  it.each([
    { datatype: 'FP32', data: [1.5, -2, 0], array: Float32Array, want: [1.5, -2, 0] },
    { datatype: 'FP64', data: [0.1, -1e300, 5e-324], array: Float64Array, want: [0.1, -1e300, 5e-324] },
    { datatype: 'INT32', data: [-2147483648, 0, 2147483647], array: Int32Array, want: [-2147483648, 0, 2147483647] },
    { datatype: 'INT16', data: [-32768, 7, 32767], array: Int16Array, want: [-32768, 7, 32767] },
    { datatype: 'INT8', data: [-128, 0, 127], array: Int8Array, want: [-128, 0, 127] },
    { datatype: 'UINT8', data: [0, 128, 255], array: Uint8Array, want: [0, 128, 255] },
    { datatype: 'BOOL', data: [true, false, true], array: Uint8Array, want: [1, 0, 1] },
    { datatype: 'BOOL', data: [1, 0, 0], array: Uint8Array, want: [1, 0, 0] },
  ] as const)('decodes $datatype $data into a $array.name', ({ datatype, data, array, want }) => {
    const t = decodeOne(datatype, data);
    expect(t).toMatchObject({ name: 'x', datatype, shape: [1, 3] });
    expect(t.data).toBeInstanceOf(array);
    expect(Array.from(t.data as ArrayLike<number>)).toEqual(want);
  });

  it('decodes INT64 into a BigInt64Array, exact up to the largest safe integer', () => {
    const t = decodeOne('INT64', [-(2 ** 53 - 1), 0, 2 ** 53 - 1]);
    expect(t.data).toBeInstanceOf(BigInt64Array);
    expect(Array.from(t.data as BigInt64Array)).toEqual([-(2n ** 53n - 1n), 0n, 2n ** 53n - 1n]);
  });

  it('decodes FP16 numbers into IEEE half bits', () => {
    const t = decodeOne('FP16', [1, -0.5, 65504]);
    expect(t.data).toBeInstanceOf(Uint16Array);
    expect(Array.from(t.data as Uint16Array)).toEqual([0x3c00, 0xb800, 0x7bff]);
  });

  it('accepts nested data and flat data alike', () => {
    const nested = decodeOne('FP32', [[1, 2, 3], [4, 5, 6]], [2, 3]);
    const flat = decodeOne('FP32', [1, 2, 3, 4, 5, 6], [2, 3]);
    expect(nested).toEqual(flat);
    expect(Array.from(nested.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps the id, the requested outputs in order, and the parameters', () => {
    const req = decodeInferRequest(
      { id: 'r1', parameters: { slo_ms: 50 }, inputs: [{ ...x([1, 2, 3]), name: 'a' }, { name: 'b', datatype: 'FP32', shape: [1, 2], data: [4, 5] }], outputs: [{ name: 'z' }, { name: 'y' }] },
      TWO,
      LIMITS,
    );
    expect(req).toMatchObject({ id: 'r1', outputs: ['z', 'y'], parameters: { slo_ms: 50 } });
    expect(req.inputs.map((t) => t.name)).toEqual(['a', 'b']);
  });

  it('leaves outputs undefined (all) and parameters empty when the body names none', () => {
    const req = decodeInferRequest({ inputs: [x([1, 2, 3])] }, FP32, LIMITS);
    expect(req.outputs).toBeUndefined();
    expect(req.parameters).toEqual({});
    expect('id' in req).toBe(false);
  });
});

describe('decodeInferRequest rejects bad requests with a status and a message naming the problem', () => {
  const threeInputs = ['a', 'b', 'c'].map((name) => ({ name, datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }));
  const deep = (depth: number) => {
    let v: unknown = 0;
    for (let i = 0; i < depth; i++) v = [v];
    return v;
  };

  it.each([
    { why: 'a body that is not an object', body: [1, 2], status: 400, msg: /invalid request body at '\(root\)'/ },
    { why: 'a null body', body: null, status: 400, msg: /invalid request body at '\(root\)'/ },
    { why: 'a body without inputs', body: {}, status: 400, msg: /invalid request body at 'inputs'/ },
    { why: 'inputs that are not an array', body: { inputs: { x: 1 } }, status: 400, msg: /at 'inputs'/ },
    { why: 'an input without a name', body: { inputs: [{ datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }, status: 400, msg: /at 'inputs\.0\.name'/ },
    { why: 'a shape that is not an array', body: { inputs: [x([1, 2, 3], '1,3' as never)] }, status: 400, msg: /at 'inputs\.0\.shape'/ },
    { why: 'an unknown input', body: { inputs: [{ ...x([1, 2, 3]), name: 'nope' }] }, status: 400, msg: /unknown input 'nope'; the model takes 'x'/ },
    { why: 'a duplicate input', body: { inputs: [x([1, 2, 3]), x([1, 2, 3])] }, status: 400, msg: /duplicate input 'x'/ },
    { why: 'the wrong datatype', body: { inputs: [x([1, 2, 3], [1, 3], 'FP64')] }, status: 400, msg: /input 'x': datatype FP64 does not match the model's FP32/ },
    { why: 'the BYTES datatype', body: { inputs: [x(['a', 'b', 'c'], [1, 3], 'BYTES')] }, status: 400, msg: /input 'x': unsupported datatype 'BYTES'/ },
    { why: 'an unknown datatype', body: { inputs: [x([1, 2, 3], [1, 3], 'FOO')] }, status: 400, msg: /input 'x': unsupported datatype 'FOO'/ },
    { why: 'a lowercase datatype', body: { inputs: [x([1, 2, 3], [1, 3], 'fp32')] }, status: 400, msg: /unsupported datatype 'fp32'/ },
    { why: 'a rank mismatch', body: { inputs: [x([1, 2, 3], [3])] }, status: 400, msg: /input 'x': expected rank 2 \[-1,3\], got shape \[3\]/ },
    { why: 'a fixed dimension mismatch', body: { inputs: [x([1, 2, 3, 4], [1, 4])] }, status: 400, msg: /input 'x': dimension 1 must be 3, got 4/ },
    { why: 'too little data for the shape', body: { inputs: [x([1, 2, 3, 4, 5], [2, 3])] }, status: 400, msg: /input 'x': shape \[2,3\] needs 6 elements, data has 5/ },
    { why: 'too much data for the shape', body: { inputs: [x([1, 2, 3, 4], [1, 3])] }, status: 400, msg: /needs 3 elements, data has 4/ },
    { why: 'missing data', body: { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3] }] }, status: 400, msg: /input 'x': missing data/ },
    { why: 'a negative dimension', body: { inputs: [x([1, 2, 3], [-1, 3])] }, status: 400, msg: /input 'x': shape must be non-negative integers, got \[-1,3\]/ },
    { why: 'a fractional dimension', body: { inputs: [x([1, 2, 3], [1.5, 3])] }, status: 400, msg: /input 'x': shape must be non-negative integers/ },
    { why: 'a string dimension', body: { inputs: [x([1, 2, 3], ['1', 3])] }, status: 400, msg: /input 'x': shape must be non-negative integers/ },
    { why: 'an absurd shape', body: { inputs: [x([1, 2, 3], [1e9, 1e9])] }, status: 400, msg: /input 'x': shape \[1000000000,1000000000\] is absurd/ },
    { why: 'a shape over the element limit', body: { inputs: [x([1, 2, 3], [1000, 3])] }, status: 413, msg: /input 'x': 3000 elements exceed the limit of 1000/ },
    { why: 'data over the element limit', body: { inputs: [x(new Array(1001).fill(0), [1, 3])] }, status: 413, msg: /input 'x': data has more than 1000 elements/ },
    { why: 'nested data over the element limit', body: { inputs: [x(new Array(11).fill(new Array(100).fill(0)), [1, 3])] }, status: 413, msg: /data has more than 1000 elements/ },
    { why: 'data nested far deeper than the stack could recurse', body: { inputs: [x(deep(200_000), [1, 3])] }, status: 400, msg: /input 'x': shape \[1,3\] needs 3 elements, data has 1/ },
    { why: 'a string element', body: { inputs: [x([1, 'two', 3])] }, status: 400, msg: /input 'x': element 1 \("two"\) is not a number for FP32/ },
    { why: 'a null element', body: { inputs: [x([1, 2, null])] }, status: 400, msg: /element 2 \(null\) is not a number/ },
    { why: 'an object element', body: { inputs: [x([{ v: 1 }, 2, 3])] }, status: 400, msg: /element 0 .* is not a number/ },
    { why: 'a NaN element', body: { inputs: [x([1, NaN, 3])] }, status: 400, msg: /input 'x': element 1 .* is not a number/ },
    { why: 'an unknown requested output', body: { inputs: [x([1, 2, 3])], outputs: [{ name: 'nope' }] }, status: 400, msg: /unknown output 'nope'; the model gives 'y'/ },
    { why: 'a duplicate requested output', body: { inputs: [x([1, 2, 3])], outputs: [{ name: 'y' }, { name: 'y' }] }, status: 400, msg: /duplicate output 'y'/ },
    { why: 'an empty batch', body: { inputs: [x([], [0, 3])] }, status: 400, msg: /batch size must be at least 1/ },
    { why: 'a batch over the limit', body: { inputs: [x(new Array(27).fill(0), [9, 3])] }, status: 413, msg: /batch size 9 exceeds the limit of 8/ },
    { why: 'too many inputs', body: { inputs: [...threeInputs, ...threeInputs.slice(0, 2)] }, status: 413, msg: /5 inputs exceed the limit of 4/ },
  ])('rejects $why', ({ body, status, msg }) => {
    const err = rejection(body);
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.status).toBe(status);
    expect(err).toBeInstanceOf(status === 413 ? PayloadTooLarge : InvalidInput);
    expect(err.message).toMatch(msg);
  });

  it('rejects a missing input, naming it', () => {
    const err = rejection({ inputs: [{ ...x([1, 2, 3]), name: 'a' }] }, TWO);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/missing input 'b'/);
  });

  it('rejects inputs that disagree on the batch size', () => {
    const err = rejection({ inputs: [{ ...x([1, 2, 3, 4, 5, 6], [2, 3]), name: 'a' }, { name: 'b', datatype: 'FP32', shape: [3, 2], data: [1, 2, 3, 4, 5, 6] }] }, TWO);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/inputs disagree on the batch size: 'a' has 2, 'b' has 3/);
  });

  it.each([
    { datatype: 'INT8', bad: 128, why: 'is out of range' },
    { datatype: 'INT8', bad: -129, why: 'is out of range' },
    { datatype: 'UINT8', bad: 256, why: 'is out of range' },
    { datatype: 'UINT8', bad: -1, why: 'is out of range' },
    { datatype: 'INT16', bad: 32768, why: 'is out of range' },
    { datatype: 'INT32', bad: 2147483648, why: 'is out of range' },
    { datatype: 'INT64', bad: 2 ** 53, why: 'is out of range' },
    { datatype: 'INT32', bad: 1.5, why: 'is not an integer' },
    { datatype: 'INT64', bad: 0.5, why: 'is not an integer' },
    { datatype: 'BOOL', bad: 2, why: 'is not a boolean' },
    { datatype: 'BOOL', bad: 'true', why: 'is not a boolean' },
    { datatype: 'FP16', bad: 'x', why: 'is not a number' },
  ] as const)('rejects $bad for $datatype because it $why', ({ datatype, bad, why }) => {
    const err = rejection({ inputs: [x([0, bad, 0], [1, 3], datatype)] }, modelOf(datatype));
    expect(err.status).toBe(400);
    expect(err.message).toContain(`input 'x': element 1 (${JSON.stringify(bad)}) ${why} for ${datatype}`);
  });
});

/** The exact nearest half (ties to even) of a double, as a number: the reference for toHalf. */
function nearestHalf(v: number): number {
  if (Number.isNaN(v)) return NaN;
  const sign = v < 0 || Object.is(v, -0) ? -1 : 1;
  const a = Math.abs(v);
  if (a === 0) return sign * 0;
  if (a >= 65520) return sign * Infinity;
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  const quantum = a < 2 ** -14 ? 2 ** -24 : 2 ** (e - 10);
  const n = a / quantum; // exact: dividing by a power of two
  let r = Math.floor(n);
  const frac = n - r;
  if (frac > 0.5 || (frac === 0.5 && r % 2 === 1)) r++;
  return sign * r * quantum;
}

const HALF_MAX = 65504;
const halfBits = fc.integer({ min: 0, max: 0xffff });
const isNaNBits = (b: number) => (b & 0x7c00) === 0x7c00 && (b & 0x3ff) !== 0;

describe('toHalf and fromHalf', () => {
  it.each([
    { v: 0, bits: 0x0000, note: 'zero' },
    { v: -0, bits: 0x8000, note: 'negative zero keeps its sign' },
    { v: 1, bits: 0x3c00, note: 'one' },
    { v: -2, bits: 0xc000, note: 'a negative power of two' },
    { v: HALF_MAX, bits: 0x7bff, note: 'the largest half' },
    { v: 2 ** -14, bits: 0x0400, note: 'the smallest normal' },
    { v: 2 ** -24, bits: 0x0001, note: 'the smallest subnormal' },
    { v: 2 ** -14 - 2 ** -24, bits: 0x03ff, note: 'the largest subnormal' },
    { v: 2 ** -25, bits: 0x0000, note: 'half the smallest subnormal ties to even (zero)' },
    { v: 3 * 2 ** -25, bits: 0x0002, note: '1.5 x the smallest subnormal ties to even (2)' },
    { v: 1.5 * 2 ** -25, bits: 0x0001, note: 'just above halfway to the smallest subnormal rounds up' },
    { v: 2 ** -26, bits: 0x0000, note: 'below a quarter of the smallest subnormal underflows to zero' },
    { v: -(2 ** -26), bits: 0x8000, note: 'a negative underflow keeps its sign' },
    { v: 1 + 2 ** -11, bits: 0x3c00, note: 'a tie rounds to even (down)' },
    { v: 1 + 3 * 2 ** -11, bits: 0x3c02, note: 'a tie rounds to even (up)' },
    { v: 65519, bits: 0x7bff, note: 'just under the overflow threshold stays finite' },
    { v: 65520, bits: 0x7c00, note: 'the overflow threshold becomes Infinity' },
    { v: 1e6, bits: 0x7c00, note: 'overflow becomes Infinity' },
    { v: -1e6, bits: 0xfc00, note: 'negative overflow becomes -Infinity' },
    { v: Infinity, bits: 0x7c00, note: 'Infinity' },
    { v: -Infinity, bits: 0xfc00, note: '-Infinity' },
  ])('encodes $v as $bits: $note', ({ v, bits }) => {
    expect(toHalf(v)).toBe(bits);
  });

  it('encodes NaN as a NaN', () => {
    expect(isNaNBits(toHalf(NaN))).toBe(true);
    expect(fromHalf(toHalf(NaN))).toBeNaN();
  });

  it('decodes -0 with its sign', () => {
    expect(Object.is(fromHalf(0x8000), -0)).toBe(true);
  });

  it('round-trips every half that is not a NaN: toHalf(fromHalf(bits)) === bits', () => {
    fc.assert(
      fc.property(halfBits, (bits) => {
        fc.pre(!isNaNBits(bits));
        expect(toHalf(fromHalf(bits))).toBe(bits);
      }),
      { numRuns: 5000 },
    );
    for (let bits = 0; bits <= 0xffff; bits++) {
      if (!isNaNBits(bits) && toHalf(fromHalf(bits)) !== bits) throw new Error(`0x${bits.toString(16)} does not round-trip`);
    }
  });

  it('decodes every NaN pattern to NaN', () => {
    fc.assert(fc.property(halfBits.filter(isNaNBits), (bits) => Number.isNaN(fromHalf(bits))));
  });

  it('rounds any float32 to the nearest half, ties to even', () => {
    fc.assert(
      fc.property(fc.float({ noDefaultInfinity: false }), (v) => {
        expect(fromHalf(toHalf(v))).toBe(nearestHalf(v));
      }),
      { numRuns: 20_000 },
    );
  });

  it('rounds any double to the nearest half, ties to even', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        expect(fromHalf(toHalf(v))).toBe(nearestHalf(v));
      }),
      { numRuns: 20_000 },
    );
  });

  it('rounds a double just above or below a halfway point to the nearer half, not by double rounding through float32', () => {
    // Halfway between two adjacent normal halves, nudged by less than a float32 ulp.
    const nudged = fc.record({ bits: fc.integer({ min: 0x0400, max: 0x7bfe }), up: fc.boolean() }).map(({ bits, up }) => {
      const lo = fromHalf(bits);
      const mid = (lo + fromHalf(bits + 1)) / 2;
      return mid + (up ? 1 : -1) * mid * 2 ** -30;
    });
    fc.assert(
      fc.property(nudged, (v) => {
        expect(fromHalf(toHalf(v))).toBe(nearestHalf(v));
      }),
    );
  });

  it('never moves a value by more than half a unit in the last place', () => {
    fc.assert(
      fc.property(fc.double({ min: -HALF_MAX, max: HALF_MAX, noNaN: true }), (v) => {
        const a = Math.abs(v);
        const ulp = a < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(a)) - 10);
        expect(Math.abs(fromHalf(toHalf(v)) - v)).toBeLessThanOrEqual(ulp / 2 + Number.EPSILON * a);
      }),
    );
  });

  it('is monotonic', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ noNaN: true }), (a, b) => {
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(fromHalf(toHalf(lo))).toBeLessThanOrEqual(fromHalf(toHalf(hi)));
      }),
    );
  });

  it('keeps the sign of every value, including zeros', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), (v) => {
        const h = fromHalf(toHalf(v));
        expect(h < 0 || Object.is(h, -0)).toBe(v < 0 || Object.is(v, -0));
      }),
    );
  });
});

describe('tensorValues', () => {
  it('turns NaN and infinities into null for JSON', () => {
    expect(tensorValues({ name: 'y', datatype: 'FP32', shape: [4], data: new Float32Array([1.5, NaN, Infinity, -Infinity]) })).toEqual([1.5, null, null, null]);
    expect(tensorValues({ name: 'y', datatype: 'FP64', shape: [2], data: new Float64Array([NaN, 0.1]) })).toEqual([null, 0.1]);
  });

  it('decodes FP16 bits, with a half NaN as null', () => {
    expect(tensorValues({ name: 'y', datatype: 'FP16', shape: [3], data: new Uint16Array([0x3c00, 0x7e00, 0xc000]) })).toEqual([1, null, -2]);
  });

  it('gives 64-bit integers as numbers and BOOL as booleans', () => {
    expect(tensorValues({ name: 'z', datatype: 'INT64', shape: [2], data: new BigInt64Array([-3n, 9007199254740991n]) })).toEqual([-3, 9007199254740991]);
    expect(tensorValues({ name: 'b', datatype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) })).toEqual([true, false, true]);
  });
});

describe('encodeInferResponse and decodeInferResponse', () => {
  const outputs: Tensor[] = [
    { name: 'logits', datatype: 'FP32', shape: [2, 2], data: new Float32Array([0.25, -1.5, 3, NaN]) },
    { name: 'half', datatype: 'FP16', shape: [3], data: new Uint16Array([0x3c00, 0x0001, 0xfbff]) },
    { name: 'wide', datatype: 'FP64', shape: [1], data: new Float64Array([0.1]) },
    { name: 'ids', datatype: 'INT64', shape: [2], data: new BigInt64Array([-7n, 2n ** 40n]) },
    { name: 'small', datatype: 'INT8', shape: [2], data: new Int8Array([-128, 127]) },
    { name: 'mask', datatype: 'BOOL', shape: [2], data: new Uint8Array([0, 1]) },
  ];

  it('encodes the model, version, id and every output', () => {
    const { body, blocks } = encodeInferResponse({ name: 'm', version: '3' }, 'req-1', outputs);
    expect(blocks).toEqual([]);
    expect(body).toMatchObject({ model_name: 'm', model_version: '3', id: 'req-1' });
    expect(body.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual(outputs.map((t) => [t.name, t.datatype, t.shape]));
    expect(body.outputs[0]!.data).toEqual([0.25, -1.5, 3, null]);
  });

  it('leaves out id and parameters when there are none', () => {
    const { body } = encodeInferResponse({ name: 'm', version: '1' }, undefined, outputs.slice(0, 1));
    expect(Object.keys(body).sort()).toEqual(['model_name', 'model_version', 'outputs']);
  });

  it('sends only bodies its one declared schema accepts, JSON and binary outputs alike', () => {
    const { body } = encodeInferResponse({ name: 'm', version: '1' }, 'r', outputs, new Set(['half', 'ids']));
    expect(InferResponseBody.safeParse(JSON.parse(JSON.stringify(body))).success).toBe(true);
    expect(body.outputs.map((o) => (o.parameters ? 'binary' : 'json'))).toEqual(['json', 'binary', 'json', 'binary', 'json', 'json']);
  });

  it('decodes what it encodes, through JSON text, to the same tensors', () => {
    const text = JSON.stringify(encodeInferResponse({ name: 'm', version: '1' }, 'r', outputs).body);
    const back = decodeInferResponse(JSON.parse(text));
    expect(back).toEqual(outputs);
  });

  it('round-trips random FP32 and INT32 tensors', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ noNaN: true, noDefaultInfinity: true }).filter((v) => !Object.is(v, -0)), { minLength: 1, maxLength: 50 }), fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 1, maxLength: 50 }), (floats, ints) => {
        const ts: Tensor[] = [
          { name: 'f', datatype: 'FP32', shape: [floats.length], data: Float32Array.from(floats) },
          { name: 'i', datatype: 'INT32', shape: [ints.length], data: Int32Array.from(ints) },
        ];
        const back = decodeInferResponse(JSON.parse(JSON.stringify(encodeInferResponse({ name: 'm', version: '1' }, undefined, ts).body)));
        expect(back).toEqual(ts);
      }),
    );
  });

  it.each([
    { why: 'a body without outputs', body: { model_name: 'm' }, msg: /not a v2 inference response/ },
    { why: 'an unsupported datatype', body: { outputs: [{ name: 'y', datatype: 'BYTES', shape: [1], data: ['a'] }] }, msg: /unsupported output datatype 'BYTES'/ },
    { why: 'a shape that does not match the data', body: { outputs: [{ name: 'y', datatype: 'FP32', shape: [3], data: [1, 2] }] }, msg: /output 'y': shape \[3\] does not match 2 values/ },
    { why: 'a non-numeric float', body: { outputs: [{ name: 'y', datatype: 'FP32', shape: [1], data: ['1'] }] }, msg: /element 0 is not a number/ },
  ])('rejects a response with $why', ({ body, msg }) => {
    expect(() => decodeInferResponse(body)).toThrow(msg);
  });
});
