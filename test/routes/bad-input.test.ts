/**
 * Conformance of bad requests inside workerd: every malformed or out-of-bounds request to the mnist infer
 * route gets the exact 4xx, a JSON `{error}` naming the problem, and leaves the isolate serving.
 * mnist takes `input` FP32 [-1, 784] and gives `logits`; the body limit is 16 MiB (wrangler.toml). The device plan's
 * query parameters and the artifact routes have a table of their own.
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { mnistBody, post } from '../helpers.js';

const INFER = '/v2/models/mnist/infer';
const MiB = 1024 * 1024;
/** Valid requests name a generous SLO so routing stays at the edge. */
const AT_EDGE = { 'x-slo-ms': '10000' };

const row = (data: unknown, shape: unknown[] = [1, 784], datatype = 'FP32', name = 'input') => ({ inputs: [{ name, datatype, shape, data }] });
const zeros = (n: number) => new Array<number>(n).fill(0);
const valid = mnistBody(0, 1);

interface BadRequest {
  name: string;
  body: unknown;
  /** Defaults to AT_EDGE; the SLO rows send none so that `parameters.slo_ms` is read. */
  headers?: Record<string, string>;
  status: number;
  error: RegExp;
}

const TABLE: BadRequest[] = [
  { name: 'malformed JSON', body: '{"inputs": [', status: 400, error: /malformed JSON body/ },
  { name: 'an empty body', body: '', status: 400, error: /malformed JSON body/ },
  { name: 'JSON that is an array, not an object', body: '[1, 2, 3]', status: 400, error: /invalid request body at '\(root\)'/ },
  { name: 'JSON that is a string, not an object', body: '"hello"', status: 400, error: /invalid request body at '\(root\)'/ },
  { name: 'JSON null', body: 'null', status: 400, error: /invalid request body at '\(root\)'/ },
  { name: 'a body without inputs', body: { id: 'x' }, status: 400, error: /invalid request body at 'inputs'/ },
  { name: 'inputs that are not an array', body: { inputs: { input: [0] } }, status: 400, error: /invalid request body at 'inputs'/ },
  { name: 'an empty inputs array', body: { inputs: [] }, status: 400, error: /missing input 'input'/ },
  { name: 'an unknown input', body: row(zeros(784), [1, 784], 'FP32', 'image'), status: 400, error: /unknown input 'image'; the model takes 'input'/ },
  { name: 'a duplicate input', body: { inputs: [...row(zeros(784)).inputs, ...row(zeros(784)).inputs] }, status: 400, error: /duplicate input 'input'/ },
  { name: 'the wrong datatype', body: row(zeros(784), [1, 784], 'FP16'), status: 400, error: /input 'input': datatype FP16 does not match the model's FP32/ },
  { name: 'the unsupported datatype BYTES', body: row(zeros(784), [1, 784], 'BYTES'), status: 400, error: /input 'input': unsupported datatype 'BYTES'/ },
  { name: 'an unknown datatype FOO', body: row(zeros(784), [1, 784], 'FOO'), status: 400, error: /input 'input': unsupported datatype 'FOO'/ },
  { name: 'a rank mismatch', body: row(zeros(784), [784]), status: 400, error: /input 'input': expected rank 2/ },
  { name: 'a fixed dimension mismatch', body: row(zeros(28 * 28), [28, 28]), status: 400, error: /input 'input': dimension 1 must be 784, got 28/ },
  { name: 'a shape that needs more data than sent', body: row(zeros(784), [2, 784]), status: 400, error: /input 'input': shape \[2,784\] needs 1568 elements, data has 784/ },
  { name: 'a shape that needs less data than sent', body: row(zeros(785)), status: 400, error: /needs 784 elements, data has 785/ },
  { name: 'a negative dimension', body: row(zeros(784), [-1, 784]), status: 400, error: /input 'input': shape must be non-negative integers, got \[-1,784\]/ },
  { name: 'a fractional dimension', body: row(zeros(784), [0.5, 784]), status: 400, error: /shape must be non-negative integers/ },
  { name: 'an absurd shape', body: row(zeros(784), [1e9, 1e9]), status: 400, error: /input 'input': shape \[1000000000,1000000000\] is absurd/ },
  { name: 'a shape over the element limit', body: row(zeros(784), [100_000, 784]), status: 413, error: /input 'input': 78400000 elements exceed the limit of 4194304/ },
  { name: 'a batch over the limit', body: row(zeros(257 * 784), [257, 784]), status: 413, error: /batch size 257 exceeds the limit of 256/ },
  { name: 'an empty batch', body: row([], [0, 784]), status: 400, error: /batch size must be at least 1/ },
  { name: 'non-numeric data', body: row([...zeros(10), 'ten', ...zeros(773)]), status: 400, error: /input 'input': element 10 \("ten"\) is not a number for FP32/ },
  { name: 'null in the data', body: row([null, ...zeros(783)]), status: 400, error: /element 0 \(null\) is not a number/ },
  {
    // Hostile nesting is refused before anything recurses into it (a recursive flatten once overflowed the stack).
    name: 'data nested a million deep around too few elements',
    body: `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,784],"data":${'['.repeat(1_000_000)}0${']'.repeat(1_000_000)}}]}`,
    status: 400,
    error: /JSON body nests deeper than 64 levels \(limits\.max_json_depth\)/,
  },
  {
    // Data nested as deep as the limit allows is still walked without recursion.
    name: 'data nested 60 deep around too few elements',
    body: `{"inputs":[{"name":"input","datatype":"FP32","shape":[1,784],"data":${'['.repeat(60)}0${']'.repeat(60)}}]}`,
    status: 400,
    error: /input 'input': shape \[1,784\] needs 784 elements, data has 1/,
  },
  { name: 'an unknown requested output', body: { ...valid, outputs: [{ name: 'probs' }] }, status: 400, error: /unknown output 'probs'; the model gives 'logits'/ },
  { name: 'a duplicate requested output', body: { ...valid, outputs: [{ name: 'logits' }, { name: 'logits' }] }, status: 400, error: /duplicate output 'logits'/ },
  { name: 'an unknown variant in x-model-variant', body: valid, headers: { 'x-model-variant': 'fp8' }, status: 400, error: /unknown variant 'fp8' for model 'mnist'; it has / },
  { name: 'an x-slo-ms of 0', body: valid, headers: { 'x-slo-ms': '0' }, status: 400, error: /SLO must be a positive number of milliseconds, got "0"/ },
  { name: 'a negative x-slo-ms', body: valid, headers: { 'x-slo-ms': '-5' }, status: 400, error: /SLO must be a positive number of milliseconds, got "-5"/ },
  { name: 'a non-numeric x-slo-ms', body: valid, headers: { 'x-slo-ms': 'abc' }, status: 400, error: /SLO must be a positive number of milliseconds, got "abc"/ },
  { name: 'a non-numeric parameters.slo_ms', body: { ...valid, parameters: { slo_ms: 'soon' } }, headers: {}, status: 400, error: /SLO must be a positive number of milliseconds, got "soon"/ },
  { name: 'a negative parameters.slo_ms', body: { ...valid, parameters: { slo_ms: -1 } }, headers: {}, status: 400, error: /SLO must be a positive number of milliseconds, got -1/ },
  { name: 'a boolean parameters.slo_ms', body: { ...valid, parameters: { slo_ms: true } }, headers: {}, status: 400, error: /SLO must be a positive number of milliseconds, got true/ },
  {
    name: 'a million parameter keys',
    body: `{"parameters":{${Array.from({ length: 1_000_000 }, (_, i) => `"k${i}":0`).join(',')}},"inputs":${JSON.stringify(valid.inputs)}}`,
    status: 400,
    error: /^request parameters: more than 32 entries \(limits\.max_parameters\)$/,
  },
  { name: 'too many parameters on an input', body: { inputs: [{ ...valid.inputs[0], parameters: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, i])) }] }, status: 400, error: /^parameters of input 'input': more than 32 entries/ },
  { name: 'parameters over their byte limit', body: { ...valid, outputs: [{ name: 'logits', parameters: { note: 'x'.repeat(20_000) } }] }, status: 400, error: /exceed 16384 bytes in all \(limits\.max_parameter_bytes\), passed at the parameters of output 'logits'/ },
];

describe('bad requests to /v2/models/mnist/infer', () => {
  it.each(TABLE)('answers $status naming the problem for $name', async ({ body, headers, status, error }) => {
    const res = await post(INFER, body, headers ?? AT_EDGE);
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(res.body)).toEqual(['error']);
    expect(typeof res.body.error).toBe('string');
    expect(res.body.error).toMatch(error);
  });

  it('answers 413 for a body over the 16 MiB limit before parsing it', async () => {
    const body = `{"pad":"${'a'.repeat(17 * MiB)}","inputs":[]}`;
    const res = await post(INFER, body, AT_EDGE);
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: `request body exceeds the limit of ${16 * MiB} bytes` });
  });

  it('still serves valid requests after all of them', async () => {
    const res = await post(INFER, mnistBody(0, 2), AT_EDGE);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('x-served-by'), res.headers.get('x-route-reason') ?? '').toBe('edge');
    expect(res.body.outputs[0]).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [2, 10] });
  });

  it('takes the SLO from parameters.slo_ms when there is no header, and the header wins over it', async () => {
    const fromParam = await post(INFER, { ...mnistBody(0, 1), parameters: { slo_ms: 10_000 } });
    expect(fromParam.status).toBe(200);
    expect(fromParam.headers.get('x-route-reason')).toMatch(/budget/);
    const headerWins = await post(INFER, { ...mnistBody(0, 1), parameters: { slo_ms: -1 } }, AT_EDGE);
    expect(headerWins.status).toBe(200);
  });
});

interface BadGet {
  name: string;
  path: string;
  headers?: Record<string, string>;
  status: number;
  error: RegExp;
}

const PLAN = '/v2/models/mnist/device';
const ARTIFACT = '/v2/models/mnist/versions/1/variants/int8/artifact';

/** The device plan's query parameters and the artifact routes: each bad value is a 4xx naming it. */
const GET_TABLE: BadGet[] = [
  { name: 'a non-numeric device_memory', path: `${PLAN}?device_memory=lots`, status: 400, error: /query parameter device_memory must be a positive number of GB up to 1024, got "lots"/ },
  { name: 'a zero device_memory', path: `${PLAN}?device_memory=0`, status: 400, error: /query parameter device_memory must be a positive number/ },
  { name: 'an unknown ect', path: `${PLAN}?ect=5g`, status: 400, error: /query parameter ect must be one of slow-2g, 2g, 3g, 4g, got "5g"/ },
  { name: 'a negative downlink', path: `${PLAN}?downlink=-1`, status: 400, error: /query parameter downlink must be a positive number of Mbit\/s/ },
  { name: 'a hexadecimal rtt', path: `${PLAN}?rtt=0x10`, status: 400, error: /query parameter rtt must be a non-negative number of ms up to 60000, got "0x10"/ },
  { name: 'an rtt over a minute', path: `${PLAN}?rtt=600000`, status: 400, error: /query parameter rtt must be a non-negative number of ms up to 60000/ },
  { name: 'a save_data that is not a flag', path: `${PLAN}?save_data=maybe`, status: 400, error: /query parameter save_data must be one of on, 1, true/ },
  { name: 'a mobile that is not a flag', path: `${PLAN}?mobile=yes`, status: 400, error: /query parameter mobile must be one of \?1, 1, true/ },
  { name: 'a zero slo_ms', path: `${PLAN}?slo_ms=0`, status: 400, error: /query parameter slo_ms: SLO must be a positive number of milliseconds, got "0"/ },
  { name: 'an unknown cached variant', path: `${PLAN}?cached=int8,fp8`, status: 400, error: /query parameter cached: model 'mnist' has no variant "fp8"; it has fp32, fp16, int8, int8w/ },
  { name: 'a plan for an unknown model', path: '/v2/models/nope/device', status: 404, error: /unknown model 'nope'/ },
  { name: 'a plan for an unknown version', path: '/v2/models/mnist/versions/7/device', status: 404, error: /unknown version '7' of model 'mnist'/ },
  { name: 'an artifact of an unknown variant', path: '/v2/models/mnist/variants/fp8/artifact', status: 404, error: /model 'mnist' has no variant 'fp8'/ },
  { name: 'an artifact of a prototype key', path: '/v2/models/mnist/variants/constructor/artifact', status: 404, error: /model 'mnist' has no variant 'constructor'/ },
  { name: 'an artifact only at the origin', path: '/v2/models/transformer-large/variants/int8/artifact', status: 404, error: /served only at the origin/ },
  { name: 'an artifact of a version the model lacks', path: '/v2/models/mnist/versions/2/variants/int8/artifact', status: 404, error: /unknown version '2' of model 'mnist'/ },
  { name: 'an unsatisfiable range', path: ARTIFACT, headers: { range: 'bytes=999999-' }, status: 416, error: /range bytes=999999- is not satisfiable: the file has 113034 bytes/ },
];

describe('bad requests to the device plan and artifacts', () => {
  it.each(GET_TABLE)('answers $status naming the problem for $name', async ({ path, headers, status, error }) => {
    const res = await SELF.fetch(`http://gateway.test${path}`, { headers: headers ?? {} });
    const body: any = await res.json();
    expect(res.status, JSON.stringify(body).slice(0, 300)).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(body)).toEqual(['error']);
    expect(body.error).toMatch(error);
  });
});
