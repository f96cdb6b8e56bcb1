/**
 * The gateway's cost per request, stage by stage, measured inside one workerd isolate (issue #12): each
 * stage's own code runs `n` times in a loop on the same request and the mean is taken, so stages far below
 * the clock's resolution (1 ms in local workerd; frozen during compute in production) still read in
 * microseconds. `full` is the whole gateway (`fetch` of the composed app, no HTTP) and `bare` what
 * inference strictly needs (JSON.parse, tensors, session.run, JSON.stringify); what the stages do not
 * explain is reported as `unattributed`, never spread over them.
 */
import { Hono } from 'hono';
import type * as ortTypes from 'onnxruntime-common';
import catalog from '../../models/catalog.json';
import { parseConfig } from '../../src/config.js';
import { Metrics } from '../../src/metrics.js';
import { parseRequestBody } from '../../src/protocol/binary.js';
import { decodeInferRequest } from '../../src/protocol/v2-request.js';
import { encodeInferResponse } from '../../src/protocol/v2-response.js';
import { runSession } from '../../src/engine/ort-session.js';
import { parseServerTiming } from '../../src/lib/server-timing.js';
import { Registry } from '../../src/registry/registry.js';
import type { OrtModule } from '../../src/engine/ort-session.js';
import type { DataPlane } from '../../src/dataplane.js';
import { AssetStore, R2Store, VerifyingStore } from '../../src/engine/model-store.js';
import { OrtEngine } from '../../src/engine/ort-engine.js';
import type { VariantName } from '../../src/registry/manifest.js';

export interface StageInputs {
  /** The gateway under test (src/worker.ts's buildGateway), called without HTTP. */
  gateway: { fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response>; plane?: DataPlane };
  env: Env;
  ctx: ExecutionContext;
  ort: OrtModule;
  session: ortTypes.InferenceSession;
  model: string;
  variant: string;
  body: string;
  n: number;
}

/** Mean µs per call of `fn` over `n` calls (after `n / 10` warm-up calls). */
async function meanUs(n: number, fn: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < Math.max(3, n / 10); i++) await fn(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return ((performance.now() - t0) * 1000) / n;
}

const round = (x: number) => Math.round(x * 10) / 10;

/** Every stage's mean cost in µs, the gateway's sub-timings from its own Server-Timing, and the rest. */
export async function measureStages(s: StageInputs): Promise<Record<string, unknown>> {
  const { gateway, env, ctx, n } = s;
  const url = `http://gateway.bench/v2/models/${s.model}/infer`;
  const headers = { 'content-type': 'application/json', 'x-model-variant': s.variant, 'x-slo-ms': '5000' };
  const config = parseConfig(typeof env.GATEWAY_CONFIG === 'string' ? JSON.parse(env.GATEWAY_CONFIG) : (env.GATEWAY_CONFIG ?? {}), {});
  const model = new Registry(catalog.models).get(s.model);
  const bytes = new TextEncoder().encode(s.body);

  // Warm-up of the whole path (JIT, sessions, the learner's first observations): the first loop of requests
  // through a fresh isolate measured about 3x the steady cost, so the whole gateway is measured last.
  await meanUs(n, async () => {
    const res = await gateway.fetch(new Request(url, { method: 'POST', body: s.body, headers }), env, ctx);
    await res.arrayBuffer();
  });
  // The data plane alone (decode, select, run, encode), no Hono: what the app around it costs is the difference.
  const plane = gateway.plane!;
  const hdr = new Headers(headers);
  const planeOnly = await meanUs(n, async () => {
    const body = parseRequestBody(bytes, undefined, config.limits.max_json_depth);
    const outcome = await plane.infer(model, body, { header: (h) => hdr.get(h) ?? undefined, requestBytes: bytes.length });
    JSON.stringify(outcome.body);
  });
  // The same with what the route adds: the request's AbortSignal and the execution context's waitUntil.
  const planeWithContext = await meanUs(n, async () => {
    const body = parseRequestBody(bytes, undefined, config.limits.max_json_depth);
    const outcome = await plane.infer(model, body, { header: (h) => hdr.get(h) ?? undefined, requestBytes: bytes.length, signal: new AbortController().signal, waitUntil: (w) => ctx.waitUntil(w) });
    JSON.stringify(outcome.body);
  });
  // The routing decision alone (policy, candidates, prediction, ranking), as /admin/explain runs it.
  const decideUs = await meanUs(n, () => plane.explain(model, { slo_ms: 5000, variant: s.variant }));
  // Middleware, routing, request log and error mapping: a route that does nothing else.
  const appFloor = await meanUs(n, async () => {
    const res = await gateway.fetch(new Request('http://gateway.bench/v2/health/live'), env, ctx);
    await res.arrayBuffer();
  });

  // What any Worker pays for the same call: a Request and a Response built and read (workerd's objects).
  const runtimeFloor = await meanUs(n, async () => {
    const res = new Response('{"live":true}', { headers: { 'content-type': 'application/json' } });
    new Request('http://gateway.bench/v2/health/live');
    await res.arrayBuffer();
  });
  // A Hono app with that one route and no middleware: the framework's own floor.
  const bareHono = new Hono().get('/v2/health/live', (c) => c.json({ live: true }));
  const honoFloor = await meanUs(n, async () => {
    const res = await bareHono.fetch(new Request('http://gateway.bench/v2/health/live'), env, ctx);
    await res.arrayBuffer();
  });
  // A model route with a path parameter (zod-openapi param validation, the registry lookup), no inference.
  const metadataRoute = await meanUs(n, async () => {
    const res = await gateway.fetch(new Request(`http://gateway.bench/v2/models/${s.model}`), env, ctx);
    await res.arrayBuffer();
  });
  const bodyRead = await meanUs(n, () => new Request(url, { method: 'POST', body: s.body, headers }).arrayBuffer());
  const parsed = parseRequestBody(bytes, undefined, config.limits.max_json_depth);
  const jsonParse = await meanUs(n, () => parseRequestBody(bytes, undefined, config.limits.max_json_depth));
  const request = decodeInferRequest(parsed.json, model, config.limits, parsed.binary, {});
  const decode = await meanUs(n, () => decodeInferRequest(parsed.json, model, config.limits, parsed.binary, {}));
  const outputs = await runSession(s.ort, s.session, request);
  const run = await meanUs(n, () => runSession(s.ort, s.session, request));
  // The edge engine alone (session lease, run queue, run, output copy), batching on as the policy has it.
  const engine = new OrtEngine({ ort: s.ort as never, store: new VerifyingStore([new AssetStore(env.ASSETS), ...(env.MODELS ? [new R2Store(env.MODELS)] : [])]), memoryBudgetBytes: config.edge.isolate_memory_budget_bytes });
  const backendRequest = { model, variant: s.variant as VariantName, request, batching: { maxBatch: 32, maxDelayMs: 2 }, slackMs: 1000 };
  await engine.infer(backendRequest);
  const engineUs = await meanUs(n, () => engine.infer(backendRequest));
  const encode = await meanUs(n, () => JSON.stringify(encodeInferResponse(model, request.id, outputs).body));
  const metrics = new Metrics();
  const labels = { model: model.name, version: model.version, variant: s.variant, target: 'edge' };
  const metricsUs = await meanUs(n, (i) => {
    metrics.inc('nv_inference_request_success', labels);
    metrics.observe('nv_inference_request_duration_ms', labels, i % 7);
    metrics.inc('gateway_route_decisions_total', { model: model.name, target: 'edge', variant: s.variant, slo: 'met' });
    metrics.observe('nv_inference_compute_infer_duration_ms', { model: model.name, variant: s.variant }, i % 5);
  });
  // The rate limiter binding, called once per inference by the auth middleware (when rate_limit is on).
  const limiter = (env as { RATE_LIMITER?: RateLimit }).RATE_LIMITER;
  const rateLimit = limiter ? await meanUs(n, () => limiter.limit({ key: 'ip:local' })) : 0;
  // The Analytics Engine data point the request log writes for every model request (routes/app.ts).
  const analytics = (env as { ANALYTICS?: AnalyticsEngineDataset }).ANALYTICS;
  const analyticsUs = analytics ? await meanUs(n, () => analytics.writeDataPoint({ indexes: [s.model], blobs: [s.variant, 'edge', '200', 'reason'], doubles: [1, 200] })) : 0;
  // The request log line itself.
  const logUs = await meanUs(n, () => console.log(JSON.stringify({ event: 'request', request_id: 'x'.repeat(36), method: 'POST', path: url, model: s.model, status: 200, variant: s.variant, server_timing: 'select;dur=0.10, infer;dur=0.20, predicted;dur=0.30' })));
  const bare = await meanUs(n, async () => {
    const { inputs } = JSON.parse(s.body) as { inputs: { name: string; datatype: string; shape: number[]; data: number[] }[] };
    const feeds: Record<string, ortTypes.Tensor> = {};
    for (const i of inputs) {
      const data = i.datatype === 'INT64' ? BigInt64Array.from(i.data, (x) => BigInt(x)) : Float32Array.from(i.data);
      feeds[i.name] = new s.ort.Tensor(i.datatype === 'INT64' ? 'int64' : 'float32', data, i.shape);
    }
    const out = await s.session.run(feeds);
    JSON.stringify({ model_name: s.model, outputs: Object.entries(out).map(([name, t]) => ({ name, datatype: 'FP32', shape: [...t.dims], data: Array.from(t.data as Float32Array) })) });
  });

  // The whole gateway, last, and its own account of select / queue / infer for those same requests.
  const timings: Record<string, number> = {};
  const full = await meanUs(n, async () => {
    const res = await gateway.fetch(new Request(url, { method: 'POST', body: s.body, headers }), env, ctx);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`gateway answered ${res.status}`);
    for (const [k, v] of Object.entries(parseServerTiming(res.headers.get('server-timing')))) timings[k] = (timings[k] ?? 0) + v;
  });
  const calls = n + Math.max(3, n / 10);
  const fromGateway = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, round((v * 1000) / calls)]));
  // A partition of `full`: the app around the plane, then the plane's parts; `plane_rest` is the plane's own
  // bookkeeping (config read, policy, feedback, deadlines) not timed alone.
  const planeParts = { json_parse: jsonParse, decode, decide: decideUs, session_run: run, engine_overhead: engineUs - run, encode, metrics: metricsUs };
  const stages = { app_around_plane: full - planeOnly, ...planeParts, plane_rest: planeOnly - Object.values(planeParts).reduce((x, y) => x + y, 0) };
  return {
    model: s.model,
    variant: s.variant,
    iterations: n,
    full_us: round(full),
    bare_us: round(bare),
    stages_us: Object.fromEntries(Object.entries(stages).map(([k, v]) => [k, round(v)])),
    // Parts of app_around_plane timed alone: a route that does nothing (middleware, routing, request log), the
    // body read, and the rate limiter binding.
    app_parts_us: { plane_with_signal_and_waituntil: round(planeWithContext), runtime_floor: round(runtimeFloor), hono_floor: round(honoFloor), trivial_route: round(appFloor), metadata_route: round(metadataRoute), body_read: round(bodyRead), rate_limit: round(rateLimit), analytics: round(analyticsUs), log_line: round(logUs) },
    gateway_server_timing_us: fromGateway,
  };
}
