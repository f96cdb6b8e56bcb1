/**
 * Host side of the stage breakdown (bench/workers/stages.ts): asks the bench Worker to loop one stage at a
 * time and reads workerd's CPU time from /proc around each call, so each stage's cost is CPU µs per
 * iteration in the isolate's process (what Workers bill), next to the wall µs the isolate's own clock saw
 * and the CPU wrangler's dev proxy spent on the same calls (relaying console output: not paid in production).
 */
import { cpuMs, workerdOf } from './proc-cpu.js';
import type { Running } from './stack.js';

export const STAGE_ORDER = ['full', 'bare', 'runtime_floor', 'hono_floor', 'trivial_route', 'metadata_route', 'body_read', 'plane', 'json_parse', 'decode', 'decide', 'session_run', 'engine', 'encode', 'metrics', 'rate_limit', 'analytics', 'log_line'] as const;

export interface StageCost {
  iterations: number;
  /** CPU µs per iteration of the isolate's workerd process (all its threads: V8's GC helpers included). */
  cpu_us: number;
  wall_us: number;
  /** CPU µs per iteration of wrangler's other workerd (its proxy): a dev-only cost. */
  dev_proxy_cpu_us: number;
}

export interface StageBreakdown {
  stages: Record<string, StageCost>;
  /** A partition of `full` (CPU µs): the app around the plane, then the plane's parts and its own rest. */
  partition_cpu_us: Record<string, number>;
}

const r1 = (x: number) => Math.round(x * 10) / 10;

async function call(gw: Running, stage: string, model: string, variant: string, body: string, n: number) {
  const { isolate, dev } = workerdOf(gw.pid!);
  if (isolate.length !== 1) throw new Error(`expected one workerd with an inspector under the gateway, found ${isolate.length}`);
  const [c0, d0, t0] = [cpuMs(isolate), cpuMs(dev), performance.now()];
  const res = await fetch(`${gw.url}/__stages?stage=${stage}&model=${model}&variant=${variant}&n=${n}`, { method: 'POST', body });
  const json = (await res.json()) as { iterations: number; wall_us: number; error?: string };
  const [c1, d1, t1] = [cpuMs(isolate), cpuMs(dev), performance.now()];
  if (res.status !== 200) throw new Error(`/__stages ${stage} answered ${res.status}: ${json.error}`);
  return { cpuMs: c1 - c0, devMs: d1 - d0, hostMs: t1 - t0, wallUs: json.wall_us };
}

/**
 * Each stage runs twice in the isolate, `n` and `4n` times (n calibrated so the long call lasts about `ms`):
 * CPU per iteration is the difference of the two calls' CPU over the difference of their counts, so the
 * stage's setup, its warm-up and the HTTP call around it cancel out.
 */
export async function stageBreakdown(gw: Running, model: string, variant: string, body: string, ms = 1500): Promise<StageBreakdown> {
  const stages: Record<string, StageCost> = {};
  for (const stage of STAGE_ORDER) {
    await call(gw, stage, model, variant, body, 20); // first use: sessions, JIT
    const [p1, p2] = [await call(gw, stage, model, variant, body, 20), await call(gw, stage, model, variant, body, 220)];
    // Noise can make the difference non-positive: then the long probe's whole time bounds it (never too many).
    const perIterMs = p2.hostMs > p1.hostMs ? Math.max((p2.hostMs - p1.hostMs) / 200, 0.0002) : p2.hostMs / 220;
    const n = Math.max(50, Math.min(1_000_000, Math.round(ms / 4 / perIterMs)));
    const short = await call(gw, stage, model, variant, body, n);
    const long = await call(gw, stage, model, variant, body, 4 * n);
    const per = (ms: number) => r1(Math.max(0, (ms * 1000) / (3 * n)));
    stages[stage] = { iterations: 5 * n, cpu_us: per(long.cpuMs - short.cpuMs), wall_us: long.wallUs, dev_proxy_cpu_us: per(long.devMs - short.devMs) };
    if (process.env.BENCH_VERBOSE) console.error(stage, JSON.stringify(stages[stage]));
  }
  const c = (k: string) => stages[k]!.cpu_us;
  const planeParts = { json_parse: c('json_parse'), decode: c('decode'), decide: c('decide'), session_run: c('session_run'), engine_overhead: c('engine') - c('session_run'), encode: c('encode'), metrics: c('metrics') };
  const partition = { app_around_plane: c('full') - c('plane'), ...planeParts, plane_rest: c('plane') - Object.values(planeParts).reduce((a, b) => a + b, 0) };
  return { stages, partition_cpu_us: Object.fromEntries(Object.entries(partition).map(([k, v]) => [k, r1(v)])) };
}
