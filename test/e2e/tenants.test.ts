/**
 * Many tenants, one origin: no caller can spend the origin for everyone else. Against the real origin
 * (onnxruntime-node, test/setup/origin.ts) through a gateway with two API keys, a hostile tenant and a victim:
 * the hostile's worst legal request ([5,512] transformer-large with a 200 ms SLO, ~12 s of compute) is
 * refused by the origin by its predicted cost instead of run, while the victim's ordinary requests are
 * served and the breaker stays closed. Then the origin's own admission, asked directly: a request that
 * cannot finish by its deadline fails at once, and a malformed caller id is a JSON 400. (A flood of one
 * caller's 429s is in faults.test.ts, which owns the fault proxy; both tenants for half a minute at a time on the
 * running stack, in tenants-soak.e2e.test.ts.)
 */
import { createExecutionContext, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../../src/lib/sha256.js';
import { buildGateway } from '../../src/worker.js';

const ORIGIN = env.ORIGIN_URL;
const ORIGIN_TOKEN = (env as { ORIGIN_TOKEN?: string }).ORIGIN_TOKEN;
const HOSTILE = 'hostile-tenant-key';
const VICTIM = 'victim-tenant-key';

function tokens(batch: number, seq: number) {
  const ids = Array.from({ length: batch * seq }, (_, i) => (i * 7919) % 30000);
  return {
    inputs: [
      { name: 'input_ids', datatype: 'INT64', shape: [batch, seq], data: ids },
      { name: 'attention_mask', datatype: 'INT64', shape: [batch, seq], data: ids.map(() => 1) },
    ],
  };
}

/** A gateway that knows the two tenants' keys, and a call as one of them. */
async function tenants() {
  const config = { ...(env.GATEWAY_CONFIG as Record<string, unknown>), auth: { api_keys_sha256: [await sha256Hex(HOSTILE), await sha256Hex(VICTIM)] } };
  const testEnv = { ...env, GATEWAY_CONFIG: config } as Env;
  const gw = buildGateway(testEnv);
  const call = async (key: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = body === undefined ? { headers: { authorization: `Bearer ${key}` } } : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers } };
    const res = await gw.fetch(new Request(`http://gateway.test${path}`, init), testEnv, createExecutionContext());
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, body: res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as any) : undefined };
  };
  return { call };
}

/** The origin asked directly, as a gateway would ask it (with the variant it chose: fp32). */
function origin(body: unknown, headers: Record<string, string>) {
  return fetch(`${ORIGIN}/v2/models/transformer-large/infer`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', authorization: `Bearer ${ORIGIN_TOKEN}`, 'x-model-variant': 'fp32', ...headers } });
}

describe('many tenants, one origin', () => {
  it("refuses a hostile tenant's worst legal request by its predicted cost while the victim's requests are served and the breaker stays closed", async () => {
    const { call } = await tenants();
    const worst = Promise.all(Array.from({ length: 3 }, () => call(HOSTILE, '/v2/models/transformer-large/infer', tokens(5, 512), { 'x-slo-ms': '200' })));
    const victim: number[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await call(VICTIM, '/v2/models/transformer-large/infer', tokens(1, 8), { 'x-slo-ms': '3000' });
      victim.push(res.status);
      if (res.status === 200) expect(res.headers.get('x-served-by')).toBe('origin');
    }
    const hostile = await worst;
    console.log(`tenants: victim 200s ${victim.filter((s) => s === 200).length}/6 (statuses ${victim.join(',')}); hostile statuses ${hostile.map((r) => r.status).join(',')}`);
    // The first reaches the origin, which refuses its cost; the others find the hostile's own origin compute
    // budget at the gateway spent (origin.caller_compute_burst_ms) and are its 429, never sent.
    const statuses = hostile.map((r) => r.status).sort();
    expect(statuses[0]).toBe(413);
    for (const res of hostile) {
      if (res.status === 413) expect(res.body.error).toMatch(/^origin rejected the request: transformer-large\/fp32: this request is predicted to compute for \d+ ms, over the limit of 5000 ms per request \(origin_limits\.max_request_cost_ms\); send fewer or shorter inputs per request$/);
      else {
        expect(res.status, res.text).toBe(429);
        expect(res.body.error).toMatch(/^origin compute budget of this caller spent: \d+ ms predicted/);
        expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      }
    }
    expect(victim).toEqual([200, 200, 200, 200, 200, 200]);
    const metrics = (await call(VICTIM, '/metrics')).text;
    expect(metrics).toMatch(/gateway_origin_breaker_state\{[^}]*\} 0/);
  });

  it('at the origin, fails a request that cannot finish by its deadline at once, before it runs, whoever sends it', async () => {
    // [1,512]: ~2 s of compute, under the cost limit, but a 300 ms deadline cannot hold it.
    const res = await origin(tokens(1, 512), { 'x-caller-id': '00000000000000aa', 'x-request-deadline-ms': '300' });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { error: string }).error).toMatch(/^transformer-large\/fp32: cannot finish by the request's deadline: predicted \d+ ms to compute \+ \d+ ms of work queued ahead > \d+ ms left; not started$/);
    const worst = await origin(tokens(5, 512), { 'x-caller-id': '00000000000000aa', 'x-request-deadline-ms': '60000' });
    expect(worst.status).toBe(413);
    expect(((await worst.json()) as { error: string }).error).toMatch(/over the limit of 5000 ms per request \(origin_limits\.max_request_cost_ms\)/);
  });

  it('answers a malformed caller id at the origin with a JSON 400 naming the header', async () => {
    const res = await origin(tokens(1, 4), { 'x-caller-id': 'alice' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^x-caller-id must be 16 hex digits/);
  });
});
