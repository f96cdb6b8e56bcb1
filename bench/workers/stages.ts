/**
 * The gateway's cost per request, stage by stage, inside one workerd isolate (issue #12). Each stage is a
 * piece of the request path that runs alone in a loop on the same request, one stage per call of
 * `POST /__stages?stage=&n=`, `n` times: the bench reads workerd's CPU time from /proc
 * around the call, so CPU per iteration comes out in microseconds even where the isolate's clock cannot
 * (1 ms granularity in local workerd, frozen during compute in production), and other load on the machine
 * cannot inflate it. `full` is the whole gateway (`fetch` of the composed app, no HTTP) and `bare` what
 * inference strictly needs (JSON.parse, tensors, session.run, JSON.stringify).
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
import { Registry } from '../../src/registry/registry.js';
import { routingOf } from '../../src/select/request-params.js';
import type { OrtModule } from '../../src/engine/ort-session.js';
import type { DataPlane } from '../../src/dataplane.js';
import { AssetStore, R2Store, VerifyingStore } from '../../src/engine/model-store.js';
import { OrtEngine } from '../../src/engine/ort-engine.js';
import type { RequestLogLine } from '../../src/latency/request-line.js';
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
}

type Loop = (i: number) => unknown;

/**
 * Every stage, in the order of a request. Each builds (once, outside the timed loop) what it needs and
 * returns the call to repeat.
 */
export const STAGES: Record<string, { what: string; setup: (s: StageInputs) => Promise<Loop> }> = {
  full: { what: 'the whole gateway: app, auth, body, plane, log (Request in, Response read)', setup: async (s) => gatewayCall(s, inferRequest(s)) },
  runtime_floor: {
    what: 'a Request and a Response built and read: what any Worker pays',
    setup: async () => async () => {
      new Request('http://gateway.bench/v2/health/live');
      await new Response('{"live":true}', { headers: { 'content-type': 'application/json' } }).arrayBuffer();
    },
  },
  hono_floor: {
    what: 'a Hono app with one route, no middleware',
    setup: async (s) => {
      const app = new Hono().get('/v2/health/live', (c) => c.json({ live: true }));
      return async () => void (await (await app.fetch(new Request('http://gateway.bench/v2/health/live'), s.env, s.ctx)).arrayBuffer());
    },
  },
  trivial_route: { what: 'the gateway app on /v2/health/live: every middleware, routing, error mapping', setup: async (s) => gatewayCall(s, () => new Request('http://gateway.bench/v2/health/live')) },
  metadata_route: { what: 'a model route: path parameter validation, registry lookup, JSON answer', setup: async (s) => gatewayCall(s, () => new Request(`http://gateway.bench/v2/models/${s.model}`)) },
  body_read: { what: 'reading the request body', setup: async (s) => () => inferRequest(s)().arrayBuffer() },
  plane: {
    what: 'the data plane alone: JSON, decode, select, run, encode (no Hono)',
    setup: async (s) => {
      const { plane, model, config, bytes } = fixtures(s);
      const hdr = new Headers(HEADERS(s));
      return async () => {
        const body = parseRequestBody(bytes, undefined, config.limits.max_json_depth);
        const outcome = await plane.infer(model, body, { routing: routingOf((h) => hdr.get(h) ?? undefined), requestBytes: bytes.length, signal: new AbortController().signal, waitUntil: (w) => s.ctx.waitUntil(w) });
        JSON.stringify(outcome.body);
      };
    },
  },
  json_parse: { what: 'parse the body (depth check, JSON.parse)', setup: async (s) => { const { config, bytes } = fixtures(s); return () => parseRequestBody(bytes, undefined, config.limits.max_json_depth); } },
  decode: {
    what: 'check the request against the model and build typed tensors',
    setup: async (s) => {
      const { config, bytes, model } = fixtures(s);
      const parsed = parseRequestBody(bytes, undefined, config.limits.max_json_depth);
      return () => decodeInferRequest(parsed.json, model, config.limits, parsed.binary, {});
    },
  },
  decide: { what: 'the routing decision (policy, candidates, prediction, ranking)', setup: async (s) => { const { plane, model } = fixtures(s); return () => plane.explain(model, { slo_ms: 5000, variant: s.variant }); } },
  session_run: { what: 'session.run through the gateway\'s runSession', setup: async (s) => { const request = decoded(s); return () => runSession(s.ort, s.session, request); } },
  engine: {
    what: 'the edge engine: session lease, batch queue, run, output copy (batching as the default policy)',
    setup: async (s) => {
      const { config, model } = fixtures(s);
      const engine = new OrtEngine({ ort: s.ort as never, store: new VerifyingStore([new AssetStore(s.env.ASSETS), ...(s.env.MODELS ? [new R2Store(s.env.MODELS)] : [])]), memoryBudgetBytes: config.edge.isolate_memory_budget_bytes });
      const req = { model, variant: s.variant as VariantName, request: decoded(s), batching: { maxBatch: 32, maxDelayMs: 2 }, slackMs: 1000 };
      await engine.infer(req);
      return () => engine.infer(req);
    },
  },
  encode: {
    what: 'outputs to the v2 JSON answer',
    setup: async (s) => {
      const { model } = fixtures(s);
      const request = decoded(s);
      const outputs = await runSession(s.ort, s.session, request);
      return () => JSON.stringify(encodeInferResponse(model, request.id, outputs).body);
    },
  },
  metrics: {
    what: 'the Prometheus counters and histograms of one request',
    setup: async (s) => {
      const metrics = new Metrics();
      const labels = { model: s.model, version: '1', variant: s.variant, target: 'edge' };
      return (i) => {
        metrics.inc('nv_inference_request_success', labels);
        metrics.observe('nv_inference_request_duration_ms', labels, i % 7);
        metrics.inc('gateway_route_decisions_total', { model: s.model, target: 'edge', variant: s.variant, slo: 'met' });
        metrics.observe('nv_inference_compute_infer_duration_ms', { model: s.model, variant: s.variant }, i % 5);
      };
    },
  },
  rate_limit: {
    what: 'the RATE_LIMITER binding, once per inference',
    setup: async (s) => {
      const limiter = (s.env as { RATE_LIMITER?: RateLimit }).RATE_LIMITER;
      return () => limiter?.limit({ key: 'ip:local' });
    },
  },
  analytics: {
    what: 'the Analytics Engine data point of a model request',
    setup: async (s) => {
      const analytics = (s.env as { ANALYTICS?: AnalyticsEngineDataset }).ANALYTICS;
      return () => analytics?.writeDataPoint({ indexes: [s.model], blobs: [s.variant, 'edge', '200', 'reason'], doubles: [1, 200] });
    },
  },
  log_line: {
    what: 'one JSON request log line (console.log)',
    setup: async (s) => () =>
      console.log(JSON.stringify({ event: 'request', request_id: 'x'.repeat(36), method: 'POST', path: `/v2/models/${s.model}/infer`, model: s.model, status: 200, variant: s.variant, server_timing: 'select;dur=0.10, infer;dur=0.20, predicted;dur=0.30', ms: 1 } satisfies RequestLogLine)),
  },
  bare: {
    what: 'a bare Worker: JSON.parse, tensors, session.run, JSON.stringify',
    setup: async (s) => async () => {
      const { inputs } = JSON.parse(s.body) as { inputs: { name: string; datatype: string; shape: number[]; data: number[] }[] };
      const feeds: Record<string, ortTypes.Tensor> = {};
      for (const i of inputs) {
        const data = i.datatype === 'INT64' ? BigInt64Array.from(i.data, (x) => BigInt(x)) : Float32Array.from(i.data);
        feeds[i.name] = new s.ort.Tensor(i.datatype === 'INT64' ? 'int64' : 'float32', data, i.shape);
      }
      const out = await s.session.run(feeds);
      JSON.stringify({ model_name: s.model, outputs: Object.entries(out).map(([name, t]) => ({ name, datatype: 'FP32', shape: [...t.dims], data: Array.from(t.data as Float32Array) })) });
    },
  },
};

// content-length as an HTTP client sends it (a Request built from a string has none, which would send the
// body limit down its streaming path).
const HEADERS = (s: StageInputs) => ({ 'content-type': 'application/json', 'content-length': String(new TextEncoder().encode(s.body).length), 'x-model-variant': s.variant, 'x-slo-ms': '5000' });

function inferRequest(s: StageInputs): () => Request {
  const url = `http://gateway.bench/v2/models/${s.model}/infer`;
  return () => new Request(url, { method: 'POST', body: s.body, headers: HEADERS(s) });
}

function gatewayCall(s: StageInputs, request: () => Request): Loop {
  return async () => {
    const res = await s.gateway.fetch(request(), s.env, s.ctx);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`gateway answered ${res.status}`);
  };
}

function fixtures(s: StageInputs) {
  const config = parseConfig(typeof s.env.GATEWAY_CONFIG === 'string' ? JSON.parse(s.env.GATEWAY_CONFIG) : (s.env.GATEWAY_CONFIG ?? {}), {});
  return { config, model: new Registry(catalog.models).get(s.model), bytes: new TextEncoder().encode(s.body), plane: s.gateway.plane! };
}

function decoded(s: StageInputs) {
  const { config, bytes, model } = fixtures(s);
  const parsed = parseRequestBody(bytes, undefined, config.limits.max_json_depth);
  return decodeInferRequest(parsed.json, model, config.limits, parsed.binary, {});
}

/**
 * Runs one stage: warm-up calls (JIT, sessions, the learner's first observations), then `n` timed calls.
 * A count, not a duration: the isolate's clock may not advance during a synchronous loop. The host calls
 * each stage twice with different counts and divides the CPU difference by the count difference, so the
 * setup and warm-up cancel out.
 */
export async function runStage(name: string, s: StageInputs, n: number): Promise<{ stage: string; iterations: number; wall_us: number }> {
  const stage = STAGES[name];
  if (!stage) throw new Error(`unknown stage '${name}'; stages: ${Object.keys(STAGES).join(', ')}`);
  if (!Number.isInteger(n) || n < 1) throw new Error(`n must be a positive integer, got ${n}`);
  const fn = await stage.setup(s);
  for (let i = 0; i < 50; i++) await fn(i);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return { stage: name, iterations: n, wall_us: Math.round(((performance.now() - t0) * 1000 * 10) / n) / 10 };
}
