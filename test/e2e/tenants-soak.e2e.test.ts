/**
 * Soak: many tenants, one origin, for half a minute at a time, on the stack as it runs (the origin process and
 * the gateway in workerd with two API keys: bench/lib/soak.ts, which `npm run bench:tenants` runs longer). The
 * victim sends mnist (edge) and transformer-large [1,8] (origin) at 4 a second, open loop, with a generous
 * 3 s SLO: what is tested is behaviour, not speed. While a hostile tenant sends the worst legal request
 * (transformer-large [5,512], a 200 ms SLO) every 2 s, at least 99% of the victim's requests are answered 200
 * within the SLO plus a 1 s grace, and the origin's breaker stays closed. Then a flood of cheap requests from
 * the hostile tenant past the origin's per-caller rate limit (set low: 150 a minute, above the victim's 120,
 * and spent first): answered 429 by the origin, passed on, while the victim's success rate is the same as in a
 * run without it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Outcome, TenantStack } from '../../bench/lib/soak.js';
import { breakerState, exhaust, soak, startTenants, statusCounts, victimFigures } from '../../bench/lib/soak.js';
import { stopAll } from '../../bench/lib/stack.js';
import { until } from '../setup/stack.js';

const SLO_MS = 3000;
const GRACE_MS = 1000;
const ORIGIN_RATE_PER_MINUTE = 150;
let stack: TenantStack;

const run = (hostility: 'none' | 'worst' | 'flood', seconds: number, hostilePerSecond = 0) =>
  soak({ gateway: stack.gateway.url, seconds, victimPerSecond: 4, sloMs: SLO_MS, hostility, hostilePerSecond });
const hostile = (out: Outcome[]) => out.filter((o) => o.who === 'hostile');

beforeAll(async () => {
  stack = await startTenants(ORIGIN_RATE_PER_MINUTE);
  // A warm stack, as a tenant meets it in production: mnist loaded at the edge, the origin answering.
  await until('mnist at the edge and transformer-large at the origin', 120, async () => {
    const out = await run('none', 0.5);
    return out.every((o) => o.status === 200) && out.some((o) => o.model === 'mnist' && o.servedBy === 'edge') ? true : undefined;
  });
}, 400_000);

afterAll(async () => {
  await stopAll();
});

describe('two tenants on one stack', () => {
  it("answers at least 99% of the victim's requests within its SLO while the other sends its worst legal request every 2 s, with the breaker closed", { timeout: 120_000 }, async () => {
    const out = await run('worst', 35, 0.5);
    const victim = victimFigures(out, SLO_MS, GRACE_MS);
    console.log(`soak, worst request every 2 s: victim ${JSON.stringify(victim)}; hostile statuses ${JSON.stringify(statusCounts(hostile(out)))}`);
    expect(hostile(out).length).toBeGreaterThanOrEqual(17);
    // Never run: refused by its predicted cost at the origin (origin_limits.max_request_cost_ms, 413), or, once
    // the hostile's own bucket of origin compute at the gateway is spent (origin.caller_compute_*), its 429.
    expect(hostile(out).every((o) => o.status === 413 || o.status === 429)).toBe(true);
    expect(hostile(out).some((o) => o.status === 413)).toBe(true);
    expect(victim.requests).toBe(140);
    expect(victim.within_slo_pct).toBeGreaterThanOrEqual(99);
    expect(victim.breaker_reasons).toBe(0);
    expect(await breakerState(stack.gateway.url)).toBe(0);
  });

  it("leaves the victim's success rate as it is without the flood while the other floods past the origin's rate limit, answered 429", { timeout: 120_000 }, async () => {
    const baseline = victimFigures(await run('none', 20), SLO_MS, GRACE_MS);
    await exhaust(stack.gateway.url);
    const out = await run('flood', 20, 30);
    const flooded = victimFigures(out, SLO_MS, GRACE_MS);
    const statuses = statusCounts(hostile(out));
    console.log(`soak, flood of 30 a second: victim ${JSON.stringify(flooded)} against ${JSON.stringify(baseline)} without it; hostile statuses ${JSON.stringify(statuses)}`);
    // Its bucket spent first, what refills it (2.5 a second) is served (or times out on the hostile's own SLO); the
    // rest is the origin's 429.
    expect(Object.keys(statuses).filter((s) => !['200', '429', '504'].includes(s))).toEqual([]);
    expect(statuses['429']).toBeGreaterThan(hostile(out).length * 0.75);
    expect(flooded.success_pct).toBeGreaterThanOrEqual(baseline.success_pct);
    expect(flooded.success_pct).toBeGreaterThanOrEqual(99);
    expect(flooded.breaker_reasons).toBe(0);
    expect(await breakerState(stack.gateway.url)).toBe(0);
  });
});
