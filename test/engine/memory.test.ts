/**
 * The isolate memory budget inside workerd: least recently used idle sessions are released to make room,
 * a variant that can never fit goes to the origin instead of taking the isolate down, and pinned requests
 * contending for the budget are all answered without cooling a healthy variant down.
 */
import { createExecutionContext, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { buildGateway } from '../../src/worker.js';
import { classes, digits, mnistBody } from '../helpers.js';

function gatewayWithBudget(bytes: number, edge: Record<string, unknown> = {}) {
  const e = { ...env, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as object), edge: { isolate_memory_budget_bytes: bytes, ...edge } } } as Env;
  const gw = buildGateway(e);
  const call = async (variant: string, digit = 0) => {
    const req = new Request('http://gateway.test/v2/models/mnist/infer', {
      method: 'POST',
      body: JSON.stringify(mnistBody(digit, 1)),
      headers: { 'x-model-variant': variant, 'x-slo-ms': '10000' },
    });
    const res = await gw.fetch(req, e, createExecutionContext());
    const body = res.status === 200 ? ((await res.json()) as { outputs: { shape: number[]; data: number[] }[] }) : { error: await res.text() };
    return { status: res.status, body, timing: res.headers.get('server-timing') ?? '', servedBy: res.headers.get('x-served-by'), reason: res.headers.get('x-route-reason') ?? '' };
  };
  const metrics = async () => (await gw.fetch(new Request('http://gateway.test/metrics'), e, createExecutionContext())).text();
  return Object.assign(call, { metrics });
}

/** Sample digits every mnist variant reads right (it reads digit 21, a 7, as a 0). */
const READ_RIGHT = Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 21);

/** `rounds` of 8 concurrent requests pinning fp32 and fp16 in turn: the two do not fit a 600 kB budget together. */
async function contend(call: ReturnType<typeof gatewayWithBudget>, rounds: number) {
  const out: Awaited<ReturnType<typeof call>>[] = [];
  for (let r = 0; r < rounds; r++) {
    out.push(...(await Promise.all(Array.from({ length: 8 }, (_, i) => call(i % 2 ? 'fp16' : 'fp32', READ_RIGHT[r * 8 + i])))));
  }
  for (const [i, o] of out.entries()) {
    expect(o.status, JSON.stringify(o.body)).toBe(200);
    expect(classes((o.body as { outputs: { shape: number[]; data: number[] }[] }).outputs[0]!)).toEqual([digits.labels[READ_RIGHT[i]!]]);
  }
  return out;
}

const cooldowns = (metrics: string) => metrics.split('\n').filter((l) => l.startsWith('gateway_variant_cooldowns_total{'));

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

  it('answers concurrent pinned requests to two variants that do not fit together, falling back without a cooldown when it cannot wait', async () => {
    // No wait: every load that finds the other variant's session busy or loading goes to the origin at once.
    const call = gatewayWithBudget(600_000, { memory_wait_ms: 0 });
    const out = await contend(call, 3);
    const metrics = await call.metrics();
    expect(metrics, 'the contention happened and was counted as such').toMatch(/^gateway_edge_memory_contention_total\{answered="origin",model="mnist",variant="fp(32|16)"\} [1-9]/m);
    expect(out.filter((o) => o.servedBy === 'origin').every((o) => /contention, no cooldown/.test(o.reason))).toBe(true);
    expect(cooldowns(metrics)).toEqual([]);
    // Both variants stay routable: served at the edge, not routed around as "failed at the edge recently".
    for (const v of ['fp32', 'fp16']) {
      const again = await call(v);
      expect(again.servedBy, again.reason).toBe('edge');
      expect(again.reason).toBe(`pinned ${v} at edge`);
    }
  });

  it('answers the same contention by waiting a bounded time for the busy session (edge.memory_wait_ms), with no cooldown', async () => {
    const call = gatewayWithBudget(600_000);
    const out = await contend(call, 3);
    console.log(`memory contention, default wait: ${out.filter((o) => o.servedBy === 'edge').length}/${out.length} at the edge`);
    expect(cooldowns(await call.metrics())).toEqual([]);
    expect((await call('fp16')).servedBy).toBe('edge');
  });
});

