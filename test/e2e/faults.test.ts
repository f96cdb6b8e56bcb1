/**
 * Fault injection: load through the gateway while the origin (behind a fault proxy, see
 * test/setup/fault-proxy.ts) is killed, slowed, answers 5xx, answers garbage, and resets connections.
 * Every request must end with a correct answer or a well-formed JSON error within its deadline; models
 * with an edge variant must keep being answered. A dead or broken origin opens the breaker (503); a slow
 * one does not, since timeouts are neutral (src/origin/client.ts): its requests are answered 504 (or at the
 * edge) and the breaker stays closed. The outcome counts are printed per fault. One caller's flood of the
 * origin's 429s is passed on while another caller is served as well as in the same run without it. Then a hung
 * origin: a JSON 504 within the SLO plus the grace, the origin told the deadline and hung up on, and a
 * client that leaves takes its origin call with it.
 */
import { createExecutionContext, env } from 'cloudflare:test';
import { afterAll, describe, expect, it } from 'vitest';
import { callerOfAddress } from '../../src/protocol/caller.js';
import { buildGateway } from '../../src/worker.js';
import { classes, digits, mnistBody } from '../helpers.js';

const ORIGIN_PORT = Number(new URL(env.ORIGIN_URL).port);
const PROXY = `http://127.0.0.1:${ORIGIN_PORT + 2}`;
const CONTROL = `http://127.0.0.1:${ORIGIN_PORT + 3}/__fault`;
// Origin deadline: the budget (SLO - ~50 ms network - 4 ms overhead) + 100 ms grace = ~1046 ms, close to the
// 1000 ms the suite was written for (it used to be 2 x a 500 ms SLO): the origin's first cold runs under 8
// concurrent requests take ~450 ms, which a 500 ms SLO's ~546 ms deadline would no longer leave room for.
const SLO_MS = 1000;
// Allow scheduling slack on a loaded 2-core box.
const DEADLINE_MS = 1000 + 1500;

const config = {
  ...(env.GATEWAY_CONFIG as Record<string, unknown>),
  // mnist may only run int8 at the edge, so the origin's fp32 (more faithful) is preferred while healthy.
  models: { mnist: { variants: ['int8'] } },
  origin: { breaker_failures: 3, breaker_open_ms: 300 },
};
const testEnv = { ...env, ORIGIN_URL: PROXY, GATEWAY_CONFIG: config } as Env;
const gateway = buildGateway(testEnv);

async function fault(mode: string, delay_ms?: number, caller?: string) {
  const res = await fetch(CONTROL, { method: 'POST', body: JSON.stringify({ mode, delay_ms, caller }) });
  expect(res.status).toBe(200);
}

const tokens = { inputs: [{ name: 'input_ids', datatype: 'INT64', shape: [1, 4], data: [101, 7, 8, 102] }, { name: 'attention_mask', datatype: 'INT64', shape: [1, 4], data: [1, 1, 1, 1] }] };

interface Outcome {
  model: string;
  status: number;
  servedBy: string | null;
  ms: number;
}

/** One request, checked: a correct answer or a well-formed error, within the deadline. */
async function request(i: number, sloMs = SLO_MS): Promise<Outcome> {
  const isMnist = i % 2 === 0;
  const digit = (i * 7) % 100;
  const body = isMnist ? mnistBody(digit, 1) : tokens;
  const path = isMnist ? '/v2/models/mnist/infer' : '/v2/models/transformer-large/infer';
  const t0 = Date.now();
  const res = await gateway.fetch(
    new Request(`http://gateway.test${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'x-slo-ms': String(sloMs) } }),
    testEnv,
    createExecutionContext(),
  );
  const ms = Date.now() - t0;
  const json = (await res.json()) as any;
  expect(ms, `${path} took ${ms} ms`).toBeLessThan(sloMs + DEADLINE_MS - SLO_MS);
  if (res.status === 200) {
    if (isMnist) expect(classes(json.outputs[0])).toEqual([digits.labels[digit]]);
    else expect(json.outputs[0].shape).toEqual([1, 4, 768]);
  } else {
    expect([502, 503, 504]).toContain(res.status);
    expect(typeof json.error).toBe('string');
    if (res.status === 503) expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  }
  return { model: isMnist ? 'mnist' : 'transformer-large', status: res.status, servedBy: res.headers.get('x-served-by'), ms };
}

/** `total` requests, `concurrency` at a time. */
async function load(total: number, concurrency: number, sloMs = SLO_MS): Promise<Outcome[]> {
  const out: Outcome[] = [];
  for (let start = 0; start < total; start += concurrency) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, total - start) }, (_, k) => request(start + k, sloMs)))));
  }
  return out;
}

/** Waits (bounded) until the origin answers through the gateway again: the breaker closed. */
async function recovered(): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if ((await request(1)).status === 200) return;
    await scheduler.wait(100);
  }
  throw new Error('the gateway did not recover within 15 s after the origin came back');
}

const report: Record<string, Record<string, number>> = {};
function tally(mode: string, outcomes: Outcome[]) {
  const counts: Record<string, number> = {};
  for (const o of outcomes) {
    const k = `${o.model} ${o.status}${o.status === 200 ? ` ${o.servedBy}` : ''}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  report[mode] = counts;
}

/** What the proxy saw of hung requests (test/setup/fault-proxy.ts, mode 'hang'). */
async function hangStats(): Promise<{ hung: number; abandoned: number; deadlines: (string | null)[] }> {
  return (await (await fetch(CONTROL)).json()) as never;
}

/** Polls the proxy until `done` holds, for at most `ms`. */
async function until(done: (s: Awaited<ReturnType<typeof hangStats>>) => boolean, ms: number): Promise<Awaited<ReturnType<typeof hangStats>>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const s = await hangStats();
    if (done(s)) return s;
    if (Date.now() > deadline) throw new Error(`the proxy did not see it within ${ms} ms: ${JSON.stringify(s)}`);
    await scheduler.wait(20);
  }
}

describe('fault injection', () => {
  afterAll(async () => {
    await fault('pass');
    console.log(`fault-injection outcomes (24 requests per fault, 8 concurrent):\n${JSON.stringify(report, null, 1)}`);
  });

  it('serves everything from the origin path while it is healthy', async () => {
    await fault('pass');
    // What is tested here is where a healthy origin's answers come from, not deadlines: a generous SLO, so a
    // busy CI machine (the origin's 1 GB transformer-large runs its first cold calls) cannot push mnist to the
    // edge by the budget alone.
    const outcomes = await load(8, 4, 5000);
    tally('pass', outcomes);
    expect(outcomes.every((o) => o.status === 200 && o.servedBy === 'origin'), JSON.stringify(report['pass'])).toBe(true);
  });

  for (const mode of ['kill', 'error', 'garbage', 'reset', 'slow'] as const) {
    it(`keeps answering when the origin ${mode === 'kill' ? 'is killed' : mode === 'slow' ? 'is slow' : mode === 'error' ? 'answers 5xx' : mode === 'garbage' ? 'answers garbage' : 'resets connections'}, then recovers`, async () => {
      await fault(mode, 1500);
      const outcomes = await load(24, 8);
      tally(mode, outcomes);
      const mnist = outcomes.filter((o) => o.model === 'mnist');
      const big = outcomes.filter((o) => o.model === 'transformer-large');
      // A model with an edge variant is always answered, at the edge once the origin fails.
      expect(mnist.every((o) => o.status === 200)).toBe(true);
      expect(mnist.some((o) => o.servedBy === 'edge')).toBe(true);
      // An origin-only model gets errors: 503 + Retry-After once the breaker is open, which only what says the
      // origin is unhealthy opens. A slow origin is a busy one: its timeouts are 504s that open nothing (this
      // expected a 503 while timeouts counted against the origin).
      expect(big.every((o) => o.status !== 200)).toBe(true);
      if (mode === 'slow') expect(big.every((o) => o.status === 504)).toBe(true);
      else expect(big.some((o) => o.status === 503)).toBe(true);
      await fault('pass');
      await recovered();
    });
  }

  it("passes one caller's flood of origin 429s on with their Retry-After, and serves another caller as well as without the flood, with the breaker closed", async () => {
    const [hostile, victim] = ['198.51.100.66', '198.51.100.7'];
    // The proxy answers the hostile caller id as the origin's per-caller rate limit would, and forwards the rest.
    await fault('throttle', undefined, await callerOfAddress(hostile));
    const ask = (ip: string) =>
      gateway.fetch(
        new Request('http://gateway.test/v2/models/transformer-large/infer', { method: 'POST', body: JSON.stringify(tokens), headers: { 'x-slo-ms': '5000', 'cf-connecting-ip': ip } }),
        testEnv,
        createExecutionContext(),
      );
    /** The victim's requests, 2 at a time: how many were served by the origin. */
    const victimRun = async () => {
      let served = 0;
      for (let i = 0; i < 4; i++) {
        for (const res of await Promise.all([ask(victim), ask(victim)])) {
          if (res.status === 200 && res.headers.get('x-served-by') === 'origin') served++;
          await res.arrayBuffer();
        }
      }
      return served / 8;
    };
    const baseline = await victimRun();
    // The same, while the hostile caller floods (8 at a time, until the victim is done).
    let flooding = true;
    const flood: Response[] = [];
    const flooder = (async () => {
      while (flooding) flood.push(...(await Promise.all(Array.from({ length: 8 }, () => ask(hostile)))));
    })();
    const flooded = await victimRun();
    flooding = false;
    await flooder;
    console.log(`origin 429 flood: victim served ${flooded * 100}% during ${flood.length} hostile requests, ${baseline * 100}% without them`);
    expect(flood.length).toBeGreaterThanOrEqual(8);
    // Each is a 429: the origin's, passed on with its Retry-After, or, once the flooder's own bucket of origin
    // compute at the gateway is spent (origin.caller_compute_*), the gateway's, never sent.
    let passedOn = 0;
    for (const res of flood) {
      expect(res.status).toBe(429);
      const error = ((await res.json()) as { error: string }).error;
      if (error.startsWith('origin rate limit')) {
        passedOn++;
        expect(res.headers.get('retry-after')).toBe('42');
        expect(error).toBe('origin rate limit for this caller: rate limit exceeded; retry in 42 s');
      } else expect(error).toMatch(/^origin compute budget of this caller spent: /);
    }
    expect(passedOn).toBeGreaterThanOrEqual(8);
    expect(baseline).toBe(1);
    expect(flooded).toBe(baseline);
    const metrics = await (await gateway.fetch(new Request('http://gateway.test/metrics'), testEnv, createExecutionContext())).text();
    expect(metrics).toMatch(/gateway_origin_breaker_state\{[^}]*\} 0/);
    await fault('pass');
  });

  describe('a hung origin', () => {
    // The deployment's own config (breaker, grace): only the origin URL points at the proxy.
    const hungEnv = { ...env, ORIGIN_URL: PROXY } as Env;
    const GRACE_MS = 100;
    const SLO = 1500;

    it('is answered with a JSON 504 within the SLO plus the grace, not twice the SLO, and is hung up on', async () => {
      await fault('hang');
      const gw = buildGateway(hungEnv);
      const t0 = Date.now();
      const res = await gw.fetch(
        new Request('http://gateway.test/v2/models/transformer-large/infer', { method: 'POST', body: JSON.stringify(tokens), headers: { 'x-slo-ms': String(SLO) } }),
        hungEnv,
        createExecutionContext(),
      );
      const ms = Date.now() - t0;
      expect(res.status).toBe(504);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(((await res.json()) as { error: string }).error).toMatch(/^origin did not answer within \d+ ms/);
      // The deadline is the budget (SLO - ~50 ms assumed network - overhead) plus the grace: the bound is the feature.
      expect(ms).toBeLessThanOrEqual(SLO + GRACE_MS + 400);
      expect(ms).toBeGreaterThanOrEqual(SLO - 100);
      // Every attempt told the origin how long it would be waited for, and was hung up on, not left open.
      const seen = await until((s) => s.hung === 0 && s.abandoned >= 1, 2000);
      expect(seen.deadlines.length).toBe(seen.abandoned);
      for (const d of seen.deadlines) {
        expect(d).toMatch(/^\d+$/);
        expect(Number(d)).toBeLessThanOrEqual(SLO + GRACE_MS);
      }
    });

    it('abandons the origin call when the client hangs up, long before the deadline', async () => {
      await fault('hang');
      const gw = buildGateway(hungEnv);
      const client = new AbortController();
      // A 30 s SLO: the gateway itself would wait up to origin.timeout_ms (10 s).
      const pending = gw.fetch(
        new Request('http://gateway.test/v2/models/transformer-large/infer', { method: 'POST', body: JSON.stringify(tokens), headers: { 'x-slo-ms': '30000' }, signal: client.signal }),
        hungEnv,
        createExecutionContext(),
      );
      await until((s) => s.hung === 1, 5000);
      client.abort();
      const res = await pending;
      expect(res.status).toBe(499);
      const seen = await until((s) => s.hung === 0, 2000);
      expect(seen.abandoned).toBe(1);
      await fault('pass');
    });
  });
});
