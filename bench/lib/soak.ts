/**
 * Tenants on one stack for a while (bench/tenants.ts, test/e2e/tenants-soak.e2e.test.ts): a victim sending
 * ordinary requests at a steady rate, mnist at the edge and transformer-large [1,8] at the origin in turn, and
 * optionally a hostile tenant: sending the worst legal request (transformer-large [5,512], a 200 ms SLO) every
 * few seconds (`worst`), flooding cheap ones past the origin's per-caller rate limit (`flood`, once `exhaust`
 * spent it), or a third tenant flooding cheap ones from a full bucket, served until it runs out (`burst`). Open
 * loop: each request is sent on its schedule whether or not the ones before it have answered, so a slow stack
 * shows up as latency and failures, never as a victim that politely sent less.
 */
import { createHash } from 'node:crypto';
import { gatewayConfig } from './gateway-config.js';
import { metricValue, timedRequest } from './http.js';
import { inputsFor } from './inputs.js';
import type { Running } from './stack.js';
import { startGateway, startOrigin } from './stack.js';
import { percentile } from '../../tools/lib/percentile.js';

export const VICTIM_KEY = 'victim-tenant-key';
export const HOSTILE_KEY = 'hostile-tenant-key';
export const BURST_KEY = 'bursty-tenant-key';

/** What the other tenant does (see the module comment). */
export type Hostility = 'none' | 'worst' | 'flood' | 'burst';

export interface SoakOptions {
  gateway: string;
  seconds: number;
  /** Victim requests per second (mnist and transformer-large [1,8] in turn). */
  victimPerSecond: number;
  /** The victim's `x-slo-ms`. */
  sloMs: number;
  hostility: Hostility;
  /** Hostile requests per second: 0.5 is one worst request every 2 s; a flood sends tens. */
  hostilePerSecond: number;
}

export interface Outcome {
  who: 'victim' | 'hostile';
  model: string;
  /** HTTP status; 0 when no answer came (connection error or the client's 30 s timeout). */
  status: number;
  ms: number;
  servedBy?: string | undefined;
  reason?: string | undefined;
}

function tokens(batch: number, seq: number) {
  const ids = Array.from({ length: batch * seq }, (_, i) => (i % seq === 0 ? 101 : 1000 + ((i * 7919) % 20000)));
  return JSON.stringify({
    inputs: [
      { name: 'input_ids', datatype: 'INT64', shape: [batch, seq], data: ids },
      { name: 'attention_mask', datatype: 'INT64', shape: [batch, seq], data: ids.map(() => 1) },
    ],
  });
}

const VICTIM = [
  { model: 'mnist', body: (i: number) => JSON.stringify({ inputs: inputsFor('mnist', 1, i) }) },
  { model: 'transformer-large', body: () => tokens(1, 8) },
];
const WORST = tokens(5, 512);
const CHEAP = tokens(1, 4);

async function send(gateway: string, who: Outcome['who'], key: string, model: string, body: string, sloMs: number): Promise<Outcome> {
  const t0 = performance.now();
  try {
    const res = await timedRequest(`${gateway}/v2/models/${model}/infer`, { body, headers: { authorization: `Bearer ${key}`, 'x-slo-ms': String(sloMs) }, timeoutMs: 30_000 });
    return { who, model, status: res.status, ms: res.totalMs, servedBy: res.headers['x-served-by'] as string | undefined, reason: res.headers['x-route-reason'] as string | undefined };
  } catch {
    return { who, model, status: 0, ms: performance.now() - t0 };
  }
}

/** Fires `fire(i)` `perSecond` times a second for `seconds`, on schedule; resolves with every answer. */
async function paced<T>(perSecond: number, seconds: number, fire: (i: number) => Promise<T>): Promise<T[]> {
  const pending: Promise<T>[] = [];
  if (perSecond <= 0) return [];
  const t0 = performance.now();
  for (let i = 0; i < Math.floor(perSecond * seconds); i++) {
    const at = t0 + (i * 1000) / perSecond;
    if (at > performance.now()) await new Promise((r) => setTimeout(r, at - performance.now()));
    pending.push(fire(i));
  }
  return Promise.all(pending);
}

/** One soak: the victim's and the hostile tenant's answers, side by side in time. */
export async function soak(o: SoakOptions): Promise<Outcome[]> {
  const victim = paced(o.victimPerSecond, o.seconds, (i) => {
    const v = VICTIM[i % VICTIM.length]!;
    return send(o.gateway, 'victim', VICTIM_KEY, v.model, v.body(i), o.sloMs);
  });
  const key = o.hostility === 'burst' ? BURST_KEY : HOSTILE_KEY;
  const hostile =
    o.hostility === 'none'
      ? Promise.resolve([])
      : paced(o.hostilePerSecond, o.seconds, () => (o.hostility === 'worst' ? send(o.gateway, 'hostile', key, 'transformer-large', WORST, 200) : send(o.gateway, 'hostile', key, 'transformer-large', CHEAP, o.sloMs)));
  return [...(await victim), ...(await hostile)];
}

/**
 * Spends the hostile tenant's origin rate limit (its token bucket starts full): cheap requests, 20 at a time
 * (the origin batches them), until the origin answers one 429; how many it sent. A flood measured after it is
 * what the finding it tests describes: a caller the origin keeps answering 429.
 */
export async function exhaust(gateway: string, seconds = 60): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  for (let sent = 0; performance.now() < deadline; sent += 20) {
    const out = await Promise.all(Array.from({ length: 20 }, () => send(gateway, 'hostile', HOSTILE_KEY, 'transformer-large', CHEAP, 10_000)));
    if (out.some((o) => o.status === 429)) return sent + 20;
  }
  throw new Error(`the origin answered no 429 within ${seconds} s: is its rate limit lifted?`);
}

/** The victim's figures: answered 200, answered 200 within SLO + grace, latency percentiles, statuses. */
export function victimFigures(outcomes: Outcome[], sloMs: number, graceMs: number) {
  const v = outcomes.filter((o) => o.who === 'victim');
  const ok = v.filter((o) => o.status === 200);
  const ms = v.map((o) => o.ms);
  const pct = (n: number) => (v.length ? Math.round((n / v.length) * 10000) / 100 : NaN);
  return {
    requests: v.length,
    success_pct: pct(ok.length),
    within_slo_pct: pct(ok.filter((o) => o.ms <= sloMs + graceMs).length),
    p50_ms: Math.round(percentile(ms, 0.5)),
    p95_ms: Math.round(percentile(ms, 0.95)),
    p99_ms: Math.round(percentile(ms, 0.99)),
    statuses: statusCounts(v),
    // A victim answer routed around the origin because its breaker was open, or refused for it.
    breaker_reasons: v.filter((o) => /breaker|origin unhealthy/.test(o.reason ?? '')).length,
  };
}

/** `{status: count}` of some outcomes. */
export function statusCounts(outcomes: Outcome[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of outcomes) out[o.status] = (out[o.status] ?? 0) + 1;
  return out;
}

/** The gateway's origin breaker: 0 closed, 1 half-open, 2 open. */
export function breakerState(gateway: string): Promise<number | undefined> {
  return metricValue(gateway, 'gateway_origin_breaker_state');
}

export interface TenantStack {
  gateway: Running;
  origin: Running;
}

/**
 * The origin (its per-caller rate limit `originRatePerMinute`) and a gateway in workerd with the deployment's
 * policy that knows the tenants' keys: mnist runs at the edge once the isolate has it loaded, transformer-large
 * (1 GB) only at the origin.
 */
export async function startTenants(originRatePerMinute: number): Promise<TenantStack> {
  const origin = await startOrigin({ ratePerMinute: originRatePerMinute });
  const keys = [VICTIM_KEY, HOSTILE_KEY, BURST_KEY].map((k) => createHash('sha256').update(k).digest('hex'));
  const gateway = await startGateway({ originUrl: origin.url, gatewayConfig: gatewayConfig({ auth: { api_keys_sha256: keys }, logging: { request_sample_rate: 0 } }) });
  return { gateway, origin };
}
