/**
 * Triton's classification extension through the gateway in workerd (tritonclient's `class_count`): a
 * requested output with `parameters.classification: N` comes back as BYTES "value:index:label" strings, in
 * JSON or in binary framing, whether the edge ran the model or the origin did (classified once, here).
 */
import { createExecutionContext, env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { buildGateway } from '../../src/worker.js';
import { digits, get, mnistBody, post } from '../helpers.js';

const HEADER = 'inference-header-content-length';
const PIN = { 'x-model-variant': 'fp32', 'x-slo-ms': '10000' };
const CLASS = /^-?\d+\.\d{6}:(\d):(\d)$/;

/** The gateway with mnist too large for the edge: every mnist request is served by the origin. */
function originGateway() {
  const config = { ...(env.GATEWAY_CONFIG as Record<string, unknown>), models: { mnist: { slo_ms: 10_000, edge_memory_budget_bytes: 1 } } };
  const bindings = { ...env, GATEWAY_CONFIG: config } as Env;
  const gw = buildGateway(bindings);
  return (body: unknown) =>
    gw.fetch(new Request('http://gateway.test/v2/models/mnist/infer', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'x-slo-ms': '10000' } }), bindings, createExecutionContext());
}

/** An mnist request for digits 3 and 4 whose output carries `parameters`, answered by the gateway under test. */
function fetchBinary(parameters: Record<string, unknown>): Promise<Response> {
  const body = mnistBody(3, 2, { outputs: [{ name: 'logits', parameters }] });
  return SELF.fetch('http://gateway.test/v2/models/mnist/infer', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...PIN } });
}

/** Splits a binary response into its JSON header and the BYTES elements of its single output. */
async function binaryClasses(res: Response): Promise<{ json: any; classes: string[] }> {
  const raw = new Uint8Array(await res.arrayBuffer());
  const n = Number(res.headers.get(HEADER));
  const json = JSON.parse(new TextDecoder().decode(raw.subarray(0, n)));
  const tail = raw.subarray(n);
  const view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  const classes: string[] = [];
  for (let at = 0; at < tail.byteLength; ) {
    const len = view.getUint32(at, true);
    classes.push(new TextDecoder().decode(tail.subarray(at + 4, at + 4 + len)));
    at += 4 + len;
  }
  expect(tail.byteLength).toBe(json.outputs[0].parameters.binary_data_size);
  return { json, classes };
}

/** The predicted digit of each class string, checked to be "value:index:label" with label = index. */
function predicted(classes: string[]): number[] {
  return classes.map((s) => {
    const m = CLASS.exec(s);
    expect(m, s).not.toBeNull();
    expect(m![2]).toBe(m![1]);
    return Number(m![1]);
  });
}

describe('classification extension', () => {
  it('answers the top classes of each digit as "value:index:label" strings at the edge', async () => {
    const res = await post('/v2/models/mnist/infer', mnistBody(0, 3, { outputs: [{ name: 'logits', parameters: { classification: 2 } }] }), PIN);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.headers.get('x-served-by')).toBe('edge');
    const out = res.body.outputs[0];
    expect(out).toMatchObject({ name: 'logits', datatype: 'BYTES', shape: [3, 2] });
    expect(predicted([out.data[0], out.data[2], out.data[4]])).toEqual(digits.labels.slice(0, 3));
    // The value is the raw logit as Triton prints it (%f), and the runner-up follows it.
    const raw = await post('/v2/models/mnist/infer', mnistBody(0, 1), PIN);
    const logits: number[] = raw.body.outputs[0].data;
    const best = digits.labels[0]!;
    expect(out.data[0]).toBe(`${Math.fround(logits[best]!).toFixed(6)}:${best}:${best}`);
    expect(parseFloat(out.data[1])).toBeLessThanOrEqual(parseFloat(out.data[0]));
  });

  it('frames the classes as length-prefixed BYTES when the output asks for binary data', async () => {
    const res = await fetchBinary({ classification: 1, binary_data: true });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const { json, classes } = await binaryClasses(res);
    expect(json.outputs[0]).toMatchObject({ name: 'logits', datatype: 'BYTES', shape: [2, 1] });
    expect(json.outputs[0].data).toBeUndefined();
    expect(predicted(classes)).toEqual(digits.labels.slice(3, 5));
  });

  it('classifies what the origin computed, once, in JSON and in binary', async () => {
    const infer = originGateway();
    const json = await infer(mnistBody(5, 2, { outputs: [{ name: 'logits', parameters: { classification: 3 } }] }));
    const body = (await json.json()) as any;
    expect(json.status, JSON.stringify(body)).toBe(200);
    expect(json.headers.get('x-served-by')).toBe('origin');
    expect(body.outputs[0]).toMatchObject({ name: 'logits', datatype: 'BYTES', shape: [2, 3] });
    expect(predicted([body.outputs[0].data[0], body.outputs[0].data[3]])).toEqual(digits.labels.slice(5, 7));

    const bin = await infer(mnistBody(5, 2, { outputs: [{ name: 'logits', parameters: { classification: 1, binary_data: true } }] }));
    expect(bin.headers.get('x-served-by')).toBe('origin');
    const { json: header, classes } = await binaryClasses(bin);
    expect(header.outputs[0]).toMatchObject({ datatype: 'BYTES', shape: [2, 1] });
    expect(predicted(classes)).toEqual(digits.labels.slice(5, 7));
  });

  it('clamps a count larger than the ten digits to ten', async () => {
    const res = await post('/v2/models/mnist/infer', mnistBody(0, 1, { outputs: [{ name: 'logits', parameters: { classification: 50 } }] }), PIN);
    expect(res.body.outputs[0].shape).toEqual([1, 10]);
    expect(predicted(res.body.outputs[0].data).sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('answers 400 naming the output for a negative or fractional count', async () => {
    for (const bad of [-1, 2.5, 'two']) {
      const res = await post('/v2/models/mnist/infer', mnistBody(0, 1, { outputs: [{ name: 'logits', parameters: { classification: bad } }] }), PIN);
      expect(res.status).toBe(400);
      expect(res.body.error).toMatch(/output 'logits': parameters\.classification must be a non-negative integer/);
    }
  });

  it("lists Triton's binary_tensor_data and classification among the server's extensions", async () => {
    const { body } = await get('/v2');
    expect(body.extensions).toEqual(expect.arrayContaining(['binary_tensor_data', 'classification']));
  });
});
