/**
 * Question: can one tenant spend the stack for another? The soak of test/e2e/tenants-soak.e2e.test.ts, run longer
 * and side by side in one invocation (bench/lib/soak.ts): the origin (its per-caller rate limit low) and the
 * gateway in workerd with three API keys; a victim sends mnist (edge) and transformer-large [1,8] (origin) at a
 * steady rate, open loop, while the other tenant does, in turn:
 *   none    nothing: the baseline
 *   worst   transformer-large [5,512] with a 200 ms SLO every `--worst-every-s` (its worst legal request)
 *   flood   cheap requests at `--flood-rate` a second past its origin rate limit (spent first): 429s
 *   burst   the same flood from a tenant whose bucket is full: served until it runs out
 * For the victim: success %, answered within SLO + grace %, p50/p95/p99; the other's statuses; the origin breaker
 * after each. Rounds rotate the order, so drift in the machine's load spreads over every scenario.
 *
 * Usage: npm run bench:tenants -- [--seconds 60] [--victim-rate 4] [--slo-ms 3000] [--grace-ms 1000]
 *        [--worst-every-s 2] [--flood-rate 30] [--origin-rate-limit 150] [--rounds 1]
 */
import { parseArgs } from 'node:util';
import { isMain, runEntry } from './lib/entry.js';
import { writeResult } from './lib/results.js';
import type { Hostility } from './lib/soak.js';
import { breakerState, exhaust, soak, startTenants, statusCounts, victimFigures } from './lib/soak.js';
import { table } from './lib/stats.js';

export interface TenantsOptions {
  seconds: number;
  victimRate: number;
  sloMs: number;
  graceMs: number;
  worstEveryS: number;
  floodRate: number;
  originRateLimit: number;
  rounds: number;
}

const DEFAULTS: TenantsOptions = { seconds: 60, victimRate: 4, sloMs: 3000, graceMs: 1000, worstEveryS: 2, floodRate: 30, originRateLimit: 150, rounds: 1 };
const SCENARIOS: Hostility[] = ['none', 'worst', 'flood', 'burst'];

export async function runTenants(opts: Partial<TenantsOptions> = {}) {
  const o = { ...DEFAULTS, ...opts };
  const { gateway } = await startTenants(o.originRateLimit);
  // Warm: mnist loaded at the edge, the origin answering, before anything is measured.
  for (let i = 0; i < 60; i++) {
    const out = await soak({ gateway: gateway.url, seconds: 0.5, victimPerSecond: 4, sloMs: o.sloMs, hostility: 'none', hostilePerSecond: 0 });
    if (out.every((x) => x.status === 200) && out.some((x) => x.model === 'mnist' && x.servedBy === 'edge')) break;
  }
  const rows = [];
  for (let round = 0; round < o.rounds; round++) {
    for (let k = 0; k < SCENARIOS.length; k++) {
      const hostility = SCENARIOS[(k + round) % SCENARIOS.length]!;
      if (hostility === 'flood') await exhaust(gateway.url);
      const rate = hostility === 'worst' ? 1 / o.worstEveryS : hostility === 'none' ? 0 : o.floodRate;
      console.log(`round ${round + 1}: ${hostility}, ${o.seconds} s ...`);
      const out = await soak({ gateway: gateway.url, seconds: o.seconds, victimPerSecond: o.victimRate, sloMs: o.sloMs, hostility, hostilePerSecond: rate });
      const other = out.filter((x) => x.who === 'hostile');
      rows.push({ round: round + 1, scenario: hostility, victim: victimFigures(out, o.sloMs, o.graceMs), other: statusCounts(other), breaker: await breakerState(gateway.url) });
    }
  }
  table(`victim at ${o.victimRate}/s (SLO ${o.sloMs} ms + ${o.graceMs} ms grace) beside another tenant, ${o.seconds} s each`, [
    ['round', 'other tenant', 'victim n', 'success %', 'within SLO %', 'p50 ms', 'p95 ms', 'p99 ms', 'victim statuses', 'other statuses', 'breaker'],
    ...rows.map((r) => [r.round, r.scenario, r.victim.requests, r.victim.success_pct, r.victim.within_slo_pct, r.victim.p50_ms, r.victim.p95_ms, r.victim.p99_ms, fmtCounts(r.victim.statuses), fmtCounts(r.other), r.breaker === 0 ? 'closed' : String(r.breaker)]),
  ]);
  writeResult('tenants', { options: o, scenarios: rows });
  return rows;
}

const fmtCounts = (c: Record<string, number>) => Object.entries(c).map(([s, n]) => `${s}x${n}`).join(' ') || '-';

if (isMain(import.meta.url)) {
  const { values } = parseArgs({
    options: Object.fromEntries(['seconds', 'victim-rate', 'slo-ms', 'grace-ms', 'worst-every-s', 'flood-rate', 'origin-rate-limit', 'rounds'].map((k) => [k, { type: 'string' as const }])),
  });
  const num = (k: string) => (values[k] === undefined ? undefined : Number(values[k]));
  const opts = { seconds: num('seconds'), victimRate: num('victim-rate'), sloMs: num('slo-ms'), graceMs: num('grace-ms'), worstEveryS: num('worst-every-s'), floodRate: num('flood-rate'), originRateLimit: num('origin-rate-limit'), rounds: num('rounds') };
  await runEntry('tenants', () => runTenants(Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined))));
}
