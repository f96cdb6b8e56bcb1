/**
 * Cold isolates inside workerd: the selector charges a cold edge variant its load time (and the WASM
 * runtime's start), the origin covers the first tight-SLO requests while the edge variant loads in the
 * background, configured hot variants are loaded on the isolate's first request, and with edge.eager_runtime
 * the runtime starts on the isolate's first request of any kind.
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker, { buildGateway } from '../../src/worker.js';
import { mnistBody } from '../helpers.js';

type IncomingRequest = Parameters<NonNullable<typeof worker.fetch>>[0];

function request(headers: Record<string, string> = {}): IncomingRequest {
  return new Request('http://gateway.test/v2/models/mnist/infer', { method: 'POST', body: JSON.stringify(mnistBody(0, 1)), headers }) as IncomingRequest;
}

describe('cold start', () => {
  it('serves a tight SLO from the origin while the edge is cold, warms the edge meanwhile, then serves it there', async () => {
    const gw = buildGateway(env);
    const ctx = createExecutionContext();
    // 150 ms: more than the origin needs, less than a cold edge (runtime start + session load).
    const first = await gw.fetch(request({ 'x-slo-ms': '150', RTT: '0' }), env, ctx);
    expect(first.headers.get('x-served-by')).toBe('origin');
    await first.arrayBuffer();
    await waitOnExecutionContext(ctx);
    const second = await gw.fetch(request({ 'x-slo-ms': '150', RTT: '0' }), env, createExecutionContext());
    expect(second.headers.get('x-served-by'), second.headers.get('x-route-reason') ?? '').toBe('edge');
    expect(second.headers.get('server-timing')).not.toMatch(/load;dur/);
  });

  it('loads the configured hot variants in the background of the first request', async () => {
    const e = { ...env, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as object), edge: { warm: ['mnist/int8'] } } } as Env;
    const ctx = createExecutionContext();
    const res = await worker.fetch(new Request('http://gateway.test/v2/health/ready') as IncomingRequest, e, ctx);
    expect(res.status).toBe(200);
    await waitOnExecutionContext(ctx);
    const pinned = await worker.fetch(request({ 'x-model-variant': 'int8', 'x-slo-ms': '10000' }), e, createExecutionContext());
    expect(pinned.status).toBe(200);
    expect(pinned.headers.get('server-timing')).not.toMatch(/load;dur/);
  });

  it('with edge.eager_runtime, starts the runtime on the first request of any kind, so a cold variant is then charged its load alone', async () => {
    const e = { ...env, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as object), edge: { eager_runtime: true } } } as Env;
    const gw = buildGateway(e);
    // What the Worker entry runs in waitUntil on the isolate's first request, whatever it asks for.
    await gw.warm!();
    const res = await gw.fetch(request({ 'x-slo-ms': '150', RTT: '0' }), e, createExecutionContext());
    expect(res.headers.get('x-served-by'), res.headers.get('x-route-reason') ?? '').toBe('edge');
    // The variant itself was still cold: it loaded in this request.
    expect(res.headers.get('server-timing')).toMatch(/load;dur/);
  });

  it('rejects a malformed warm entry at startup, naming the field', () => {
    const e = { ...env, GATEWAY_CONFIG: { edge: { warm: ['mnist'] } } } as Env;
    expect(() => buildGateway(e)).toThrow(/edge\.warm\.0/);
  });
});
