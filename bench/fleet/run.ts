/**
 * `npm run bench:fleet`: the trace-driven fleet simulation of issue #10. One trace (world.ts: >= 50 PoPs at
 * 0.5-2x the profiling machine's speed, origin 10-150 ms away, every kind of client, a diurnal day) replayed
 * under every policy; attainment over attainable requests (met by at least one policy, the oracle included),
 * mean fidelity, and the prediction error of the adaptive policies, to bench/results/fleet.{json,svg}.
 *
 * Options: --pops 60 --seconds 240 --rps 6 --seed N --speed-factor 1 (the starting profile's error: 0.5 and 2
 * make the profile 2x optimistic or pessimistic everywhere).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../src/config.js';
import type { GatewayConfig } from '../../src/config.js';
import type { ModelManifest } from '../../src/registry/manifest.js';
import { networkMs, networkProfile } from '../../src/select/hints.js';
import { readManifests } from '../../tools/lib/manifests.js';
import { percentile } from '../../tools/lib/percentile.js';
import { isMain, runEntry } from '../lib/entry.js';
import { writeResult, RESULTS_DIR } from '../lib/results.js';
import { table } from '../lib/stats.js';
import { barChart } from '../lib/svg.js';
import { learnedPolicy } from './learned.js';
import { profilePolicy } from './policies.js';
import type { Outcome, Policy } from './sim.js';
import { oraclePolicy, simulate, staticPolicy } from './sim.js';
import type { SimRequest } from './world.js';
import { buildWorld } from './world.js';

export interface FleetOptions {
  pops?: number;
  seconds?: number;
  rps?: number;
  seed?: number;
  speedFactor?: number;
  write?: boolean;
}

export interface PolicyResult {
  policy: string;
  requests: number;
  attainable: number;
  attainment_attainable: number;
  attainment_all: number;
  /** Met by at least one policy (the oracle included): a second, looser notion of attainable. */
  met_by_any: number;
  attainment_met_by_any: number;
  /** Mean fidelity of the answers served (the origin's fp32 = 1); refusals are counted in attainment, not here. */
  mean_fidelity: number;
  /** Median |predicted - actual| / actual after 50 observations of the same (model, variant, target). */
  median_prediction_error_after_50?: number;
  served: Record<string, number>;
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

export function runFleet(opts: FleetOptions = {}) {
  const models = new Map<string, ModelManifest>(readManifests('models').map((m) => [m.name, m]));
  const world = buildWorld({ models: [...models.values()], pops: opts.pops ?? 60, durationMs: (opts.seconds ?? 240) * 1000, meanPeakRps: opts.rps ?? 3, ...(opts.seed !== undefined ? { seed: opts.seed } : {}) });
  const config: GatewayConfig = parseConfig({ edge: { speed_factor: opts.speedFactor ?? 1 } });
  const networkOf = (req: SimRequest) => {
    const h = new Map(Object.entries(req.hints).map(([k, v]) => [k.toLowerCase(), v]));
    return networkMs(networkProfile((n) => h.get(n), config.network_defaults), req.requestBytes);
  };
  const policies: Policy[] = [learnedPolicy(), profilePolicy(), staticPolicy('fp32'), staticPolicy('fp16'), staticPolicy('int8'), staticPolicy('origin'), oraclePolicy(networkOf)];
  const runs = policies.map((p) => ({ policy: p.name, outcomes: simulate(world, models, p, config, networkOf) }));
  // Attainable: met by the oracle, which knows every candidate's true latency (its own queue included).
  const attainable = new Set(runs.find((r) => r.policy === 'oracle')!.outcomes.filter((o) => o.met).map((o) => o.i));
  const byAny = new Set(runs.flatMap((r) => r.outcomes.filter((o) => o.met).map((o) => o.i)));
  const results: PolicyResult[] = runs.map(({ policy, outcomes }) => summarize(policy, outcomes, attainable, byAny));
  return { world: { seed: world.seed, pops: world.pops.length, requests: world.requests.length, speed_factor: config.edge.speed_factor }, results };
}

function summarize(policy: string, outcomes: Outcome[], attainable: Set<number>, byAny: Set<number>): PolicyResult {
  const att = outcomes.filter((o) => attainable.has(o.i));
  const any = outcomes.filter((o) => byAny.has(o.i));
  const served = outcomes.filter((o) => o.target !== 'none');
  const errs = outcomes.filter((o) => o.predictionError !== undefined && o.seen >= 50).map((o) => o.predictionError!);
  const mix: Record<string, number> = {};
  for (const o of outcomes) mix[`${o.target}:${o.variant}`] = (mix[`${o.target}:${o.variant}`] ?? 0) + 1;
  return {
    policy,
    requests: outcomes.length,
    attainable: att.length,
    attainment_attainable: round(att.filter((o) => o.met).length / Math.max(1, att.length)),
    attainment_all: round(outcomes.filter((o) => o.met).length / Math.max(1, outcomes.length)),
    met_by_any: any.length,
    attainment_met_by_any: round(any.filter((o) => o.met).length / Math.max(1, any.length)),
    mean_fidelity: round(served.reduce((a, o) => a + o.fidelity, 0) / Math.max(1, served.length), 6),
    ...(errs.length ? { median_prediction_error_after_50: round(percentile(errs, 0.5)) } : {}),
    served: mix,
  };
}

/** The targets of issue #10, read off one run. */
export function verdict(results: PolicyResult[]) {
  const adaptive = results[0]!;
  const statics = results.filter((r) => r.policy.startsWith('always'));
  return {
    attainment_99: adaptive.attainment_attainable >= 0.99,
    beats_every_static: statics.every((s) => adaptive.attainment_attainable >= s.attainment_attainable),
    fidelity_vs_statics_as_good: statics.filter((s) => s.attainment_attainable >= adaptive.attainment_attainable).every((s) => adaptive.mean_fidelity >= s.mean_fidelity),
    prediction_error_20pct: (adaptive.median_prediction_error_after_50 ?? Infinity) <= 0.2,
  };
}

export function printFleet(title: string, r: ReturnType<typeof runFleet>): void {
  table(title, [
    ['policy', 'requests', 'met, of oracle-met', 'met, of met by any', 'met, of all', 'mean fidelity', 'median pred. error after 50', 'served'],
    ...r.results.map((x) => [x.policy, x.requests, `${(x.attainment_attainable * 100).toFixed(2)}% of ${x.attainable}`, `${(x.attainment_met_by_any * 100).toFixed(2)}% of ${x.met_by_any}`, `${(x.attainment_all * 100).toFixed(2)}%`, x.mean_fidelity.toFixed(6), x.median_prediction_error_after_50 === undefined ? '—' : `${(x.median_prediction_error_after_50 * 100).toFixed(1)}%`, Object.entries(x.served).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k}=${v}`).join(' ')]),
  ]);
  console.log(`targets: ${JSON.stringify(verdict(r.results))}`);
}

/** Every scenario (starting profiles x1, x0.5, x2), printed and written to bench/results/fleet.{json,svg}. */
export async function runFleetBench(base: Pick<FleetOptions, 'pops' | 'seconds' | 'rps' | 'seed'> = {}): Promise<void> {
  const scenarios = [1, 0.5, 2].map((speedFactor) => ({ speedFactor, run: runFleet({ ...base, speedFactor }) }));
  for (const s of scenarios) printFleet(`fleet: ${s.run.world.pops} PoPs, ${s.run.world.requests} requests, starting profiles x${s.speedFactor}`, s.run);
  writeResult('fleet', { options: base, scenarios: scenarios.map((s) => ({ starting_profile_factor: s.speedFactor, world: s.run.world, verdict: verdict(s.run.results), results: s.run.results })) });
  const policies = scenarios[0]!.run.results.map((r) => r.policy);
  const svg = barChart({
    title: 'Fleet simulation: SLO attainment over attainable requests',
    yLabel: '% attainable met',
    categories: scenarios.map((s) => `profile x${s.speedFactor}`),
    series: policies.map((p) => ({ name: p, values: scenarios.map((s) => 100 * s.run.results.find((r) => r.policy === p)!.attainment_attainable) })),
    yMax: 100,
  }, 900, 360);
  writeFileSync(join(RESULTS_DIR, 'fleet.svg'), svg);
}

if (isMain(import.meta.url)) {
  await runEntry('fleet', async () => {
    const { values } = parseArgs({ options: { pops: { type: 'string' }, seconds: { type: 'string' }, rps: { type: 'string' }, seed: { type: 'string' } } });
    await runFleetBench({ pops: Number(values.pops ?? 60), seconds: Number(values.seconds ?? 240), rps: Number(values.rps ?? 3), ...(values.seed ? { seed: Number(values.seed) } : {}) });
  });
}
