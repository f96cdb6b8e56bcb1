/**
 * The origin client with a fake fetch: it tells the origin how long it will wait and who the caller is,
 * abandons the call when the client goes away, and lets only what says the origin is unhealthy reach the
 * breaker (refused or reset connections, 5xx, garbage): a timeout, the origin's own 504 and a caller's 429 are
 * never failures.
 */
import { describe, expect, it } from 'vitest';
import type { BackendRequest } from '../../src/backend.js';
import { ClientClosedRequest, OriginRejected, OriginTimeout, OriginUnavailable } from '../../src/errors.js';
import { OriginClient } from '../../src/origin/client.js';
import { CALLER_HEADER } from '../../src/protocol/caller.js';
import { REQUEST_HEADER } from '../../src/protocol/headers.js';
import { Registry } from '../../src/registry/registry.js';
import { readManifests } from '../../tools/lib/manifests.js';

const mnist = new Registry(readManifests('models')).get('mnist');

interface Call {
  headers: Record<string, string>;
  body: { parameters?: Record<string, unknown> };
  signal: AbortSignal;
}

/** A fake origin: hangs until the call is aborted, answers 500, or answers ten logits; records every call. */
function fakeOrigin(mode: { hang: boolean; fail?: boolean }) {
  const calls: Call[] = [];
  let called: () => void = () => undefined;
  const firstCall = new Promise<void>((r) => (called = r));
  const fetch = (async (_url: string, init: RequestInit) => {
    const signal = init.signal!;
    calls.push({ headers: init.headers as Record<string, string>, body: JSON.parse(new TextDecoder().decode(init.body as Uint8Array)), signal });
    called();
    if (mode.fail) return Response.json({ error: 'injected failure' }, { status: 500 });
    if (!mode.hang) return Response.json({ model_name: 'mnist', outputs: [{ name: 'logits', datatype: 'FP32', shape: [1, 10], data: Array.from({ length: 10 }, (_, i) => i) }] });
    return new Promise<Response>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch, firstCall };
}

function harness(mode: { hang: boolean; fail?: boolean } = { hang: true }) {
  const clock = { t: 0 };
  const origin = fakeOrigin(mode);
  const client = new OriginClient({ url: 'http://origin.test', expectedRttMs: 40, breakerFailures: 3, breakerOpenMs: 1000, minAttemptMs: 50, binary: false, fetch: origin.fetch, now: () => clock.t });
  return { clock, client, ...origin };
}

/** One digit for mnist, due `deadlineMs` from the fake clock's 0. */
function ask(deadlineMs: number, extra: Partial<BackendRequest> = {}): BackendRequest {
  return {
    model: mnist,
    variant: 'fp32',
    request: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: new Float32Array(784) }], parameters: { slo_ms: 20, priority: 'low' } },
    deadline: deadlineMs,
    ...extra,
  };
}

/** A 30 ms deadline the request's 20 ms SLO set, for a run the origin is predicted to need 369 ms for. */
const SHORT = { shortDeadline: { why: 'its 20 ms SLO (budget 14 ms, 0 ms spent, + 100 ms grace)' }, expectedOriginMs: 369 };

/** A client whose fake origin answers every call with `status`, `body` and `headers`; counts the calls. */
function answering(status: number, body: unknown, headers: Record<string, string> = {}) {
  const counted = { calls: 0, headers: [] as Record<string, string>[] };
  const client = new OriginClient({
    url: 'http://origin.test', expectedRttMs: 40, breakerFailures: 1, breakerOpenMs: 1000, minAttemptMs: 50, binary: false, now: () => 0,
    fetch: (async (_url: string, init: RequestInit) => {
      counted.calls++;
      counted.headers.push(init.headers as Record<string, string>);
      return Response.json(body, { status, headers });
    }) as unknown as typeof fetch,
  });
  return { client, counted };
}

describe('the origin client', () => {
  it('tells the origin how long it will wait for the attempt, less the round trip back', async () => {
    const { client, calls } = harness({ hang: false });
    await client.infer(ask(1000));
    // 1000 ms leave room for a retry: the first attempt gets 60 %, the origin that less the 40 ms round trip.
    expect(calls[0]!.headers[REQUEST_HEADER.requestDeadlineMs]).toBe('560');
  });

  it('sends the SLO as the deadline header only, not again as a parameter the origin would judge', async () => {
    const { client, calls } = harness({ hang: false });
    await client.infer(ask(1000));
    expect(calls[0]!.body.parameters).toEqual({ priority: 'low' });
  });

  it("sends a caller's own v2 timeout on as what is left of it (µs, less the round trip), never the caller's original", async () => {
    const { client, calls } = harness({ hang: false });
    const req = ask(1000, { deadlineFromCaller: true });
    await client.infer({ ...req, request: { ...req.request, parameters: { timeout: 5_000_000, priority: 1 } } });
    expect(calls[0]!.body.parameters).toEqual({ timeout: 960_000, priority: 1 });
    await client.infer({ ...ask(1000), request: { ...req.request, parameters: { timeout: 5_000_000 } } });
    expect(calls[1]!.body.parameters).toEqual({});
  });

  it("forwards only the protocol's parameters: a caller's other keys, however many, stay at the gateway", async () => {
    const { client, calls } = harness({ hang: false });
    const junk = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, 'x'.repeat(100)]));
    const req = ask(1000, { deadlineFromCaller: true });
    await client.infer({ ...req, request: { ...req.request, parameters: { ...junk, priority: 2, timeout: 5_000_000, slo_ms: 50, binary_data_output: true, sequence_id: 7 } } });
    expect(calls[0]!.body.parameters).toEqual({ priority: 2, timeout: 960_000 });
  });

  it('asks a binary origin for binary outputs itself, whatever the caller sent', async () => {
    const calls: { parameters?: Record<string, unknown> }[] = [];
    const fetch = (async (_url: string, init: RequestInit) => {
      const bytes = init.body as Uint8Array;
      const headerLength = Number((init.headers as Record<string, string>)['inference-header-content-length']);
      calls.push(JSON.parse(new TextDecoder().decode(bytes.subarray(0, headerLength))));
      return Response.json({ model_name: 'mnist', outputs: [{ name: 'logits', datatype: 'FP32', shape: [1, 10], data: Array.from({ length: 10 }, (_, i) => i) }] });
    }) as unknown as typeof globalThis.fetch;
    const client = new OriginClient({ url: 'http://origin.test', expectedRttMs: 40, breakerFailures: 3, breakerOpenMs: 1000, minAttemptMs: 50, binary: true, fetch, now: () => 0 });
    const req = ask(1000);
    await client.infer({ ...req, request: { ...req.request, parameters: { binary_data_output: false, tenant: 'a' } } });
    expect(calls[0]!.parameters).toEqual({ binary_data_output: true });
  });

  it('spends a short deadline on one attempt instead of two that could not hold the predicted run', async () => {
    const { client, calls } = harness({ hang: false });
    await client.infer(ask(1000, { expectedOriginMs: 369 }));
    expect(calls[0]!.headers[REQUEST_HEADER.requestDeadlineMs]).toBe('960');
  });

  it("answers a timeout the request's SLO made too short with a 504 naming the SLO, and keeps the breaker closed through a storm of them", async () => {
    const { client, calls } = harness();
    const errors = await Promise.all(Array.from({ length: 10 }, () => client.infer(ask(30, SHORT)).catch((e: unknown) => e)));
    for (const e of errors) {
      expect(e).toBeInstanceOf(OriginTimeout);
      expect((e as OriginTimeout).status).toBe(504);
      expect((e as Error).message).toMatch(/^origin did not answer within 30 ms, the deadline set by its 20 ms SLO .*; not counted against the origin$/);
    }
    // One attempt each: a retry would only be shorter still.
    expect(calls).toHaveLength(10);
    expect(calls.every((c) => c.signal.aborted)).toBe(true);
    expect(client.breaker.state()).toBe('closed');
    expect(client.healthy()).toBe(true);
  });

  it('counts no timeout, not even of an attempt that had all the origin was predicted to need: a busy origin is not a down one', async () => {
    const { client } = harness();
    const fair = { shortDeadline: { why: 'its 100 ms SLO' }, expectedOriginMs: 20 };
    for (let i = 0; i < 5; i++) await expect(client.infer(ask(30, fair))).rejects.toThrow(/^origin did not answer within 30 ms, the deadline set by its 100 ms SLO; not counted against the origin$/);
    expect(client.breaker.state()).toBe('closed');
  });

  it("counts no timeout of a deadline at the origin's own limit either (it used to open the breaker for every tenant)", async () => {
    const { client } = harness();
    for (let i = 0; i < 5; i++) await expect(client.infer(ask(30))).rejects.toThrow(/^origin did not answer within 30 ms; not counted against the origin$/);
    expect(client.breaker.state()).toBe('closed');
    expect(client.healthy()).toBe(true);
  });

  it('still opens the breaker on answers the origin blames on itself (5xx)', async () => {
    const { client } = harness({ hang: false, fail: true });
    // Each request tries twice (a 5xx is retried); the third failure opens the breaker.
    await expect(client.infer(ask(1000))).rejects.toThrow(/^origin answered 500/);
    await expect(client.infer(ask(1000))).rejects.toThrow(/circuit breaker is open/);
    expect(client.breaker.state()).toBe('open');
  });

  it('gives the half-open probe back after an uncounted timeout, so the next request can probe and close the breaker', async () => {
    const mode = { hang: false, fail: true };
    const { client, clock } = harness(mode);
    for (let i = 0; i < 2; i++) await client.infer(ask(1000)).catch(() => undefined);
    expect(client.breaker.state()).toBe('open');
    clock.t = 2000;
    Object.assign(mode, { hang: true, fail: false });
    await expect(client.infer(ask(2030, SHORT))).rejects.toThrow(/not counted/);
    expect(client.breaker.state()).toBe('half_open');
    expect(client.healthy()).toBe(true);
    mode.hang = false;
    await client.infer(ask(3000));
    expect(client.breaker.state()).toBe('closed');
  });

  it("tells the origin who the caller is, so it limits and schedules per tenant", async () => {
    const { client, calls } = harness({ hang: false });
    await client.infer(ask(1000, { caller: '0123456789abcdef' }));
    await client.infer(ask(1000));
    expect(calls[0]!.headers[CALLER_HEADER]).toBe('0123456789abcdef');
    expect(calls[1]!.headers[CALLER_HEADER]).toBeUndefined();
  });

  it("passes a flood of the origin's 429s on to the caller with their Retry-After, never retried, never a breaker failure", async () => {
    const { client, counted } = answering(429, { error: 'rate limit exceeded; retry in 60 s' }, { 'retry-after': '60' });
    for (let i = 0; i < 10; i++) {
      const err = await client.infer(ask(1000, { caller: 'aaaaaaaaaaaaaaaa' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OriginRejected);
      expect((err as OriginRejected).status).toBe(429);
      expect((err as OriginRejected).headers['retry-after']).toBe('60');
      expect((err as Error).message).toBe('origin rate limit for this caller: rate limit exceeded; retry in 60 s');
    }
    expect(counted.calls).toBe(10);
    // One failure would open this breaker: the 429s are that caller's, and the origin answered them.
    expect(client.breaker.state()).toBe('closed');
    expect(client.healthy()).toBe(true);
  });

  it("answers the origin's own 504 (it would not finish by the deadline) with a 504 in its words, once, and counts nothing", async () => {
    const words = "transformer-large/fp32: cannot finish by the request's deadline: predicted 10553 ms to compute + 0 ms of work queued ahead > 9960 ms left; not started";
    const { client, counted } = answering(504, { error: words });
    const err = await client.infer(ask(10_000, { shortDeadline: { why: "the caller's deadline of 10000 ms" } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginTimeout);
    expect((err as OriginTimeout).status).toBe(504);
    // The first attempt's share of 10 s (60 %, room for a retry), less the round trip: what the origin was told.
    expect((err as Error).message).toBe(`origin could not answer within 5960 ms, the deadline set by the caller's deadline of 10000 ms (504: ${words}); not counted against the origin`);
    expect(counted.calls).toBe(1);
    expect(client.breaker.state()).toBe('closed');
  });

  it('retries a fast failure once while what is left could still hold the predicted run, and not after', async () => {
    const clock = { t: 0 };
    let calls = 0;
    /** Refuses the first connection after `spendMs` of the clock, then answers. */
    const client = (spendMs: number) =>
      new OriginClient({
        url: 'http://origin.test',
        expectedRttMs: 40,
        breakerFailures: 3,
        breakerOpenMs: 1000,
        minAttemptMs: 50,
        binary: false,
        now: () => clock.t,
        fetch: (async () => {
          if (calls++ === 0) {
            clock.t += spendMs;
            throw new TypeError('connect ECONNREFUSED');
          }
          return Response.json({ model_name: 'mnist', outputs: [{ name: 'logits', datatype: 'FP32', shape: [1, 10], data: Array.from({ length: 10 }, () => 0) }] });
        }) as unknown as typeof fetch,
      });
    await client(10).infer(ask(1000, { expectedOriginMs: 369 }));
    expect(calls).toBe(2);
    calls = 0;
    clock.t = 0;
    await expect(client(700).infer(ask(1000, { expectedOriginMs: 369 }))).rejects.toThrow(/^origin unreachable/);
    expect(calls).toBe(1);
  });

  it('abandons the origin call when the client goes away, without a verdict on the origin', async () => {
    const { client, calls, firstCall } = harness();
    const gone = new AbortController();
    const pending = client.infer(ask(60_000, { signal: gone.signal })).catch((e: unknown) => e);
    await firstCall;
    // @hono/node-server aborts with a string reason: the client must not take it for a timeout.
    gone.abort('Client connection prematurely closed.');
    const err = await pending;
    expect(err).toBeInstanceOf(ClientClosedRequest);
    expect((err as ClientClosedRequest).status).toBe(499);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.signal.aborted).toBe(true);
    expect(client.breaker.state()).toBe('closed');
  });

  it('never calls the origin for a client that is already gone', async () => {
    const { client, calls } = harness({ hang: false });
    await expect(client.infer(ask(1000, { signal: AbortSignal.abort() }))).rejects.toBeInstanceOf(ClientClosedRequest);
    expect(calls).toHaveLength(0);
  });

  it.each([400, 413, 422])('passes the origin\'s %i on with its status and words, once, and counts the origin healthy', async (status) => {
    let calls = 0;
    const client = new OriginClient({
      url: 'http://origin.test', expectedRttMs: 40, breakerFailures: 1, breakerOpenMs: 1000, minAttemptMs: 50, binary: false, now: () => 0,
      fetch: (async () => {
        calls++;
        return Response.json({ error: "model 'mnist' rejected the input: Gather: indices out of bounds" }, { status });
      }) as unknown as typeof fetch,
    });
    const err = await client.infer(ask(1000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginRejected);
    expect((err as OriginRejected).status).toBe(status);
    expect((err as Error).message).toMatch(/rejected the input: Gather/);
    expect(calls).toBe(1);
    expect(client.breaker.state()).toBe('closed');
  });

  it("answers an origin that does not know the model 502, without opening the breaker for every other model", async () => {
    const client = new OriginClient({
      url: 'http://origin.test', expectedRttMs: 40, breakerFailures: 1, breakerOpenMs: 1000, minAttemptMs: 50, binary: false, now: () => 0,
      fetch: (async () => Response.json({ error: "unknown model 'mnist'" }, { status: 404 })) as unknown as typeof fetch,
    });
    const err = await client.infer(ask(1000)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginUnavailable);
    expect((err as OriginUnavailable).status).toBe(502);
    expect(client.breaker.state()).toBe('closed');
  });
});
