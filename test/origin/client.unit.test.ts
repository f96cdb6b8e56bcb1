/**
 * The origin client's deadlines with a fake fetch: it tells the origin how long it will wait, abandons the
 * call when the client goes away, and lets only the origin's own timeouts reach the breaker: a timeout the
 * request's SLO made shorter than the origin was predicted to need is neither a failure nor a success.
 */
import { describe, expect, it } from 'vitest';
import type { BackendRequest } from '../../src/backend.js';
import { ClientClosedRequest, OriginRejected, OriginTimeout, OriginUnavailable } from '../../src/errors.js';
import { DEADLINE_HEADER, OriginClient, timeoutBlamed } from '../../src/origin/client.js';
import { Registry } from '../../src/registry/registry.js';
import { readManifests } from '../../tools/lib/manifests.js';

const mnist = new Registry(readManifests('models')).get('mnist');

interface Call {
  headers: Record<string, string>;
  body: { parameters?: Record<string, unknown> };
  signal: AbortSignal;
}

/** A fake origin: hangs until the call is aborted, or answers ten logits; records every call. */
function fakeOrigin(mode: { hang: boolean }) {
  const calls: Call[] = [];
  let called: () => void = () => undefined;
  const firstCall = new Promise<void>((r) => (called = r));
  const fetch = (async (_url: string, init: RequestInit) => {
    const signal = init.signal!;
    calls.push({ headers: init.headers as Record<string, string>, body: JSON.parse(new TextDecoder().decode(init.body as Uint8Array)), signal });
    called();
    if (!mode.hang) return Response.json({ model_name: 'mnist', outputs: [{ name: 'logits', datatype: 'FP32', shape: [1, 10], data: Array.from({ length: 10 }, (_, i) => i) }] });
    return new Promise<Response>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }) as unknown as typeof globalThis.fetch;
  return { calls, fetch, firstCall };
}

function harness(mode = { hang: true }) {
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
const SHORT = { shortDeadline: { why: 'its 20 ms SLO (budget 14 ms, 0 ms spent, + 100 ms grace)', blameAfterMs: 369 }, expectedOriginMs: 369 };

describe('timeoutBlamed', () => {
  it.each([
    { name: 'blames every timeout of a deadline at the origin limit', timeout: 5, short: undefined, blamed: true },
    { name: 'spares an attempt shorter than the origin was predicted to need', timeout: 368, short: { why: '', blameAfterMs: 369 }, blamed: false },
    { name: 'blames an attempt that had what the origin was predicted to need', timeout: 369, short: { why: '', blameAfterMs: 369 }, blamed: true },
    { name: 'spares every attempt when nothing was predicted', timeout: 60_000, short: { why: '', blameAfterMs: Infinity }, blamed: false },
  ])('$name', ({ timeout, short, blamed }) => {
    expect(timeoutBlamed(timeout, short)).toBe(blamed);
  });
});

describe('the origin client', () => {
  it('tells the origin how long it will wait for the attempt, less the round trip back', async () => {
    const { client, calls } = harness({ hang: false });
    await client.infer(ask(1000));
    // 1000 ms leave room for a retry: the first attempt gets 60 %, the origin that less the 40 ms round trip.
    expect(calls[0]!.headers[DEADLINE_HEADER]).toBe('560');
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
    expect(calls[0]!.headers[DEADLINE_HEADER]).toBe('960');
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

  it('counts a timeout of a short deadline when the attempt had what the origin was predicted to need', async () => {
    const { client } = harness();
    const fair = { shortDeadline: { why: 'its 100 ms SLO', blameAfterMs: 20 }, expectedOriginMs: 20 };
    for (let i = 0; i < 3; i++) await expect(client.infer(ask(30, fair))).rejects.toThrow(/^origin did not answer within 30 ms$/);
    expect(client.breaker.state()).toBe('open');
  });

  it("counts every timeout of a deadline at the origin's own limit", async () => {
    const { client } = harness();
    for (let i = 0; i < 3; i++) await expect(client.infer(ask(30))).rejects.toBeInstanceOf(OriginTimeout);
    expect(client.breaker.state()).toBe('open');
  });

  it('gives the half-open probe back after an uncounted timeout, so the next request can probe and close the breaker', async () => {
    const mode = { hang: true };
    const { client, clock } = harness(mode);
    for (let i = 0; i < 3; i++) await client.infer(ask(30)).catch(() => undefined);
    expect(client.breaker.state()).toBe('open');
    clock.t = 1000;
    await expect(client.infer(ask(1030, SHORT))).rejects.toThrow(/not counted/);
    expect(client.breaker.state()).toBe('half_open');
    expect(client.healthy()).toBe(true);
    mode.hang = false;
    await client.infer(ask(2000));
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
