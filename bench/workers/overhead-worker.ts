/**
 * Bench-only Worker entry (bench/wrangler.bench.toml): everything goes to the gateway's own default
 * export, except POST /__bare, which does only what inference strictly needs — JSON.parse, one ort.Tensor
 * per input, session.run, JSON.stringify — on the same onnxruntime-web runtime and precompiled WASM, so the
 * overhead bench can compare the two in one isolate. With `x-bench-timing: 1` either path reports its
 * in-worker total (and /__bare its session.run alone) in `x-bench-timing`. POST /__stages?stage=&model=&variant=&n=
 * with an inference body runs one stage of bench/workers/stages.ts `n` times in a loop (a
 * gateway of its own, built from the same bindings, called without HTTP) and answers how many iterations ran.
 * POST /__bare_batch?model=&variant=&batch=&n= with a batch-1 inference body repeats its row `batch` times
 * along axis 0 and runs that batch through session.run `n` times: what batching can give at all.
 * For the cold-start bench: /__cold (bench/workers/cold.ts), /__ping (answers without reaching the gateway, so
 * a readiness poll is not the gateway's first request), and `x-bench-instantiate: 1` on a gateway request
 * reports the isolate's WebAssembly.instantiate timings in `x-bench-instantiate`.
 */
import wasmModule from '../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import type * as ortTypes from 'onnxruntime-common';
import gateway, { buildGateway } from '../../src/worker.js';
import { cold, instantiationHeader, timeInstantiation } from './cold.js';
import { runStage } from './stages.js';
import { wasmRuntime } from '../../src/engine/wasm-runtime.js';
import { sessionOptionsFor } from '../../src/engine/ort-session.js';
import type { ModelManifest, VariantName } from '../../src/registry/manifest.js';
import catalog from '../../models/catalog.json';

interface BareInput {
  name: string;
  datatype: 'FP32' | 'INT64';
  shape: number[];
  data: number[];
}

const sessions = new Map<string, Promise<ortTypes.InferenceSession>>();

function session(env: Env, model: string, variant: string): Promise<ortTypes.InferenceSession> {
  const key = `${model}/${variant}.onnx`;
  let s = sessions.get(key);
  if (!s) {
    s = (async () => {
      const asset = await env.ASSETS.fetch(`https://assets.local/${key}`);
      let bytes: ArrayBuffer;
      if (asset.ok) bytes = await asset.arrayBuffer();
      else {
        await asset.body?.cancel();
        const obj = await env.MODELS.get(key);
        if (!obj) throw new Error(`${key} is in neither ASSETS nor R2`);
        bytes = await obj.arrayBuffer();
      }
      // The variant's load options (int8w folds its weights once), as the gateway's engine opens it.
      const load = (catalog.models as unknown as ModelManifest[]).find((m) => m.name === model)?.variants[variant as VariantName]?.load;
      return wasmRuntime(wasmModule).InferenceSession.create(new Uint8Array(bytes), sessionOptionsFor(load));
    })();
    sessions.set(key, s);
    s.catch(() => sessions.delete(key));
  }
  return s;
}

async function bare(request: Request, env: Env): Promise<{ body: string; runMs: number }> {
  const url = new URL(request.url);
  const model = url.searchParams.get('model') ?? 'mnist';
  const variant = url.searchParams.get('variant') ?? 'fp32';
  const s = await session(env, model, variant);
  const ort = wasmRuntime(wasmModule);
  const { inputs } = JSON.parse(await request.text()) as { inputs: BareInput[] };
  const feeds: Record<string, ortTypes.Tensor> = {};
  for (const i of inputs) {
    const data = i.datatype === 'INT64' ? BigInt64Array.from(i.data, (x) => BigInt(x)) : Float32Array.from(i.data);
    feeds[i.name] = new ort.Tensor(i.datatype === 'INT64' ? 'int64' : 'float32', data, i.shape);
  }
  const t0 = performance.now();
  const out = await s.run(feeds);
  const runMs = performance.now() - t0;
  const outputs = Object.entries(out).map(([name, t]) => ({ name, datatype: 'FP32', shape: [...t.dims], data: Array.from(t.data as Float32Array) }));
  return { body: JSON.stringify({ model_name: model, outputs }), runMs };
}

/** The batch-1 inputs of `body` repeated `batch` times along axis 0, as feeds. */
function batchFeeds(body: string, batch: number): Record<string, ortTypes.Tensor> {
  const ort = wasmRuntime(wasmModule);
  const { inputs } = JSON.parse(body) as { inputs: BareInput[] };
  const feeds: Record<string, ortTypes.Tensor> = {};
  for (const i of inputs) {
    if (i.shape[0] !== 1) throw new Error(`input ${i.name}: send batch 1 (shape ${JSON.stringify(i.shape)})`);
    const row = i.data.length;
    const shape = [batch, ...i.shape.slice(1)];
    if (i.datatype === 'INT64') {
      const data = new BigInt64Array(batch * row);
      for (let b = 0; b < batch; b++) for (let k = 0; k < row; k++) data[b * row + k] = BigInt(i.data[k]!);
      feeds[i.name] = new ort.Tensor('int64', data, shape);
    } else {
      const data = new Float32Array(batch * row);
      for (let b = 0; b < batch; b++) data.set(i.data, b * row);
      feeds[i.name] = new ort.Tensor('float32', data, shape);
    }
  }
  return feeds;
}

async function bareBatch(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  const s = await session(env, url.searchParams.get('model') ?? 'mnist', url.searchParams.get('variant') ?? 'fp32');
  const feeds = batchFeeds(await request.text(), Number(url.searchParams.get('batch') ?? 1));
  const n = Number(url.searchParams.get('n') ?? 10);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await s.run(feeds);
  return Response.json({ iterations: n, wall_us: ((performance.now() - t0) * 1000) / n });
}

let stagesGateway: ReturnType<typeof buildGateway> | undefined;

async function stages(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  const url = new URL(request.url);
  const model = url.searchParams.get('model') ?? 'mnist';
  const variant = url.searchParams.get('variant') ?? 'fp32';
  const n = Number(url.searchParams.get('n') ?? 1000);
  stagesGateway ??= buildGateway(env);
  const inputs = { gateway: stagesGateway, env, ctx, ort: wasmRuntime(wasmModule), session: await session(env, model, variant), model, variant, body: await request.text() };
  return Response.json(await runStage(url.searchParams.get('stage') ?? 'full', inputs, n));
}

export default {
  async fetch(request, env, ctx) {
    timeInstantiation();
    const path = new URL(request.url).pathname;
    if (path === '/__ping') return new Response('ok');
    if (path === '/__cold') return cold(request, env);
    if (new URL(request.url).pathname === '/__stages' && request.method === 'POST') {
      try {
        return await stages(request, env, ctx);
      } catch (e) {
        return Response.json({ error: (e as Error).message }, { status: 500 });
      }
    }
    if (new URL(request.url).pathname === '/__bare_batch' && request.method === 'POST') {
      try {
        return await bareBatch(request, env);
      } catch (e) {
        return Response.json({ error: (e as Error).message }, { status: 500 });
      }
    }
    const timing = request.headers.get('x-bench-timing') === '1';
    const t0 = performance.now();
    if (new URL(request.url).pathname === '/__bare' && request.method === 'POST') {
      try {
        const { body, runMs } = await bare(request, env);
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        if (timing) headers['x-bench-timing'] = `total;dur=${(performance.now() - t0).toFixed(3)}, run;dur=${runMs.toFixed(3)}`;
        return new Response(body, { headers });
      } catch (e) {
        return Response.json({ error: (e as Error).message }, { status: 500 });
      }
    }
    const res = await gateway.fetch(request, env, ctx);
    if (request.headers.get('x-bench-instantiate') === '1') {
      const headers = new Headers(res.headers);
      headers.set('x-bench-instantiate', instantiationHeader());
      return new Response(res.body, { status: res.status, headers });
    }
    if (!timing) return res;
    const body = await res.arrayBuffer();
    const headers = new Headers(res.headers);
    headers.set('x-bench-timing', `total;dur=${(performance.now() - t0).toFixed(3)}`);
    return new Response(body, { status: res.status, headers });
  },
} satisfies ExportedHandler<Env>;
