/**
 * Each caller's share of the origin's compute from one gateway isolate: a token bucket of predicted origin
 * milliseconds. A caller past it gets its own 429 with Retry-After before anything is sent; other callers
 * are untouched; the bucket refills with time.
 */
import { describe, expect, it } from 'vitest';
import { OriginRejected } from '../../src/errors.js';
import { CallerBudget } from '../../src/origin/caller-budget.js';
import { OriginClient } from '../../src/origin/client.js';
import { Registry } from '../../src/registry/registry.js';
import { readManifests } from '../../tools/lib/manifests.js';

const mnist = new Registry(readManifests('models')).get('mnist');

describe("a caller's origin compute budget", () => {
  it('spends predicted ms from a bucket that refills per second, and says when to come back', () => {
    const clock = { t: 0 };
    const budget = new CallerBudget({ msPerSecond: 1000, burstMs: 10_000, now: () => clock.t });
    budget.spend('a', 6000);
    budget.spend('a', 4000);
    let refused: unknown;
    try {
      budget.spend('a', 3000);
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(OriginRejected);
    expect((refused as OriginRejected).status).toBe(429);
    expect((refused as OriginRejected).headers).toMatchObject({ 'retry-after': '3' });
    expect((refused as Error).message).toMatch(/^origin compute budget of this caller spent: 3000 ms predicted, 0 ms left of 10000 ms/);
    // Another caller is untouched; the first is back once its bucket refilled.
    budget.spend('b', 9000);
    clock.t = 3000;
    budget.spend('a', 3000);
  });

  it('lets a call dearer than the whole burst go from a full bucket (the origin judges its cost), and none at 0', () => {
    const budget = new CallerBudget({ msPerSecond: 100, burstMs: 1000, now: () => 0 });
    budget.spend('a', 5000);
    expect(() => budget.spend('a', 1)).toThrow(/budget of this caller spent/);
    const off = new CallerBudget({ msPerSecond: 0, burstMs: 1000, now: () => 0 });
    for (let i = 0; i < 100; i++) off.spend('a', 5000);
  });

  it('refuses at the origin client before anything is sent', async () => {
    let sent = 0;
    const client = new OriginClient({
      url: 'http://origin.test', expectedRttMs: 40, breakerFailures: 3, breakerOpenMs: 1000, minAttemptMs: 50, binary: false, now: () => 0,
      callerComputeMsPerS: 1000, callerComputeBurstMs: 2000,
      fetch: (async () => {
        sent++;
        return Response.json({ model_name: 'mnist', outputs: [{ name: 'logits', datatype: 'FP32', shape: [1, 10], data: Array.from({ length: 10 }, () => 0) }] });
      }) as unknown as typeof fetch,
    });
    const ask = (caller: string) => client.infer({ model: mnist, variant: 'fp32', caller, deadline: 60_000, originComputeMs: 1500, request: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: new Float32Array(784) }], parameters: {} } });
    await ask('aaaaaaaaaaaaaaaa');
    await expect(ask('aaaaaaaaaaaaaaaa')).rejects.toMatchObject({ status: 429 });
    await ask('bbbbbbbbbbbbbbbb');
    expect(sent).toBe(2);
    expect(client.breaker.state()).toBe('closed');
  });
});
