/**
 * The ops surface inside workerd: metrics, explain, effective config, policy hot reload from KV,
 * API keys, the admin token and rate limits (real KV and rate-limit bindings from miniflare).
 */
import { createExecutionContext, env, SELF } from 'cloudflare:test';
import { describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../../src/lib/sha256.js';
import { buildGateway } from '../../src/worker.js';
import mnist from '../../models/mnist/manifest.json';
import { mnistBody, post } from '../helpers.js';

/** A gateway built from this test's bindings with parts of its config or bindings replaced. */
function gatewayWith(config: Record<string, unknown>, bindings: Partial<Env> = {}) {
  const e = { ...env, ...bindings, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as object), ...config } } as Env;
  const gw = buildGateway(e);
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = { method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) };
    const res = await gw.fetch(new Request(`http://gateway.test${path}`, init), e, createExecutionContext());
    const text = await res.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, body: json, text };
  };
}

describe('metrics', () => {
  it('counts successes by model, variant and target in Prometheus text', async () => {
    await post('/v2/models/mnist/infer', mnistBody(0, 1), { 'x-slo-ms': '10000', 'x-model-variant': 'int8' });
    const res = await SELF.fetch('http://gateway.test/metrics');
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/# TYPE nv_inference_request_success counter/);
    expect(text).toMatch(/nv_inference_request_success\{model="mnist",target="edge",variant="int8",version="1"\} [1-9]/);
    expect(text).toMatch(/nv_inference_request_duration_ms_bucket\{.*le="\+Inf"\} [1-9]/);
    expect(text).toMatch(/gateway_origin_breaker_state\{origin="http:\/\/127\.0\.0\.1:\d+"\} 0/);
  });

  it('shows how far predictions were off, and the learned estimates next to the manifest ones', async () => {
    await post('/v2/models/mnist/infer', mnistBody(0, 1), { 'x-slo-ms': '10000', 'x-model-variant': 'int8' });
    const text = await (await SELF.fetch('http://gateway.test/metrics')).text();
    expect(text).toMatch(/# TYPE gateway_prediction_error_ratio histogram/);
    expect(text).toMatch(/gateway_prediction_error_ratio_count\{model="mnist",target="edge",variant="int8"\} [1-9]/);
    expect(text).toMatch(/gateway_latency_estimate_ms\{model="mnist",source="learned",target="edge",term="per_item",variant="int8"\} [\d.e-]+/);
    // The manifest's own fit, as committed (re-measuring the profile changes the number, not the rule).
    expect(text).toContain(`gateway_latency_estimate_ms{model="mnist",source="manifest",target="edge",term="fixed",variant="int8"} ${mnist.variants.int8.latency.fit.fixed_ms}`);
    expect(text).toMatch(/gateway_latency_observations\{model="mnist",target="edge",variant="int8"\} [1-9]/);
    // Local workerd advances its clock during CPU work; production Workers do not (see the frozen-clock guard).
    expect(text).toMatch(/gateway_clock_frozen\{\} 0/);
  });

  it('counts failures by status', async () => {
    await post('/v2/models/mnist/infer', { inputs: [] });
    const text = await (await SELF.fetch('http://gateway.test/metrics')).text();
    expect(text).toMatch(/nv_inference_request_failure\{model="mnist",status="400",version="1"\} [1-9]/);
  });
});

describe('explain and config', () => {
  it('explains a hypothetical request with every candidate and why', async () => {
    const res = await post('/admin/explain', { model: 'mnist', slo_ms: 5, strict: true, hints: { ECT: '3g' } });
    expect(res.status).toBe(200);
    expect(res.body.network).toMatchObject({ rtt_ms: 270, from_hints: ['ECT'] });
    expect(res.body.decision.meets_slo).toBe(false);
    // 3g's 270 ms round trip leaves a strict 5 ms SLO no budget: such a request would be refused (422), with the arithmetic.
    expect(res.body.decision).toMatchObject({ target: 'none', refused: true });
    expect(res.body.decision.reason).toBe('SLO cannot be met: 5 ms SLO - 270 ms round trip (your ECT hint) - 4 ms gateway overhead = -269 ms budget');
    // Not strict, the same request is served best effort, flagged.
    const lenient = await post('/admin/explain', { model: 'mnist', slo_ms: 5, hints: { ECT: '3g' } });
    expect(lenient.body.decision).toMatchObject({ target: 'edge', meets_slo: false });
    expect(lenient.body.decision.reason).toMatch(/^predicted SLO miss: fastest is \w+ at edge/);
    expect(res.body.decision.candidates.map((c: any) => `${c.target}/${c.variant}`)).toEqual(['edge/fp32', 'edge/fp16', 'edge/int8', 'edge/int8w', 'origin/fp32']);
    // A budget every candidate is predicted to miss still runs the fastest, best effort, flagged.
    const miss = await post('/admin/explain', { model: 'transformer-large', slo_ms: 400, items: 4 });
    expect(miss.body.decision).toMatchObject({ target: 'origin', meets_slo: false });
    expect(miss.body.decision.reason).toMatch(/predicted SLO miss/);
    // Learned against manifest, per candidate: what the selector predicts from and what it started from.
    for (const c of res.body.decision.candidates) expect(c).toMatchObject({ compute_ms: expect.any(Number), manifest_ms: expect.any(Number), observations: expect.any(Number) });
    // mnist's fidelity was measured on its real test split: every candidate is verified, and the policy says what unverified ones would get.
    expect(res.body.decision.candidates.map((c: any) => c.verified)).toEqual([true, true, true, true, true]);
    expect(res.body.policy).toMatchObject({ unverified_fidelity: 'avoid' });
    expect(res.body.learning).toEqual({ enabled: true, clock_frozen: false });
    const big = await post('/admin/explain', { model: 'transformer-large', slo_ms: 60000 });
    expect(big.body.decision.target).toBe('origin');
    expect(big.body.decision.candidates.filter((c: any) => c.target === 'edge').every((c: any) => !c.kept && /edge budget/.test(c.why))).toBe(true);
  });

  it('rejects bad explain requests with a clear 4xx', async () => {
    expect((await post('/admin/explain', { model: 'nope' })).status).toBe(404);
    const bad = await post('/admin/explain', { model: 'mnist', slo_ms: -1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/slo_ms/);
    expect((await post('/admin/explain', 'not json')).status).toBe(400);
    expect((await post('/admin/explain', { model: 'mnist', variant: 'int4' })).body.error).toMatch(/unknown variant 'int4'/);
  });

  it('shows the effective config and where each value came from', async () => {
    const res = await SELF.fetch('http://gateway.test/admin/config');
    const body = (await res.json()) as any;
    expect(body.sources['policy.slo_ms']).toBe('deployment');
    expect(body.sources['origin.breaker_failures']).toBe('default');
    expect(body.models.mnist.slo_ms).toBe(100);
    expect(body.models.mnist.sources.slo_ms).toBe('model');
  });
});

describe('policy hot reload from KV', () => {
  it('applies a valid KV policy without a redeploy, and keeps the last good one when KV holds a bad one', async () => {
    const call = gatewayWith({ policy_ttl_ms: 0 });
    await env.POLICY.put('policy', JSON.stringify({ models: { mnist: { slo_ms: 1234 } } }));
    let cfg = await call('GET', '/admin/config');
    expect(cfg.body.status.source).toBe('kv');
    expect(cfg.body.models.mnist.slo_ms).toBe(1234);
    expect(cfg.body.sources['models.mnist.slo_ms']).toBe('kv');
    const explained = await call('POST', '/admin/explain', { model: 'mnist' });
    expect(explained.body.policy.slo_ms).toBe(1234);

    await env.POLICY.put('policy', JSON.stringify({ models: { mnist: { slo_ms: -3 } } }));
    cfg = await call('GET', '/admin/config');
    expect(cfg.body.models.mnist.slo_ms).toBe(1234);
    expect(cfg.body.status.last_error).toMatch(/rejected KV policy.*models\.mnist\.slo_ms/);

    await env.POLICY.put('policy', JSON.stringify({ origin: { url: 'http://evil.example' } }));
    cfg = await call('GET', '/admin/config');
    expect(cfg.body.status.last_error).toMatch(/may only set "policy" and "models"/);
    expect(cfg.body.config.origin.url).toBe(env.ORIGIN_URL);
    await env.POLICY.delete('policy');
  });
});

describe('auth and abuse', () => {
  it('requires a known API key on inference when keys are configured', async () => {
    const call = gatewayWith({ auth: { api_keys_sha256: [await sha256Hex('team-a-secret')] } });
    const none = await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(none.body.error).toMatch(/API key is required/);
    const wrong = await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(403);
    const ok = await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { authorization: 'Bearer team-a-secret', 'x-slo-ms': '10000' });
    expect(ok.status).toBe(200);
    const viaHeader = await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { 'x-api-key': 'team-a-secret', 'x-slo-ms': '10000' });
    expect(viaHeader.status).toBe(200);
    // Metadata stays readable without a key.
    expect((await call('GET', '/v2/models/mnist')).status).toBe(200);
  });

  it('accepts keys stored hashed in the API_KEYS KV namespace', async () => {
    await env.API_KEYS.put(await sha256Hex('kv-key'), JSON.stringify({ name: 'mobile app' }));
    const call = gatewayWith({ auth: { kv_keys: true } });
    expect((await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { 'x-api-key': 'kv-key', 'x-slo-ms': '10000' })).status).toBe(200);
    expect((await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { 'x-api-key': 'other' })).status).toBe(403);
  });

  it('protects admin routes with the admin token when one is configured', async () => {
    const call = gatewayWith({ auth: { admin_token_sha256: await sha256Hex('ops-token') } });
    expect((await call('GET', '/admin/config')).status).toBe(401);
    expect((await call('GET', '/metrics')).status).toBe(401);
    expect((await call('GET', '/dashboard')).status).toBe(401);
    expect((await call('POST', '/admin/explain', { model: 'mnist' })).status).toBe(401);
    expect((await call('GET', '/admin/config', undefined, { authorization: 'Bearer wrong' })).status).toBe(403);
    expect((await call('GET', '/admin/config', undefined, { authorization: 'Bearer ops-token' })).status).toBe(200);
  });

  it('takes the admin token only as Authorization: Bearer on admin routes, never as x-api-key', async () => {
    const call = gatewayWith({ auth: { admin_token_sha256: await sha256Hex('ops-token') } });
    for (const path of ['/admin/config', '/metrics']) {
      const res = await call('GET', path, undefined, { 'x-api-key': 'ops-token' });
      expect(res.status, path).toBe(401);
      expect(res.body.error).toBe('the admin token is required: send Authorization: Bearer <token> (x-api-key carries API keys, never the admin token)');
    }
    expect((await call('GET', '/admin/config', undefined, { authorization: 'Bearer ops-token' })).status).toBe(200);
  });

  it('never takes the admin token as an API key, nor an API key as the admin token', async () => {
    await env.API_KEYS.put(await sha256Hex('ops-token'), JSON.stringify({ name: 'a key an operator reused' }));
    const call = gatewayWith({ auth: { api_keys_sha256: [await sha256Hex('team-a-secret')], kv_keys: true, admin_token_sha256: await sha256Hex('ops-token') } });
    try {
      for (const headers of [{ authorization: 'Bearer ops-token' }, { 'x-api-key': 'ops-token' }] as Record<string, string>[]) {
        const res = await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { ...headers, 'x-slo-ms': '10000' });
        expect(res.status).toBe(403);
        expect(res.body.error).toBe('the admin token is not an API key: it opens /admin, /metrics and /dashboard only');
        expect((await call('GET', '/v2/models/mnist/device', undefined, headers)).status).toBe(403);
      }
      for (const path of ['/admin/config', '/metrics', '/dashboard']) {
        const res = await call('GET', path, undefined, { authorization: 'Bearer team-a-secret' });
        expect(res.status, path).toBe(403);
        expect(res.body?.error ?? res.text).toMatch(/wrong admin token/);
      }
      expect((await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { authorization: 'Bearer team-a-secret', 'x-slo-ms': '10000' })).status).toBe(200);
    } finally {
      await env.API_KEYS.delete(await sha256Hex('ops-token'));
    }
  });

  it('closes the admin surfaces when deployed without an admin token, saying how to configure one', async () => {
    const call = gatewayWith({}, { ADMIN_OPEN: undefined } as Partial<Env>);
    for (const [method, path] of [['GET', '/admin/config'], ['GET', '/metrics'], ['GET', '/dashboard'], ['POST', '/admin/explain']] as const) {
      const res = await call(method, path, method === 'POST' ? { model: 'mnist' } : undefined);
      expect(res.status, path).toBe(403);
      expect(res.body.error, path).toMatch(/no admin token is configured; set auth\.admin_token_sha256/);
    }
    // Inference and health are not admin surfaces.
    expect((await call('GET', '/v2/health/ready')).status).toBe(200);
    expect((await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { 'x-slo-ms': '10000' })).status).toBe(200);
  });

  it('answers 429 with Retry-After once a key exceeds its rate limit', async () => {
    const call = gatewayWith({}, { RATE_LIMITER: (env as any).STRICT_LIMITER });
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { 'x-slo-ms': '10000', 'cf-connecting-ip': '203.0.113.9' });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect(last!.headers.get('retry-after')).toBe('60');
    expect(last!.body.error).toMatch(/rate limit/);
  });

  it('throttles an address that keeps sending wrong keys: 429 with Retry-After, even for a right key, while others are served', async () => {
    const call = gatewayWith({ auth: { api_keys_sha256: [await sha256Hex('team-a-secret')] } });
    const guesser = { 'cf-connecting-ip': '198.51.100.23' };
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 300; i++) {
      last = await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { ...guesser, 'x-api-key': `guess-${i}` });
      statuses.push(last.status);
    }
    // auth.failed_auth_limit (20 per 60 s by default) wrong keys are told so, the rest are refused unheard.
    expect(statuses.filter((s) => s === 403)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(280);
    expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last!.body.error).toMatch(/^too many failed authentication attempts from this address; retry in \d+ s$/);
    const right = { 'x-api-key': 'team-a-secret', 'x-slo-ms': '10000' };
    expect((await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { ...guesser, ...right })).status).toBe(429);
    expect((await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { 'cf-connecting-ip': '198.51.100.24', ...right })).status).toBe(200);
  });

  it('counts wrong admin tokens against the address too', async () => {
    const call = gatewayWith({ auth: { admin_token_sha256: await sha256Hex('ops-token'), failed_auth_limit: 3 } });
    const from = { 'cf-connecting-ip': '198.51.100.31' };
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await call('GET', '/admin/config', undefined, { ...from, authorization: `Bearer guess-${i}` })).status);
    expect(statuses).toEqual([403, 403, 403, 429, 429]);
  });

  it('spends authfail:ip:<address> on the RATE_LIMITER binding, apart from the request rate', async () => {
    const call = gatewayWith({ auth: { api_keys_sha256: [await sha256Hex('team-a-secret')], failed_auth_limit: 1000 } }, { RATE_LIMITER: (env as any).STRICT_LIMITER });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await call('POST', '/v2/models/mnist/infer', mnistBody(0, 1), { 'cf-connecting-ip': '198.51.100.41', 'x-api-key': 'nope' })).status);
    expect(statuses).toEqual([403, 403, 429]);
  });

  it('warns once, when the isolate starts, that a deployment without API keys serves anyone, unless told that is intended', async () => {
    const warnings = (config: Record<string, unknown>, bindings: Partial<Env> = {}) => {
      const spy = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      try {
        buildGateway({ ...env, ...bindings, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as object), ...config } } as Env);
        return spy.mock.calls.map((c) => JSON.parse(String(c[0])) as { event: string; warning: string }).filter((w) => w.event === 'anonymous_inference');
      } finally {
        spy.mockRestore();
      }
    };
    const open = warnings({});
    expect(open).toHaveLength(1);
    expect(open[0]!.warning).toMatch(/^no API keys are configured .*: inference, device plans and model artifacts answer anyone\. Configure keys, or set auth\.allow_anonymous = true/);
    // kv_keys without the namespace bound requires nothing either.
    expect(warnings({ auth: { kv_keys: true } }, { API_KEYS: undefined } as Partial<Env>)).toHaveLength(1);
    expect(warnings({ auth: { allow_anonymous: true } })).toEqual([]);
    expect(warnings({ auth: { api_keys_sha256: [await sha256Hex('team-a-secret')] } })).toEqual([]);
    expect(warnings({ auth: { kv_keys: true } })).toEqual([]);
  });

  it('sends CORS headers for configured browser origins', async () => {
    const call = gatewayWith({ auth: { cors_origins: ['https://app.example'] } });
    const res = await call('OPTIONS', '/v2/models/mnist/infer', undefined, { origin: 'https://app.example', 'access-control-request-method': 'POST' });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});
