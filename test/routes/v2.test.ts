/**
 * The v2 API inside workerd with the real onnxruntime-web engine and the real mnist variants.
 */
import { describe, expect, it } from 'vitest';
import pkg from '../../package.json';
import { classes, digits, get, mnistBody, post } from '../helpers.js';

describe('server and model metadata', () => {
  it('answers server metadata, liveness and readiness', async () => {
    // One version everywhere: the package's (the SDK's own package.json is held to it too).
    expect((await get('/v2')).body).toMatchObject({ name: 'edge-inference-gateway', version: pkg.version, extensions: expect.any(Array) });
    expect((await get('/v2/health/live')).status).toBe(200);
    expect((await get('/v2/health/ready')).status).toBe(200);
  });

  it('lists every model with its versions and variants and where each runs', async () => {
    const { body } = await get('/v2/models');
    const mnist = body.models.find((m: any) => m.name === 'mnist');
    expect(mnist.versions).toEqual(['1']);
    expect(mnist.variants.map((v: any) => v.name).sort()).toEqual(['fp16', 'fp32', 'int8', 'int8w']);
    for (const v of mnist.variants) expect(v).toMatchObject({ bytes: expect.any(Number), placement: 'edge' });
  });

  it('describes a model by name and by version, and 404s unknown ones', async () => {
    const meta = await get('/v2/models/mnist');
    expect(meta.body).toMatchObject({ name: 'mnist', versions: ['1'], inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 784] }] });
    expect((await get('/v2/models/mnist/versions/1')).body.name).toBe('mnist');
    expect((await get('/v2/models/mnist/ready')).status).toBe(200);
    const badVersion = await get('/v2/models/mnist/versions/7');
    expect(badVersion.status).toBe(404);
    expect(badVersion.body.error).toMatch(/version '7'/);
    const unknown = await get('/v2/models/nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/unknown model 'nope'/);
    expect((await get('/v2/models/nope/ready')).status).toBe(404);
  });

  it('answers 405 with Allow for a wrong method on a model route and 404 JSON for unknown paths', async () => {
    const res = await get('/v2/models/mnist/infer');
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    expect(res.body.error).toMatch(/POST/);
    const none = await get('/v3/anything');
    expect(none.status).toBe(404);
    expect(none.body.error).toMatch(/no route/);
  });
});

describe('inference at the edge', () => {
  it('classifies real digits correctly with every variant', async () => {
    for (const variant of ['fp32', 'fp16', 'int8', 'int8w']) {
      const res = await post('/v2/models/mnist/infer', mnistBody(0, 100), { 'x-model-variant': variant, 'x-slo-ms': '10000' });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.headers.get('x-model-variant')).toBe(variant);
      expect(res.headers.get('x-served-by'), res.headers.get('x-route-reason') ?? '').toBe('edge');
      const predicted = classes(res.body.outputs[0]);
      const correct = predicted.filter((c, i) => c === digits.labels[i]).length;
      expect(correct, `${variant} correct of 100`).toBeGreaterThanOrEqual(90);
    }
  });

  it('echoes the id, accepts nested data and parameters, and serves the versioned path', async () => {
    const row = digits.inputs[3]!;
    const nested = [Array.from({ length: 28 }, (_, r) => row.slice(r * 28, r * 28 + 28))].map((img) => img.flat());
    const res = await post('/v2/models/mnist/versions/1/infer', {
      id: 'req-42',
      parameters: { anything: true },
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: [nested] }],
      outputs: [{ name: 'logits' }],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: 'req-42', model_name: 'mnist', model_version: '1' });
    expect(res.body.outputs).toHaveLength(1);
    expect(res.body.outputs[0]).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [1, 10] });
    expect(classes(res.body.outputs[0])).toEqual([digits.labels[3]]);
  });

  it('says what it did and why in the response headers', async () => {
    const res = await post('/v2/models/mnist/infer', mnistBody(0, 1), { 'x-slo-ms': '5000' });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by'), res.headers.get('x-route-reason') ?? '').toBe('edge');
    expect(['fp32', 'fp16', 'int8']).toContain(res.headers.get('x-model-variant'));
    expect(res.headers.get('x-route-reason')).toMatch(/budget/);
    expect(res.headers.get('server-timing')).toMatch(/select;dur=[\d.]+.*infer;dur=[\d.]+, predicted;dur=[\d.]+$/);
    expect(res.headers.get('accept-ch')).toMatch(/RTT.*ECT.*Downlink.*Save-Data.*Device-Memory/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('keeps a caller-supplied request id', async () => {
    const res = await post('/v2/models/mnist/infer', mnistBody(0, 1), { 'x-request-id': 'trace-abc' });
    expect(res.headers.get('x-request-id')).toBe('trace-abc');
  });
});
