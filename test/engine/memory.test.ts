/**
 * The isolate memory budget inside workerd: least recently used idle sessions are released to make room,
 * and a variant that can never fit goes to the origin instead of taking the isolate down.
 */
import { createExecutionContext, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { buildGateway } from '../../src/worker.js';
import { mnistBody } from '../helpers.js';

function gatewayWithBudget(bytes: number) {
  const e = { ...env, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as object), edge: { isolate_memory_budget_bytes: bytes } } } as Env;
  const gw = buildGateway(e);
  return async (variant: string) => {
    const req = new Request('http://gateway.test/v2/models/mnist/infer', {
      method: 'POST',
      body: JSON.stringify(mnistBody(0, 1)),
      headers: { 'x-model-variant': variant, 'x-slo-ms': '10000' },
    });
    const res = await gw.fetch(req, e, createExecutionContext());
    await res.arrayBuffer();
    return { status: res.status, timing: res.headers.get('server-timing') ?? '', servedBy: res.headers.get('x-served-by'), reason: res.headers.get('x-route-reason') ?? '' };
  };
}

describe('isolate memory budget', () => {
  it('releases the least recently used session to load another, and reloads it when needed again', async () => {
    // fp32 (438 kB) + fp16 (220 kB) do not fit 600 kB together; int8 (113 kB) fits beside either.
    const call = gatewayWithBudget(600_000);
    expect((await call('fp32')).timing).toMatch(/load;dur/);
    expect((await call('fp32')).timing).not.toMatch(/load;dur/);
    expect((await call('fp16')).timing).toMatch(/load;dur/);
    const again = await call('fp32');
    expect(again.status).toBe(200);
    expect(again.timing).toMatch(/load;dur/);
  });

  it('sends a variant larger than the whole budget to the origin', async () => {
    const call = gatewayWithBudget(100_000);
    const res = await call('fp32');
    expect(res.status).toBe(200);
    expect(res.servedBy).toBe('origin');
    expect(res.reason).toMatch(/isolate budget/);
  });
});
