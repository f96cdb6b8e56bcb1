/**
 * Question 6 — routing evaluation: the replayable mixed workload (bench/workloads/mixed.json) through the
 * adaptive policy (no pin) and static ones (always int8 / fp16 / fp32 via x-model-variant; always origin via
 * an origin-only gateway), one policy after another in one run, one request at a time. The origin sits
 * behind a 40 ms delay proxy (config origin.expected_rtt_ms) since loopback has no edge-origin RTT.
 * Client network time is ~0 on loopback, so a request's end-to-end time = measured gateway time + the
 * network time its hints imply (src/select/hints.ts networkMs, same formula the router budgets with).
 * Per policy: SLO attainment (all requests, and the feasible ones whose network time alone fits the SLO)
 * and mean fidelity (manifest top1_agreement, else cosine; fp32 and the origin = 1).
 *
 * The adaptive policy also runs with its starting profiles deliberately wrong by 2x each way
 * (`edge.speed_factor` 0.5 and 2, on gateways of their own): what it learns must bring it back.
 * Last, routing-ladder.ts: which of mnist-wide's pruned, quantized and distilled variants the router picks as
 * batches grow and SLOs tighten.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseConfig } from '../src/config.js';
import { networkMs, networkProfile } from '../src/select/hints.js';
import { isMain, runEntry } from './lib/entry.js';
import { startDelayProxy } from './lib/delay-proxy.js';
import { gatewayConfig, originOnly } from './lib/gateway-config.js';
import { timedRequest } from './lib/http.js';
import { inferBody } from './lib/inputs.js';
import { seedModels } from './lib/r2.js';
import { writeResult } from './lib/results.js';
import { ROOT, startGateway, startOrigin } from './lib/stack.js';
import { percentile } from '../tools/lib/percentile.js';
import { r3, serverTiming, table } from './lib/stats.js';
import { generateWorkload, WORKLOAD_PATH } from './workloads/generate.js';
import { routingLadder } from './routing-ladder.js';
import type { WorkloadRequest } from './workloads/generate.js';

interface Row {
  i: number;
  model: string;
  batch: number;
  slo_ms: number;
  status: number;
  variant: string;
  served_by: string;
  gateway_ms: number;
  network_ms: number;
  e2e_ms: number;
  met: boolean;
  feasible: boolean;
  fidelity: number;
  reason: string;
  /**
   * Server-Timing of edge answers: the predicted compute and the run's `infer`. (An origin answer's `origin` is
   * the round trip, network included, so it is not compared with a compute prediction here.)
   */
  predicted_ms?: number;
  actual_ms?: number;
}

export interface RoutingOptions {
  limit?: number;
  warmup?: number;
  originRttMs?: number;
  /** Each policy's replay stops after this long (requests left are not counted). */
  secondsPerPolicy?: number;
  /** How many times the workload is replayed per policy (default 5). */
  passes?: number;
  /** Also run the adaptive policy from profiles 2x wrong each way (default on). */
  wrongProfiles?: boolean;
  write?: boolean;
}

function fidelityTable(): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const m of ['mnist', 'transformer-small']) {
    const man = JSON.parse(readFileSync(resolve(ROOT, 'models', m, 'manifest.json'), 'utf8')) as { variants: Record<string, { fidelity: { top1_agreement?: number; cosine: number } }> };
    out[m] = Object.fromEntries(Object.entries(man.variants).map(([v, x]) => [v, x.fidelity.top1_agreement ?? x.fidelity.cosine]));
  }
  return out;
}

export async function runRouting(opts: RoutingOptions = {}) {
  await seedModels();
  if (!existsSync(WORKLOAD_PATH)) writeFileSync(WORKLOAD_PATH, JSON.stringify(generateWorkload(), null, 1) + '\n');
  const workload = JSON.parse(readFileSync(WORKLOAD_PATH, 'utf8')) as { seed: number; requests: WorkloadRequest[] };
  const once = workload.requests.slice(0, opts.limit ?? workload.requests.length);
  // The workload replayed `passes` times (numbered on), so what the router learns has runs to learn from and
  // the prediction error can be read after 50 answers per variant.
  const requests = Array.from({ length: opts.passes ?? 5 }, (_, p) => once.map((q) => ({ ...q, i: p * once.length + q.i }))).flat();
  const warmup = opts.warmup ?? 8;
  const rttMs = opts.originRttMs ?? 40;
  const defaults = parseConfig(gatewayConfig()).network_defaults;
  const fidelity = fidelityTable();
  const origin = await startOrigin();
  const proxy = await startDelayProxy(origin.url, rttMs);
  const factors = opts.wrongProfiles === false ? [] : [0.5, 2];
  const [edge, originGw, ...wrong] = await Promise.all([
    startGateway({ originUrl: proxy.url, gatewayConfig: gatewayConfig() }),
    startGateway({ originUrl: proxy.url, gatewayConfig: originOnly(['mnist', 'transformer-small']) }),
    ...factors.map((f) => startGateway({ originUrl: proxy.url, gatewayConfig: gatewayConfig({ edge: { speed_factor: f } }) })),
  ]);
  const policies: { policy: string; url: string; pin?: string }[] = [
    { policy: 'adaptive', url: edge.url },
    ...factors.map((f, k) => ({ policy: `adaptive, profile x${f}`, url: wrong[k]!.url })),
    { policy: 'static int8', url: edge.url, pin: 'int8' },
    { policy: 'static fp16', url: edge.url, pin: 'fp16' },
    { policy: 'static fp32', url: edge.url, pin: 'fp32' },
    { policy: 'static origin', url: originGw.url },
  ];
  const results = [];
  for (const p of policies) {
    const send = (q: WorkloadRequest, sloMs = q.slo_ms) => {
      const body = inferBody(q.model, q.batch, q.seed);
      return timedRequest(`${p.url}/v2/models/${q.model}/infer`, { body, headers: { ...q.hints, 'x-slo-ms': String(sloMs), ...(p.pin ? { 'x-model-variant': p.pin } : {}) }, timeoutMs: 15_000 })
        .then((r) => ({ r, bytes: Buffer.byteLength(body) }));
    };
    // Warm-up loads sessions with a generous SLO, so it cannot open the origin's circuit breaker before the replay.
    for (const q of once.slice(0, warmup)) await send(q, 5000).catch(() => undefined);
    const rows: Row[] = [];
    const deadline = performance.now() + (opts.secondsPerPolicy ?? 90) * 1000;
    for (const q of requests) {
      if (performance.now() > deadline) break;
      const lower = new Map(Object.entries(q.hints).map(([k, v]) => [k.toLowerCase(), v]));
      let gatewayMs = NaN, status = 0, variant = '', servedBy = '', reason = '';
      let bytes = 0;
      let timing: Record<string, number> = {};
      try {
        const { r, bytes: b } = await send(q);
        [gatewayMs, status, variant, servedBy, bytes] = [r.totalMs, r.status, String(r.headers['x-model-variant'] ?? ''), String(r.headers['x-served-by'] ?? ''), b];
        reason = String(r.headers['x-route-reason'] ?? r.body.slice(0, 400));
        timing = serverTiming(String(r.headers['server-timing'] ?? ''));
      } catch (e) {
        reason = `client error: ${(e as Error).message}`;
        bytes = Buffer.byteLength(inferBody(q.model, q.batch, q.seed));
      }
      const net = networkMs(networkProfile((n) => lower.get(n), defaults), bytes);
      const e2e = gatewayMs + net;
      const fid = status === 200 ? (servedBy === 'origin' ? 1 : (fidelity[q.model]![variant] ?? 0)) : 0;
      rows.push({ i: q.i, model: q.model, batch: q.batch, slo_ms: q.slo_ms, status, variant, served_by: servedBy, gateway_ms: r3(gatewayMs), network_ms: r3(net), e2e_ms: r3(e2e), met: status === 200 && e2e <= q.slo_ms, feasible: net < q.slo_ms, fidelity: fid, reason, ...(timing.predicted !== undefined && timing.infer !== undefined ? { predicted_ms: timing.predicted, actual_ms: timing.infer } : {}) });
    }
    const feasible = rows.filter((r) => r.feasible);
    const att = (xs: Row[]) => r3(xs.filter((r) => r.met).length / Math.max(1, xs.length));
    // Fidelities differ in the 4th-6th decimal (int8 cosine 0.99999): keep 6.
    const mean = (xs: number[]) => Math.round((xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)) * 1e6) / 1e6;
    // Prediction error of the chosen candidate, once its (model, variant, target) has 50 answers behind it.
    const count = new Map<string, number>();
    const errors: number[] = [];
    for (const r of rows) {
      if (r.predicted_ms === undefined || r.actual_ms === undefined || !(r.actual_ms > 0)) continue;
      const key = `${r.model}/${r.variant}/${r.served_by}`;
      const n = (count.get(key) ?? 0) + 1;
      count.set(key, n);
      if (n > 50) errors.push(Math.abs(r.predicted_ms - r.actual_ms) / r.actual_ms);
    }
    const mix: Record<string, number> = {};
    for (const r of rows) mix[`${r.served_by || 'error'}:${r.variant}`] = (mix[`${r.served_by || 'error'}:${r.variant}`] ?? 0) + 1;
    results.push({
      policy: p.policy, requests: rows.length, feasible: feasible.length, attainment: att(rows), attainment_feasible: att(feasible),
      mean_fidelity: mean(rows.map((r) => r.fidelity)), mean_fidelity_met: mean(rows.filter((r) => r.met).map((r) => r.fidelity)),
      e2e_p50: r3(percentile(rows.map((r) => r.e2e_ms), 0.5)), e2e_p99: r3(percentile(rows.map((r) => r.e2e_ms), 0.99)), gateway_p50: r3(percentile(rows.map((r) => r.gateway_ms), 0.5)),
      errors: rows.filter((r) => r.status !== 200).length, served: mix,
      median_prediction_error_after_50: errors.length ? r3(percentile(errors, 0.5)) : null, prediction_samples_after_50: errors.length, rows,
    });
  }
  // Attainable: met by at least one policy in this run (an empirical oracle over the same requests).
  const attainable = new Set(results.flatMap((r) => r.rows.filter((x) => x.met).map((x) => x.i)));
  const withAttainable = results.map((r) => {
    const xs = r.rows.filter((x) => attainable.has(x.i));
    return { ...r, attainable: xs.length, attainment_attainable: r3(xs.filter((x) => x.met).length / Math.max(1, xs.length)) };
  });
  table(`routing: ${requests.length} requests of bench/workloads/mixed.json (seed ${workload.seed}), one at a time; origin RTT ${rttMs} ms`, [
    ['policy', 'n', 'SLO attain', 'attain (feasible)', 'attain (attainable)', 'mean fidelity', 'pred. error (median, after 50)', 'e2e p50', 'e2e p99', 'errors', 'served'],
    ...withAttainable.map((r) => [r.policy, r.requests, `${(r.attainment * 100).toFixed(1)}%`, `${(r.attainment_feasible * 100).toFixed(1)}% of ${r.feasible}`, `${(r.attainment_attainable * 100).toFixed(1)}% of ${r.attainable}`, r.mean_fidelity.toFixed(6), r.median_prediction_error_after_50 === null ? '—' : `${(r.median_prediction_error_after_50 * 100).toFixed(1)}% (${r.prediction_samples_after_50})`, r.e2e_p50, r.e2e_p99, r.errors, Object.entries(r.served).map(([k, v]) => `${k}=${v}`).join(' ')]),
  ]);
  const adaptive = withAttainable[0]!;
  const rivals = withAttainable.filter((r) => !r.policy.startsWith('adaptive')).filter((r) => r.attainment_attainable >= adaptive.attainment_attainable);
  const verdict = {
    adaptive_attainment_attainable: adaptive.attainment_attainable,
    attainment_target_met: adaptive.attainment_attainable >= 0.99,
    wrong_profiles: withAttainable.filter((r) => r.policy.startsWith('adaptive, profile')).map((r) => ({ policy: r.policy, attainment_attainable: r.attainment_attainable, median_prediction_error_after_50: r.median_prediction_error_after_50 })),
    prediction_error_target_met: withAttainable.filter((r) => r.policy.startsWith('adaptive')).every((r) => (r.median_prediction_error_after_50 ?? Infinity) <= 0.2),
    static_policies_with_same_or_better_attainment: rivals.map((r) => r.policy),
    fidelity_target_met: rivals.every((r) => adaptive.mean_fidelity > r.mean_fidelity),
    fidelity_ties: rivals.filter((r) => adaptive.mean_fidelity === r.mean_fidelity).map((r) => r.policy),
  };
  console.log(`adaptive: ${(adaptive.attainment_attainable * 100).toFixed(1)}% of attainable requests in SLO (target 99%: ${verdict.attainment_target_met ? 'met' : 'missed'}); static policies reaching at least that: ${rivals.map((r) => r.policy).join(', ') || 'none'}; higher mean fidelity than all of them: ${verdict.fidelity_target_met ? 'yes' : 'no'}${verdict.fidelity_ties.length ? ` (ties: ${verdict.fidelity_ties.join(', ')})` : ''}`);
  // The pruned, quantized and distilled variants of mnist-wide under growing batches and tightening SLOs.
  const ladder = await routingLadder(edge.url);
  if (opts.write !== false) writeResult('routing', { workload: 'bench/workloads/mixed.json', seed: workload.seed, origin_rtt_ms: rttMs, e2e: 'client time on loopback + networkMs(hints, request bytes)', verdict, policies: withAttainable, variant_ladder: ladder });
  await proxy.close();
  return { results: withAttainable, verdict };
}

if (isMain(import.meta.url)) await runEntry('routing', () => runRouting());
