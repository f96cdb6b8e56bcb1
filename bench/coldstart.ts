/**
 * Questions 5 and 4 — cold start and memory. For each model and variant a fresh workerd (wrangler dev, the
 * bench Worker: the gateway plus bench/workers/cold.ts): once the isolate answers its liveness probe, the
 * first pinned inference request is timed to its first byte and split with `server-timing` (load = fetch
 * bytes + runtime start on an isolate's first session + session create; infer; the rest) and the Worker's
 * timing of WebAssembly.instantiate. A second, "warm runtime" isolate first loads an unrelated model
 * (ppocr-cls) so the runtime is up, then loads each variant: load there is session load alone, so runtime
 * init = cold load - warm load. After each load the gateway's /metrics gauges (gateway_edge_resident_bytes,
 * gateway_edge_sessions) give memory next to the manifests' edge_memory_bytes.
 * Then, for the target variant, the finer split and what was tried to cut it (bench/lib/cold-probes.ts):
 * step by step in fresh isolates with the runtime primed three ways; the first edge-served answer with and
 * without edge.eager_runtime; the WASM builds the package ships.
 * Target: first answer <= 300 ms for the ~5 MB transformer-small int8.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isMain, runEntry } from './lib/entry.js';
import { gatewayConfig } from './lib/gateway-config.js';
import { metricValue, timedRequest } from './lib/http.js';
import { inferBody } from './lib/inputs.js';
import { seedModels } from './lib/r2.js';
import { writeResult } from './lib/results.js';
import { ROOT, startGateway, startOrigin } from './lib/stack.js';
import { EAGER_CONFIGS, EAGER_SCENARIOS, eagerSample, splitSample, wasmBuilds } from './lib/cold-probes.js';
import type { EagerSample, SplitSample } from './lib/cold-probes.js';
import { percentile } from '../tools/lib/percentile.js';
import { r2, serverTiming, table } from './lib/stats.js';

export interface ColdstartOptions {
  cases?: { model: string; variant: string }[];
  write?: boolean;
  /** Fresh isolates per split mode and per eager scenario/config (default 3). */
  reps?: number;
  /** Skip the split, eager and build measurements (the per-variant first answers only). */
  quick?: boolean;
}

const BENCH_WORKER = 'bench/wrangler.bench.toml';
const TARGET = { model: 'transformer-small', variant: 'int8' };
/** raw: instantiation alone; split:<prime>[:<graph optimization>]: see bench/workers/cold.ts. */
const SPLIT_MODES = ['gateway', 'raw', 'split:none', 'split:empty', 'split:tiny', 'split:tiny:basic', 'split:tiny:disabled', 'split:tiny:nofold'];
const med = (xs: number[]) => r2(percentile(xs.filter((x) => Number.isFinite(x)), 0.5));

const VARIANTS = ['fp32', 'fp16', 'int8'];
const DEFAULT_CASES = ['mnist', 'transformer-small'].flatMap((model) => VARIANTS.map((variant) => ({ model, variant })));

function manifest(model: string): { variants: Record<string, { bytes: number; edge_memory_bytes: number; latency: { load_ms?: number } }> } {
  return JSON.parse(readFileSync(resolve(ROOT, 'models', model, 'manifest.json'), 'utf8'));
}

async function firstAnswer(url: string, model: string, variant: string) {
  const r = await timedRequest(`${url}/v2/models/${model}/infer`, { body: inferBody(model, 1, 11), headers: { 'x-model-variant': variant, 'x-slo-ms': '10000', 'x-bench-instantiate': '1' }, timeoutMs: 60_000 });
  if (r.status !== 200) throw new Error(`${model}/${variant}: ${r.status} ${r.body.slice(0, 200)}`);
  const t = serverTiming(String(r.headers['server-timing'] ?? ''));
  const inst = serverTiming(String(r.headers['x-bench-instantiate'] ?? ''));
  return { ttfb_ms: r2(r.ttfbMs), total_ms: r2(r.totalMs), load_ms: t.load ?? 0, infer_ms: t.infer ?? 0, select_ms: t.select ?? 0, queue_ms: t.queue ?? 0, instantiate_ms: inst.i0 ?? null, served_by: String(r.headers['x-served-by']) };
}

async function memory(url: string) {
  return { resident_bytes: (await metricValue(url, 'gateway_edge_resident_bytes')) ?? NaN, sessions: (await metricValue(url, 'gateway_edge_sessions')) ?? NaN };
}

export async function runColdstart(opts: ColdstartOptions = {}) {
  await seedModels();
  const cases = opts.cases ?? DEFAULT_CASES;
  const cold = [];
  for (const c of cases) {
    const gw = await startGateway({ config: BENCH_WORKER, gatewayConfig: gatewayConfig() });
    const first = await firstAnswer(gw.url, c.model, c.variant);
    progress(`first answer ${c.model} ${c.variant}: ${first.ttfb_ms} ms`);
    const mem = await memory(gw.url);
    const m = manifest(c.model).variants[c.variant]!;
    cold.push({ ...c, file_bytes: m.bytes, edge_memory_bytes: m.edge_memory_bytes, process_start_ms: r2(gw.startMs), ...first, ...mem });
    await gw.stop();
  }
  // One isolate whose runtime is already up: loads here are session loads alone.
  const gw = await startGateway({ config: BENCH_WORKER, gatewayConfig: gatewayConfig() });
  const primer = await firstAnswer(gw.url, 'ppocr-cls', 'int8').catch(() => firstAnswer(gw.url, 'mnist', 'int8'));
  const warm: (Awaited<ReturnType<typeof firstAnswer>> & Awaited<ReturnType<typeof memory>> & { model: string; variant: string })[] = [];
  for (const c of cases) {
    const w = await firstAnswer(gw.url, c.model, c.variant);
    warm.push({ ...c, ...w, ...(await memory(gw.url)) });
  }
  await gw.stop();
  const rows = cold.map((c) => {
    const w = warm.find((x) => x.model === c.model && x.variant === c.variant)!;
    const runtime = r2(c.load_ms - w.load_ms);
    return { ...c, warm_load_ms: w.load_ms, runtime_init_ms: runtime, other_ms: r2(c.ttfb_ms - c.load_ms - c.infer_ms), manifest_load_ms: manifest(c.model).variants[c.variant]!.latency.load_ms ?? null };
  });
  const runtimeInit = r2(percentile(rows.map((r) => r.runtime_init_ms), 0.5));
  const tsInt8 = rows.find((r) => r.model === 'transformer-small' && r.variant === 'int8');
  table('cold start: fresh workerd per row, first pinned request (ms)', [
    ['model', 'variant', 'file MB', 'first byte', 'load (cold)', 'load (warm rt)', '= runtime init', 'infer', 'other', 'wrangler+workerd up'],
    ...rows.map((r) => [r.model, r.variant, r.file_bytes / 1e6, r.ttfb_ms, r.load_ms, r.warm_load_ms, r.runtime_init_ms, r.infer_ms, r.other_ms, r.process_start_ms]),
  ]);
  console.log(`runtime init (median of cold - warm load): ${runtimeInit} ms; transformer-small int8 first answer ${tsInt8?.ttfb_ms ?? '-'} ms (target <= 300 ms: ${tsInt8 && tsInt8.ttfb_ms <= 300 ? 'met' : 'missed'})`);
  table('memory per variant (one session in a fresh isolate; then all loaded in turn into one isolate, 80 MiB session budget)', [
    ['model', 'variant', 'manifest edge_memory MB', 'resident (fresh) MB', 'sessions', 'resident after loading in turn MB', 'sessions'],
    ...rows.map((r) => {
      const w = warm.find((x) => x.model === r.model && x.variant === r.variant)!;
      return [r.model, r.variant, r.edge_memory_bytes / 1048576, r.resident_bytes / 1048576, r.sessions, w.resident_bytes / 1048576, w.sessions];
    }),
  ]);
  const finer = opts.quick ? undefined : await finerSplit(opts.reps ?? 3, tsInt8);
  if (opts.write !== false) {
    writeResult('coldstart', {
      ...(finer ?? {}),
      runtime_init_ms: runtimeInit,
      runtime_init_method: 'median over variants of (server-timing load in a fresh isolate) - (load of the same variant in an isolate whose runtime was already instantiated)',
      target: { model: 'transformer-small', variant: 'int8', first_answer_ms: tsInt8?.ttfb_ms ?? null, limit_ms: 300, met: !!tsInt8 && tsInt8.ttfb_ms <= 300 },
      primer,
      rows,
    });
    writeResult('memory', {
      source: 'manifest edge_memory_bytes (WASM memory measured when the variant was built, including the 16 MiB runtime base) and /metrics gauges after loading',
      fresh: rows.map((r) => ({ model: r.model, variant: r.variant, manifest_edge_memory_bytes: r.edge_memory_bytes, resident_bytes: r.resident_bytes, sessions: r.sessions })),
      loaded_in_turn: warm.map((w) => ({ model: w.model, variant: w.variant, resident_bytes: w.resident_bytes, sessions: w.sessions })),
    });
  }
  return { rows, runtimeInit };
}

const progress = (line: string) => process.stderr.write(`  ${new Date().toISOString().slice(11, 19)} ${line}\n`);

type Row = { ttfb_ms: number; load_ms: number; infer_ms: number; other_ms: number; instantiate_ms: number | null };

/** The target variant's first request split finer, and what was tried to cut it; see cold-probes.ts. */
async function finerSplit(reps: number, targetRow: Row | undefined) {
  const { model, variant } = TARGET;
  const samples: SplitSample[] = [];
  // Interleaved (mode after mode, rep after rep) so drift on the shared machine spreads over all modes.
  for (let i = 0; i < reps; i++) {
    for (const mode of SPLIT_MODES) {
      samples.push(await splitSample(model, variant, mode));
      progress(`split ${i + 1}/${reps} ${mode}: ${JSON.stringify(samples.at(-1)!.ms)}`);
    }
  }
  const of = (mode: string) => samples.filter((x) => x.mode === mode);
  const step = (mode: string, k: string) => med(of(mode).map((x) => x.ms[k] ?? NaN));
  const modes = SPLIT_MODES.map((mode) => ({
    mode,
    samples: of(mode).length,
    instantiate_ms: med(of(mode).map((x) => x.instantiate_ms ?? x.ms.instantiate_first ?? NaN)),
    ...Object.fromEntries(['instantiate_second', 'prime', 'fetch', 'verify', 'create', 'run', 'run2', 'create2', 'load', 'infer', 'rest', 'first_byte'].map((k) => [k, step(mode, k)])),
    isolate_cpu_ms: med(of(mode).map((x) => x.isolate_cpu_ms)),
    cpu: Object.fromEntries(['prime', 'fetch', 'verify', 'create', 'run', 'run2', 'create2', 'request'].map((k) => [k, med(of(mode).map((x) => x.cpu_ms[k] ?? NaN))])),
    ttfb_ms: med(of(mode).map((x) => x.ttfb_ms)),
    instantiations_per_isolate: Math.max(...of(mode).map((x) => x.instantiations)),
  }));
  const m = (mode: string, k: string): number => (modes.find((x) => x.mode === mode) as unknown as Record<string, number> | undefined)?.[k] ?? NaN;
  table(`cold start split: ${model} ${variant}, one fresh isolate per sample, one request per step, medians of ${reps} (in-isolate wall ms)`, [
    ['mode', 'instantiate', 'instantiate again', 'prime', 'fetch', 'sha256', 'create', 'run', 'run again', 'create again', 'instantiations'],
    ...modes.filter((x) => x.mode !== 'gateway').map((x) => { const r = x as unknown as Record<string, number>; return [x.mode, r.instantiate_ms, r.instantiate_second, r.prime, r.fetch, r.verify, r.create, r.run, r.run2, r.create2, x.instantiations_per_isolate]; }),
  ]);
  table(`the same steps, isolate CPU (ms, /proc, medians of ${reps})`, [
    ['mode', 'prime', 'fetch', 'sha256', 'create', 'run', 'run again', 'create again', 'all steps'],
    ...modes.filter((x) => x.mode.startsWith('split')).map((x) => [x.mode, x.cpu.prime, x.cpu.fetch, x.cpu.verify, x.cpu.create, x.cpu.run, x.cpu.run2, x.cpu.create2, x.isolate_cpu_ms]),
  ]);
  const c = (mode: string, k: string): number => modes.find((x) => x.mode === mode)?.cpu[k] ?? NaN;
  // (a)..(f) of a first request in a cold isolate, from the split (b from the empty prime: the runtime
  // starts, then the 0-byte model is refused) and the gateway's own first answer (f).
  const b = r2(m('split:empty', 'prime') - m('split:empty', 'instantiate_ms'));
  const bCpu = c('split:empty', 'prime');
  // [in-isolate wall ms, isolate CPU ms]; instantiation is below the 10 ms CPU tick.
  const breakdown: Record<string, [number | null, number | null]> = {
    a_instantiate: [m('raw', 'instantiate_ms'), null],
    a_instantiate_again: [m('raw', 'instantiate_second'), null],
    b_ort_init: [b, bCpu],
    c_fetch: [m('split:none', 'fetch'), c('split:none', 'fetch')],
    c_sha256: [m('split:none', 'verify'), c('split:none', 'verify')],
    d_create_first: [r2(m('split:none', 'create') - m('split:none', 'instantiate_ms') - b), r2(c('split:none', 'create') - bCpu)],
    d_create_after_tiny_prime: [m('split:tiny', 'create'), c('split:tiny', 'create')],
    d_create_warm: [m('split:none', 'create2'), c('split:none', 'create2')],
    e_run_first: [m('split:none', 'run'), c('split:none', 'run')],
    e_run_after_tiny_prime: [m('split:tiny', 'run'), c('split:tiny', 'run')],
    e_run_warm: [m('split:none', 'run2'), c('split:none', 'run2')],
    tiny_prime_itself: [m('split:tiny', 'prime'), c('split:tiny', 'prime')],
    f_rest_of_request: [m('gateway', 'rest'), null],
    gateway_load: [m('gateway', 'load'), null],
    gateway_first_run: [m('gateway', 'infer'), null],
    gateway_first_answer: [m('gateway', 'first_byte'), c('gateway', 'request')],
    gateway_instantiate: [m('gateway', 'instantiate_ms'), null],
    gateway_first_answer_per_variant_row: [targetRow?.ttfb_ms ?? null, null],
  };
  table('first answer of a cold isolate, split (medians)', [['part', 'wall ms', 'isolate CPU ms'], ...Object.entries(breakdown).map(([k, [w, cpu]]) => [k, w, cpu])]);
  const origin = await startOrigin();
  const eager: EagerSample[] = [];
  try {
    for (let i = 0; i < reps; i++) {
      for (const sc of Object.keys(EAGER_SCENARIOS)) {
        for (const c of Object.keys(EAGER_CONFIGS)) {
          eager.push(await eagerSample(origin.url, sc, c));
          progress(`eager ${i + 1}/${reps} ${sc} / ${c}: first ${eager.at(-1)!.first_ms} ms, first edge at ${eager.at(-1)!.first_edge_ms} ms`);
        }
      }
    }
  } finally {
    await origin.stop();
  }
  const eagerRows = Object.keys(EAGER_SCENARIOS).flatMap((scenario) => Object.keys(EAGER_CONFIGS).map((config) => {
    const xs = eager.filter((e) => e.scenario === scenario && e.config === config);
    return { scenario, config, samples: xs.length, first_ms: med(xs.map((e) => e.first_ms)), first_served_by: xs.map((e) => e.first_served_by).join('/'), first_edge_ms: med(xs.map((e) => e.first_edge_ms ?? NaN)), requests_until_edge: med(xs.map((e) => e.requests_until_edge ?? NaN)), edge_answer_ms: med(xs.map((e) => e.edge_answer_ms ?? NaN)), edge_variants: [...new Set(xs.map((e) => e.edge_variant))].join('/'), errors: xs.reduce((n, e) => n + e.errors.length, 0) };
  }));
  table(`first edge-served answer, transformer-small unpinned with the origin up (medians of ${reps}; ms from the first inference request sent)`, [
    ['isolate\'s first request', 'config', 'first answer', 'served by', 'first edge answer at', 'requests until edge', 'that edge answer took', 'edge variant', 'non-200'],
    ...eagerRows.map((r) => [r.scenario, r.config, r.first_ms, r.first_served_by, r.first_edge_ms, r.requests_until_edge, r.edge_answer_ms, r.edge_variants, r.errors]),
  ]);
  const builds = wasmBuilds();
  table('onnxruntime-web WASM builds in the npm package', [['file', 'MB', 'gzip -9 MB'], ...builds.map((x) => [x.file, x.bytes / 1e6, x.gzip_bytes / 1e6])]);
  return { split: { model, variant, modes, samples, breakdown }, eager: { rows: eagerRows, samples: eager }, wasm_builds: builds };
}

if (isMain(import.meta.url)) await runEntry('coldstart', () => runColdstart());
