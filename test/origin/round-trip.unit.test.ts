/**
 * The round trip to the origin the selector reads: what the origin spent on a call (its Server-Timing
 * `total`, parsing included) is never network, and no caller can move the estimate for the others: each caller
 * is one vote, and the lower median of the votes speaks for the link. Driven through the origin client with a
 * fake origin on a fake clock, as the gateway uses it.
 */
import { describe, expect, it } from 'vitest';
import { OriginClient } from '../../src/origin/client.js';
import { originSpentMs, RoundTrips } from '../../src/origin/round-trip.js';
import { Registry } from '../../src/registry/registry.js';
import { readManifests } from '../../tools/lib/manifests.js';

const mnist = new Registry(readManifests('models')).get('mnist');

/** A client whose fake origin takes `network` ms of link plus the `spent` ms it reports for each call. */
function origin(report: (spent: number) => string) {
  const clock = { t: 0 };
  let next = { network: 0, spent: 0 };
  const client = new OriginClient({
    url: 'http://origin.test',
    expectedRttMs: 40,
    breakerFailures: 3,
    breakerOpenMs: 1000,
    minAttemptMs: 50,
    binary: false,
    now: () => clock.t,
    fetch: (async () => {
      clock.t += next.network + next.spent;
      return Response.json({ model_name: 'mnist', outputs: [{ name: 'logits', datatype: 'FP32', shape: [1, 10], data: Array.from({ length: 10 }, () => 0) }] }, { headers: { 'server-timing': report(next.spent) } });
    }) as unknown as typeof fetch,
  });
  const call = (caller: string, network: number, spent: number) => {
    next = { network, spent };
    return client.infer({ model: mnist, variant: 'fp32', caller, deadline: clock.t + 60_000, request: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: new Float32Array(784) }], parameters: {} } });
  };
  return { client, call };
}

describe('the round trip to the origin', () => {
  it("takes the origin's whole reported time out, parsing included: a million parameter keys are not network", async () => {
    const { client, call } = origin((spent) => `queue;dur=0.10, infer;dur=2.00, total;dur=${spent}`);
    expect(client.rttMs()).toBe(40);
    await call('aaaaaaaaaaaaaaaa', 4, 3);
    // 1.3 s of parsing at the origin, 4 ms of link: the origin said so in `total`.
    await call('aaaaaaaaaaaaaaaa', 4, 1300);
    expect(client.rttMs()).toBe(4);
  });

  it('without `total`, falls back to load + queue + infer (what other v2 servers may report)', () => {
    expect(originSpentMs('load;dur=1, queue;dur=2, infer;dur=3')).toBe(6);
    expect(originSpentMs('total;dur=9, infer;dur=3')).toBe(9);
    expect(originSpentMs(null)).toBe(0);
  });

  it("is one vote per caller: a hostile caller's slow calls, however many, do not move it for the others", async () => {
    // A server that reports nothing (Triton's plain answer): each slow call of the hostile reads as network.
    const { client, call } = origin(() => '');
    for (let i = 0; i < 10; i++) await call('1111111111111111', 4 + (i % 3), 0);
    for (let i = 0; i < 50; i++) await call('2222222222222222', 410, 0);
    expect(client.rttMs()).toBeLessThanOrEqual(6);
    // A third caller on the same link: still the link.
    for (let i = 0; i < 3; i++) await call('3333333333333333', 5, 0);
    expect(client.rttMs()).toBeLessThanOrEqual(6);
  });

  it('follows the link when every caller sees it change', () => {
    const rtt = new RoundTrips(40, 16);
    for (const caller of ['a', 'b', 'c']) for (let i = 0; i < 3; i++) rtt.observe(caller, 5, 0);
    expect(rtt.ms()).toBe(5);
    for (const caller of ['a', 'b', 'c']) for (let i = 0; i < 6; i++) rtt.observe(caller, 80, 0);
    expect(rtt.ms()).toBe(80);
  });
});
