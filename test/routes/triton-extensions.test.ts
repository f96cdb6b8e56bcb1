/**
 * Triton's model_configuration, model_repository and statistics extensions inside workerd, with the real
 * engine and the real origin: each answer has the keys and types tritonclient.http reads, statistics count
 * what the gateway served and failed, and load/unload are the admin's and change only this isolate's memory.
 * Each test builds its own gateway, so its counters start at zero.
 */
import { createExecutionContext, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/lib/sha256.js';
import { buildGateway } from '../../src/worker.js';
import { classes, digits, mnistBody } from '../helpers.js';

const SLOW = { 'x-slo-ms': '10000' };

/** A gateway of its own, from this test's bindings with parts of its config replaced. */
function gateway(config: Record<string, unknown> = {}, bindings: Partial<Env> & { ADMIN_OPEN?: string | undefined } = {}) {
  const e = { ...env, ...bindings, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as object), ...config } } as Env;
  const gw = buildGateway(e);
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const init: RequestInit = { method, headers: { ...(typeof body === 'object' ? { 'content-type': 'application/json' } : {}), ...headers }, ...(text === undefined ? {} : { body: text }) };
    const res = await gw.fetch(new Request(`http://gateway.test${path}`, init), e, createExecutionContext());
    const raw = await res.text();
    let json: any;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    return { status: res.status, body: json, raw };
  };
}
type Call = ReturnType<typeof gateway>;

const duration = { count: expect.any(Number), ns: expect.any(Number) };

/** The one `$model_stat` of a model, checked for the keys and types tritonclient's callers read. */
async function statOf(call: Call, model = 'mnist') {
  const res = await call('GET', `/v2/models/${model}/stats`);
  expect(res.status).toBe(200);
  expect(res.body.model_stats).toHaveLength(1);
  const s = res.body.model_stats[0];
  expect(s).toMatchObject({ name: model, version: '1', last_inference: expect.any(Number), inference_count: expect.any(Number), execution_count: expect.any(Number), batch_stats: expect.any(Array), memory_usage: [] });
  for (const key of ['success', 'fail', 'queue', 'compute_input', 'compute_infer', 'compute_output', 'cache_hit', 'cache_miss']) expect(s.inference_stats[key], key).toEqual(duration);
  for (const b of s.batch_stats) expect(b).toEqual({ batch_size: expect.any(Number), compute_input: duration, compute_infer: duration, compute_output: duration });
  return s;
}

async function sessions(call: Call, headers: Record<string, string> = {}): Promise<number> {
  const res = await call('GET', '/metrics', undefined, headers);
  return Number(/^gateway_edge_sessions(?:\{\})? (\d+)$/m.exec(res.raw)?.[1]);
}

describe('server metadata', () => {
  it('names the three extensions as Triton does', async () => {
    const res = await gateway()('GET', '/v2');
    expect(res.body.extensions).toEqual(expect.arrayContaining(['model_configuration', 'model_repository', 'statistics']));
  });

  it('documents every extension route in the OpenAPI document', async () => {
    const doc = (await gateway()('GET', '/openapi.json')).body;
    for (const [method, path] of [
      ['get', '/v2/models/{model}/config'],
      ['get', '/v2/models/{model}/versions/{version}/config'],
      ['get', '/v2/models/stats'],
      ['get', '/v2/models/{model}/stats'],
      ['get', '/v2/models/{model}/versions/{version}/stats'],
      ['post', '/v2/repository/index'],
      ['post', '/v2/repository/models/{model}/load'],
      ['post', '/v2/repository/models/{model}/unload'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.responses['200'], `${method} ${path}`).toBeDefined();
    }
  });
});

describe('model configuration', () => {
  it("answers Triton's ModelConfig JSON from the manifest and the model's policy, by name and by version", async () => {
    const call = gateway();
    const res = await call('GET', '/v2/models/mnist/config');
    expect(res.status).toBe(200);
    const c = res.body;
    expect(c).toMatchObject({ name: 'mnist', platform: 'onnxruntime_onnx', backend: 'onnxruntime', version_policy: { latest: { num_versions: 1 } } });
    expect(c.max_batch_size).toBe(32);
    expect(c.input).toEqual([expect.objectContaining({ name: 'input', data_type: 'TYPE_FP32', dims: [784] })]);
    expect(c.output).toEqual([expect.objectContaining({ name: 'logits', data_type: 'TYPE_FP32', dims: [10] })]);
    // wrangler.toml: models.mnist.slo_ms = 100; the default queue delay is 2 ms.
    expect(c.dynamic_batching).toMatchObject({ max_queue_delay_microseconds: 2000, default_queue_policy: { timeout_action: 'DELAY', default_timeout_microseconds: 100_000, allow_timeout_override: true } });
    expect(c.instance_group).toEqual([expect.objectContaining({ count: 1, kind: 'KIND_CPU' })]);
    expect((await call('GET', '/v2/models/mnist/versions/1/config')).body).toEqual(c);
  });

  it('follows the policy: no dynamic batching when a model does not batch', async () => {
    const c = (await gateway({ models: { mnist: { batching: false, max_batch_size: 8 } } })('GET', '/v2/models/mnist/config')).body;
    expect(c.dynamic_batching).toBeUndefined();
    expect(c.max_batch_size).toBe(8);
  });

  it('answers 404 JSON for an unknown model or version', async () => {
    const call = gateway();
    for (const path of ['/v2/models/nope/config', '/v2/models/mnist/versions/7/config']) {
      const res = await call('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body.error, path).toEqual(expect.any(String));
    }
    expect((await call('POST', '/v2/models/mnist/config', {})).status).toBe(405);
  });
});

describe('statistics', () => {
  it('counts an inference: success, items, one execution and its batch size', async () => {
    const call = gateway();
    const before = await statOf(call);
    expect(before).toMatchObject({ inference_count: 0, execution_count: 0, last_inference: 0, batch_stats: [] });
    const res = await call('POST', '/v2/models/mnist/infer', mnistBody(0, 3), { ...SLOW, 'x-model-variant': 'fp32' });
    expect(res.status, res.raw).toBe(200);
    expect(classes(res.body.outputs[0])).toEqual(digits.labels.slice(0, 3));
    const s = await statOf(call);
    expect(s.inference_count).toBe(3);
    expect(s.execution_count).toBe(1);
    expect(s.last_inference).toBeGreaterThan(0);
    expect(s.inference_stats.success.count).toBe(1);
    expect(s.inference_stats.fail.count).toBe(0);
    for (const key of ['queue', 'compute_input', 'compute_infer', 'compute_output']) expect(s.inference_stats[key].count, key).toBe(1);
    expect(s.batch_stats).toEqual([expect.objectContaining({ batch_size: 3, compute_infer: { count: 1, ns: expect.any(Number) } })]);
    expect(s.variant_stats).toEqual([expect.objectContaining({ variant: 'fp32', target: 'edge', inference_count: 3, execution_count: 1 })]);
  });

  it('counts a batched run of concurrent requests as one execution of the batch', async () => {
    // A longer wait for company than the default makes the batches certain.
    const call = gateway({ models: { mnist: { slo_ms: 100, max_queue_delay_ms: 50 } } });
    const pinned = { ...SLOW, 'x-model-variant': 'fp32' };
    expect((await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), pinned)).status).toBe(200);
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => call('POST', '/v2/models/mnist/infer', mnistBody(i, 1), pinned)));
    for (const a of answers) expect(a.status).toBe(200);
    const s = await statOf(call);
    expect(s.inference_count).toBe(13);
    expect(s.inference_stats.success.count).toBe(13);
    expect(s.execution_count).toBeLessThan(13);
    expect(s.batch_stats.some((b: any) => b.batch_size > 1)).toBe(true);
    // Every item ran in exactly one execution.
    expect(s.batch_stats.reduce((n: number, b: any) => n + b.batch_size * b.compute_infer.count, 0)).toBe(13);
    expect(s.batch_stats.reduce((n: number, b: any) => n + b.compute_infer.count, 0)).toBe(s.execution_count);
  });

  it('counts a failed inference as a failure, not a success', async () => {
    const call = gateway();
    const bad = await call('POST', '/v2/models/mnist/infer', { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 5], data: [1, 2, 3, 4, 5] }] });
    expect(bad.status).toBe(400);
    const s = await statOf(call);
    expect(s.inference_stats.fail.count).toBe(1);
    expect(s.inference_stats.success.count).toBe(0);
    expect(s.inference_count).toBe(0);
  });

  it('answers every model at /v2/models/stats and one version at its path; 404 for unknown ones', async () => {
    const call = gateway();
    const all = await call('GET', '/v2/models/stats');
    expect(all.status).toBe(200);
    const models = (await call('GET', '/v2/models')).body.models.map((m: any) => m.name);
    expect(all.body.model_stats.map((s: any) => s.name)).toEqual(models);
    const one = await call('GET', '/v2/models/mnist/versions/1/stats');
    expect(one.body.model_stats).toEqual([expect.objectContaining({ name: 'mnist', version: '1' })]);
    for (const path of ['/v2/models/nope/stats', '/v2/models/mnist/versions/2/stats']) {
      const res = await call('GET', path);
      expect(res.status, path).toBe(404);
      expect(res.body.error, path).toEqual(expect.any(String));
    }
  });
});

describe('model repository', () => {
  it('indexes every model with its state for an empty body, and only the ready ones when asked', async () => {
    const call = gateway();
    const res = await call('POST', '/v2/repository/index', '');
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body)).toBe(true);
    for (const e of res.body) expect(e).toEqual({ name: expect.any(String), version: expect.any(String), state: expect.stringMatching(/^(READY|UNAVAILABLE)$/), reason: expect.any(String) });
    expect(res.body.find((e: any) => e.name === 'mnist')).toEqual({ name: 'mnist', version: '1', state: 'READY', reason: '' });
    const ready = await call('POST', '/v2/repository/index', { ready: true });
    expect(ready.body.length).toBeGreaterThan(0);
    expect(ready.body.every((e: any) => e.state === 'READY')).toBe(true);
  });

  it('answers 400 JSON for an index body that is not JSON or not its shape', async () => {
    const call = gateway();
    for (const body of ['not json', { ready: 'yes' }, [1]]) {
      const res = await call('POST', '/v2/repository/index', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toEqual(expect.any(String));
    }
  });

  it("loads a model's edge sessions and unloads them, and the model stays ready and served", async () => {
    const token = 'repo-admin';
    const call = gateway({ auth: { admin_token_sha256: await sha256Hex(token) } });
    const admin = { authorization: `Bearer ${token}` };
    expect(await sessions(call, admin)).toBe(0);
    const load = await call('POST', '/v2/repository/models/mnist/load', '', admin);
    expect(load.status, load.raw).toBe(200);
    expect(load.body).toEqual({});
    expect(await sessions(call, admin)).toBe(4);
    // tritonclient's unload body.
    const unload = await call('POST', '/v2/repository/models/mnist/unload', { parameters: { unload_dependents: false } }, admin);
    expect(unload.status, unload.raw).toBe(200);
    expect(unload.body).toEqual({});
    expect(await sessions(call, admin)).toBe(0);
    const index = await call('POST', '/v2/repository/index', '');
    expect(index.body.find((e: any) => e.name === 'mnist').state).toBe('READY');
    const res = await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { ...SLOW, 'x-model-variant': 'int8' });
    expect(res.status).toBe(200);
    expect(await sessions(call, admin)).toBe(1);
  });

  it('keeps load and unload for the admin: 401 without the token, 403 with a wrong one or when none is configured', async () => {
    const call = gateway({ auth: { admin_token_sha256: await sha256Hex('repo-admin') } });
    for (const verb of ['load', 'unload']) {
      expect((await call('POST', `/v2/repository/models/mnist/${verb}`, '')).status, verb).toBe(401);
      const wrong = await call('POST', `/v2/repository/models/mnist/${verb}`, '', { authorization: 'Bearer nope' });
      expect(wrong.status, verb).toBe(403);
      expect(wrong.body.error).toEqual(expect.any(String));
    }
    const closed = gateway({}, { ADMIN_OPEN: undefined });
    expect((await closed('POST', '/v2/repository/models/mnist/load', '')).status).toBe(403);
    // The index, like the model metadata, needs no admin token.
    expect((await call('POST', '/v2/repository/index', '')).status).toBe(200);
  });

  it('answers 404 for an unknown model and 400 for a body it cannot honour, ignoring unknown parameters', async () => {
    const call = gateway();
    for (const verb of ['load', 'unload']) {
      const res = await call('POST', `/v2/repository/models/nope/${verb}`, '');
      expect(res.status, verb).toBe(404);
      expect(res.body.error).toMatch(/unknown model 'nope'/);
      expect((await call('POST', `/v2/repository/models/mnist/${verb}`, 'not json')).status, verb).toBe(400);
      expect((await call('POST', `/v2/repository/models/mnist/${verb}`, { parameters: 'x' })).status, verb).toBe(400);
    }
    const override = await call('POST', '/v2/repository/models/mnist/load', { parameters: { config: '{}' } });
    expect(override.status).toBe(400);
    expect(override.body.error).toMatch(/'config' is not supported/);
    expect((await call('POST', '/v2/repository/models/mnist/load', { parameters: { something: 1 } })).status).toBe(200);
    expect((await call('GET', '/v2/repository/index')).status).toBe(405);
  });
});
