/**
 * Question 1 — gateway overhead: the full gateway path (HTTP into workerd, decode, select, infer, encode)
 * against a bare onnxruntime-web session.run on the same input in the same workerd isolate
 * (bench/workers/overhead-worker.ts `POST /__bare`), interleaved request by request in one run.
 * Reports (a) client-side HTTP latency, gateway vs bare, and (b) in-worker: gateway total vs session.run
 * alone. Target: gateway overhead <= 5 % (or <= 0.5 ms) over bare session.run at p50.
 */
import { bounded, isMain, runEntry } from './lib/entry.js';
import { timedRequest } from './lib/http.js';
import { inferBody } from './lib/inputs.js';
import { seedModels } from './lib/r2.js';
import { writeResult } from './lib/results.js';
import { startGateway, type Running } from './lib/stack.js';
import { cpuMs, workerdOf } from './lib/proc-cpu.js';
import { gatewayConfig } from './lib/gateway-config.js';
import { r3, serverTiming, summarize, table } from './lib/stats.js';
import { cell } from './lib/cannon.js';
import { STAGE_ORDER, stageBreakdown, type StageBreakdown } from './lib/stages.js';

export interface OverheadOptions {
  cases?: { model: string; variant: string; iterations: number; seconds: number; stageMs: number }[];
  write?: boolean;
}

const DEFAULT_CASES = [
  { model: 'mnist', variant: 'fp32', iterations: 300, seconds: 20, stageMs: 1500 },
  { model: 'transformer-small', variant: 'int8', iterations: 50, seconds: 20, stageMs: 3000 },
];

/**
 * Saturated throughput at concurrency 8 on one isolate, gateway vs bare, in alternating rounds (so drift in
 * the machine's load hits both): CPU per request is 1 / req/s. The median round of each is reported, with
 * workerd's CPU per answered request read from /proc: the isolate's process (what Workers bill) and
 * wrangler's dev proxy in front of it (local only), which req/s also pays on a 2-core machine.
 */
async function saturated(gw: Running, model: string, variant: string, body: string, rounds = 3, seconds = 4) {
  const { isolate, dev } = workerdOf(gw.pid!);
  const measure = async (url: string, headers: Record<string, string>) => {
    const [c0, d0] = [cpuMs(isolate), cpuMs(dev)];
    const r = await cell({ body, connections: 8, seconds, sloMs: 5000, url, headers: { 'content-type': 'application/json', ...headers } });
    const [c1, d1] = [cpuMs(isolate), cpuMs(dev)];
    return { rps: r.rps, p50: r.p50, p99: r.p99, isolate_cpu_ms: r3((c1 - c0) / Math.max(1, r.ok)), proxy_cpu_ms: r3((d1 - d0) / Math.max(1, r.ok)) };
  };
  const gwRounds: Awaited<ReturnType<typeof measure>>[] = [];
  const bareRounds: typeof gwRounds = [];
  for (let r = 0; r < rounds; r++) {
    gwRounds.push(await measure(`${gw.url}/v2/models/${model}/infer`, { 'x-model-variant': variant, 'x-slo-ms': '5000' }));
    bareRounds.push(await measure(`${gw.url}/__bare?model=${model}&variant=${variant}`, {}));
  }
  const med = <T extends { rps: number }>(xs: T[]) => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor(xs.length / 2)]!;
  const g = med(gwRounds);
  const b = med(bareRounds);
  return {
    connections: 8, rounds, seconds, gateway: g, bare: b,
    gateway_rps: g.rps, bare_rps: b.rps, ratio: r3(g.rps / b.rps),
    gateway_cpu_ms_per_request: r3(1000 / g.rps), bare_cpu_ms_per_request: r3(1000 / b.rps),
    isolate_cpu_ratio: r3(b.isolate_cpu_ms / g.isolate_cpu_ms),
    target_met: g.rps / b.rps >= 0.8,
  };
}

export async function runOverhead(opts: OverheadOptions = {}) {
  await seedModels();
  const gw = await startGateway({ config: 'bench/wrangler.bench.toml', gatewayConfig: gatewayConfig() });
  const out = [];
  const breakdowns: { name: string; stages: StageBreakdown }[] = [];
  for (const c of opts.cases ?? DEFAULT_CASES) {
    const body = inferBody(c.model, 1, 7);
    const gwReq = () => timedRequest(`${gw.url}/v2/models/${c.model}/infer`, { body, headers: { 'x-model-variant': c.variant, 'x-slo-ms': '5000', 'x-bench-timing': '1' } });
    const bareReq = () => timedRequest(`${gw.url}/__bare?model=${c.model}&variant=${c.variant}`, { body, headers: { 'x-bench-timing': '1' } });
    for (let i = 0; i < 5; i++) for (const r of [await gwReq(), await bareReq()]) if (r.status !== 200) throw new Error(`warm-up answered ${r.status}: ${r.body.slice(0, 200)}`);
    const g = { client: [] as number[], worker: [] as number[], infer: [] as number[] };
    const b = { client: [] as number[], worker: [] as number[], run: [] as number[] };
    const errors: string[] = [];
    const n = await bounded(c.iterations, c.seconds, async (i) => {
      // Alternate which goes first so neither always follows the other.
      const pair = i % 2 === 0 ? [await gwReq(), await bareReq()] : [await bareReq(), await gwReq()].reverse();
      const [gr, br] = pair as [Awaited<ReturnType<typeof gwReq>>, Awaited<ReturnType<typeof bareReq>>];
      // A non-200 (e.g. wrangler answering 503 while it reloads the Worker because a model file changed)
      // drops the pair; the count is reported.
      if (gr.status !== 200 || br.status !== 200) return void errors.push(`${gr.status}/${br.status}`);
      const gt = serverTiming(String(gr.headers['x-bench-timing']));
      const st = serverTiming(String(gr.headers['server-timing']));
      const bt = serverTiming(String(br.headers['x-bench-timing']));
      g.client.push(gr.totalMs), g.worker.push(gt.total!), g.infer.push(st.infer!);
      b.client.push(br.totalMs), b.worker.push(bt.total!), b.run.push(bt.run!);
    });
    const s = {
      gateway_client: summarize(g.client), bare_client: summarize(b.client),
      gateway_worker_total: summarize(g.worker), gateway_infer: summarize(g.infer),
      bare_worker_total: summarize(b.worker), bare_session_run: summarize(b.run),
    };
    const stages = await stageBreakdown(gw, c.model, c.variant, body, c.stageMs);
    const throughput = await saturated(gw, c.model, c.variant, body);
    const overP50 = s.gateway_worker_total.p50 - s.bare_session_run.p50;
    const ratioP50 = s.gateway_worker_total.p50 / s.bare_session_run.p50;
    out.push({
      model: c.model, variant: c.variant, pairs: n - errors.length, dropped_pairs: errors, ...s,
      client_ratio_p50: r3(s.gateway_client.p50 / s.bare_client.p50), client_ratio_p99: r3(s.gateway_client.p99 / s.bare_client.p99),
      client_overhead_ms_p50: r3(s.gateway_client.p50 - s.bare_client.p50), client_overhead_ms_p99: r3(s.gateway_client.p99 - s.bare_client.p99),
      // workerd's local clock has 1 ms granularity: a sub-millisecond session.run reads 0 and has no ratio.
      worker_ratio_p50: s.bare_session_run.p50 > 0 ? r3(ratioP50) : null, worker_ratio_p99: s.bare_session_run.p99 > 0 ? r3(s.gateway_worker_total.p99 / s.bare_session_run.p99) : null,
      worker_overhead_ms_p50: r3(overP50), worker_overhead_ms_p99: r3(s.gateway_worker_total.p99 - s.bare_session_run.p99),
      target_met: overP50 <= 0.5 || ratioP50 <= 1.05,
      stages,
      throughput,
    });
    breakdowns.push({ name: `${c.model} ${c.variant}`, stages });
  }
  table('overhead: latency (ms), gateway vs bare session.run, interleaved in one workerd', [
    ['model', 'variant', 'pairs', 'where', 'gateway p50', 'gateway p99', 'bare p50', 'bare p99', 'ratio p50', 'ratio p99', '+ms p50', '+ms p99'],
    ...out.flatMap((o) => [
      [o.model, o.variant, o.pairs, 'client HTTP', o.gateway_client.p50, o.gateway_client.p99, o.bare_client.p50, o.bare_client.p99, o.client_ratio_p50, o.client_ratio_p99, o.client_overhead_ms_p50, o.client_overhead_ms_p99],
      [o.model, o.variant, o.pairs, 'in-worker total vs run', o.gateway_worker_total.p50, o.gateway_worker_total.p99, o.bare_session_run.p50, o.bare_session_run.p99, o.worker_ratio_p50, o.worker_ratio_p99, o.worker_overhead_ms_p50, o.worker_overhead_ms_p99],
    ]),
  ]);
  table('overhead: in-worker breakdown p50 (ms)', [
    ['model', 'gateway total', 'gateway infer (server-timing)', 'bare total', 'bare session.run', 'target <=5% or <=0.5 ms'],
    ...out.map((o) => [o.model, o.gateway_worker_total.p50, o.gateway_infer.p50, o.bare_worker_total.p50, o.bare_session_run.p50, o.target_met ? 'met' : 'missed']),
  ]);
  table('overhead: saturated throughput on one isolate, concurrency 8 (median of alternating rounds)', [
    ['model', 'variant', 'gateway req/s', 'bare req/s', 'gateway / bare', 'isolate CPU ms/req gateway', 'bare', 'bare / gateway', 'dev proxy CPU ms/req gateway', 'bare', 'target >= 0.8x'],
    ...out.map((o) => { const t = o.throughput; return [o.model, o.variant, t.gateway_rps, t.bare_rps, t.ratio, t.gateway.isolate_cpu_ms, t.bare.isolate_cpu_ms, t.isolate_cpu_ratio, t.gateway.proxy_cpu_ms, t.bare.proxy_cpu_ms, t.target_met ? 'met' : 'missed']; }),
  ]);
  table('overhead: CPU per iteration of each stage in the isolate (µs; workerd CPU from /proc, no HTTP)', [
    ['stage', ...breakdowns.flatMap((o) => [`${o.name} CPU`, 'wall', 'dev proxy CPU'])],
    ...STAGE_ORDER.map((k) => [k, ...breakdowns.flatMap((o) => { const c = o.stages.stages[k]!; return [c.cpu_us, c.wall_us, c.dev_proxy_cpu_us]; })]),
  ]);
  const parts = [...new Set(breakdowns.flatMap((o) => Object.keys(o.stages.partition_cpu_us)))];
  table('overhead: where the whole gateway\'s CPU goes (µs per request, a partition of `full`)', [
    ['part', ...breakdowns.map((o) => o.name)],
    ...parts.map((k) => [k, ...breakdowns.map((o) => o.stages.partition_cpu_us[k] ?? '')]),
    ['full / bare (CPU)', ...breakdowns.map((o) => r3(o.stages.stages.full!.cpu_us / o.stages.stages.bare!.cpu_us))],
  ]);
  if (opts.write !== false) writeResult('overhead', { gateway_start_ms: r3(gw.startMs), note: 'local workerd; in-worker clocks are performance.now() (advances locally)', cases: out });
  await gw.stop();
  return out;
}

if (isMain(import.meta.url)) await runEntry('overhead', () => runOverhead());
