/**
 * The finer cold-start measurements of bench/coldstart.ts, each in fresh isolates (one `wrangler dev` per
 * sample, bench/wrangler.bench.toml, whose Worker times every WebAssembly.instantiate and serves
 * bench/workers/cold.ts):
 * - split: one first request walked step by step in the isolate (instantiation alone with stub imports;
 *   onnxruntime-web's own start; bytes from R2/assets; sha256; session create; first and second run) with the
 *   runtime primed three ways, plus the isolate's CPU for the request from /proc;
 * - eager: with the origin up, the first answer and the time until the isolate's first edge-served answer,
 *   with the runtime started at the isolate's first request of any kind (edge.eager_runtime) or not, or the
 *   variant preloaded (edge.warm), and background loads started with the request or after its answer
 *   (edge.warm_after_answer);
 * - builds: the onnxruntime-web WASM builds the npm package ships, raw and gzip.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { gatewayConfig } from './gateway-config.js';
import { timedRequest } from './http.js';
import { inferBody } from './inputs.js';
import { cpuMs, workerdOf } from './proc-cpu.js';
import { ROOT, startGateway } from './stack.js';
import { r2, serverTiming } from './stats.js';

const BENCH_WORKER = 'bench/wrangler.bench.toml';

export interface SplitSample {
  mode: string;
  ms: Record<string, number>;
  cpu_ms: Record<string, number>;
  instantiate_ms: number | null;
  instantiations: number;
  isolate_cpu_ms: number;
  /** Sum of the step requests' times to first byte (client side). */
  ttfb_ms: number;
  prime_error?: string;
}

const STEPS = ['prime', 'fetch', 'verify', 'create', 'run', 'run2', 'create2'];

/**
 * One fresh isolate: mode `raw` (one request: instantiation alone, twice), or `split:<prime>[:<opt>]`, one
 * request per step so each step's isolate CPU (from /proc, 10 ms ticks; V8's background compile threads
 * included, which may spill into the next step) is read apart from its in-isolate wall time.
 */
export async function splitSample(model: string, variant: string, mode: string): Promise<SplitSample> {
  const gw = await startGateway({ config: BENCH_WORKER, gatewayConfig: gatewayConfig(), readyPath: '/__ping' });
  try {
    const isolate = workerdOf(gw.pid!).isolate;
    const [kind, prime, opt] = mode.split(':') as [string, string?, string?];
    if (kind === 'gateway') return await gatewaySample(gw.url, isolate, model, variant);
    const cpu: Record<string, number> = {};
    let body: { ms?: Record<string, number>; instantiations?: number[]; prime_error?: string } & Record<string, number> = {};
    let ttfb = 0;
    for (const step of kind === 'raw' ? ['raw'] : STEPS) {
      const o = opt === 'nofold' ? '&fold=0' : opt ? `&opt=${opt}` : '';
      const q = kind === 'raw' ? 'mode=raw' : `mode=split&model=${model}&variant=${variant}&prime=${prime}${o}&step=${step}`;
      const cpu0 = cpuMs(isolate);
      const r = await timedRequest(`${gw.url}/__cold?${q}`, kind === 'raw' ? { method: 'GET', timeoutMs: 60_000 } : { body: inferBody(model, 1, 11), timeoutMs: 60_000 });
      cpu[step] = cpuMs(isolate) - cpu0;
      ttfb += r.ttfbMs;
      if (r.status !== 200) throw new Error(`/__cold?${q}: ${r.status} ${r.body.slice(0, 300)}`);
      body = JSON.parse(r.body);
    }
    const ms = body.ms ?? { instantiate_first: body.first_ms!, instantiate_second: body.second_ms! };
    const inst = body.instantiations ?? [];
    return {
      mode,
      ms: Object.fromEntries(Object.entries(ms).map(([k, v]) => [k, r2(v)])),
      cpu_ms: cpu,
      instantiate_ms: inst.length ? r2(inst[0]!) : null,
      instantiations: inst.length,
      isolate_cpu_ms: Object.values(cpu).reduce((a, b) => a + b, 0),
      ttfb_ms: r2(ttfb),
      ...(body.prime_error ? { prime_error: body.prime_error } : {}),
    };
  } finally {
    await gw.stop();
  }
}

/** The gateway's own first pinned answer in this isolate (its first request after /__ping). */
async function gatewaySample(url: string, isolate: number[], model: string, variant: string): Promise<SplitSample> {
  const cpu0 = cpuMs(isolate);
  const r = await timedRequest(`${url}/v2/models/${model}/infer`, { body: inferBody(model, 1, 11), headers: { 'x-model-variant': variant, 'x-slo-ms': '10000', 'x-bench-instantiate': '1' }, timeoutMs: 60_000 });
  const cpu = cpuMs(isolate) - cpu0;
  if (r.status !== 200) throw new Error(`gateway ${model}/${variant}: ${r.status} ${r.body.slice(0, 200)}`);
  const t = serverTiming(String(r.headers['server-timing'] ?? ''));
  const inst = serverTiming(String(r.headers['x-bench-instantiate'] ?? ''));
  const ttfb = r2(r.ttfbMs);
  const ms = { load: t.load ?? NaN, infer: t.infer ?? NaN, rest: r2(ttfb - (t.load ?? 0) - (t.infer ?? 0)), first_byte: ttfb };
  return { mode: 'gateway', ms, cpu_ms: { request: cpu }, instantiate_ms: inst.i0 ?? null, instantiations: Object.keys(inst).filter((k) => /^i\d+$/.test(k)).length, isolate_cpu_ms: cpu, ttfb_ms: ttfb };
}

export interface EagerSample {
  scenario: string;
  config: string;
  first_ms: number;
  first_served_by: string;
  first_edge_ms: number | null;
  requests_until_edge: number | null;
  edge_answer_ms: number | null;
  edge_variant: string | null;
  /** Non-200 answers met on the way (status and start of the body). */
  errors: string[];
}

/** Background loads started with the request (as before edge.warm_after_answer) or after its answer. */
export const EAGER_CONFIGS: Record<string, Record<string, unknown>> = {
  'prewarm with request': { edge: { warm_after_answer: false } },
  'prewarm after answer': { edge: { warm_after_answer: true } },
  'eager_runtime, with request': { edge: { eager_runtime: true, warm_after_answer: false } },
  'eager_runtime, after answer': { edge: { eager_runtime: true, warm_after_answer: true } },
  'edge.warm ts/int8, after answer': { edge: { warm: ['transformer-small/int8'], warm_after_answer: true } },
};

export const EAGER_SCENARIOS: Record<string, { readyPath: string; gapMs: number }> = {
  // The isolate's first request is the inference itself (the bench Worker answers the readiness poll).
  'inference first': { readyPath: '/__ping', gapMs: 0 },
  // The isolate's first request is a liveness probe; inference starts 500 ms later.
  'probe, inference 500 ms later': { readyPath: '/v2/health/live', gapMs: 500 },
};

/**
 * A fresh gateway with the origin; serial unpinned transformer-small requests (the deployment's policy)
 * from the first one until one is served at the edge (at most 60 or 15 s).
 */
export async function eagerSample(originUrl: string, scenario: string, config: string): Promise<EagerSample> {
  const s = EAGER_SCENARIOS[scenario]!;
  const gw = await startGateway({ config: BENCH_WORKER, originUrl, gatewayConfig: gatewayConfig(EAGER_CONFIGS[config]), readyPath: s.readyPath });
  try {
    if (s.gapMs) await new Promise((r) => setTimeout(r, s.gapMs));
    const t0 = performance.now();
    let first: { ms: number; by: string } | undefined;
    const errors: string[] = [];
    for (let i = 0; i < 60 && performance.now() - t0 < 15_000; i++) {
      const r = await timedRequest(`${gw.url}/v2/models/transformer-small/infer`, { body: inferBody('transformer-small', 1, 100 + i), timeoutMs: 30_000 });
      // A non-200 (e.g. 503 while a prewarm holds the memory budget) is recorded, not fatal: it is an answer.
      if (r.status !== 200) errors.push(`${r.status} ${r.body.slice(0, 160)}`);
      const by = r.status === 200 ? String(r.headers['x-served-by']) : `error ${r.status}`;
      first ??= { ms: r2(r.ttfbMs), by };
      if (by === 'edge') {
        return { scenario, config, first_ms: first.ms, first_served_by: first.by, first_edge_ms: r2(performance.now() - t0), requests_until_edge: i + 1, edge_answer_ms: r2(r.totalMs), edge_variant: String(r.headers['x-model-variant']), errors };
      }
    }
    return { scenario, config, first_ms: first?.ms ?? NaN, first_served_by: first?.by ?? '-', first_edge_ms: null, requests_until_edge: null, edge_answer_ms: null, edge_variant: null, errors };
  } finally {
    await gw.stop();
  }
}

/** The .wasm builds onnxruntime-web ships (node_modules/onnxruntime-web/dist), raw and gzip -9 bytes. */
export function wasmBuilds(): { file: string; bytes: number; gzip_bytes: number }[] {
  const dir = resolve(ROOT, 'node_modules/onnxruntime-web/dist');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.wasm'))
    .map((file) => ({ file, bytes: statSync(resolve(dir, file)).size, gzip_bytes: gzipSync(readFileSync(resolve(dir, file)), { level: 9 }).byteLength }))
    .sort((a, b) => a.bytes - b.bytes);
}
