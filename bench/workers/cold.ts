/**
 * Bench-only cold-start probes for bench/coldstart.ts, served by overhead-worker.ts in a fresh isolate:
 * - every WebAssembly.instantiate of the isolate is timed (the wrapper goes in on the worker's first request,
 *   before the gateway's wasmRuntime() binds the function), reported in `x-bench-instantiate`;
 * - GET /__cold?mode=raw instantiates the precompiled onnxruntime-web module twice with stub imports
 *   (nothing of onnxruntime runs): instantiation alone, first and second time in the isolate;
 * - POST /__cold?mode=split&model=&variant=&prime=&step= (v2 JSON inputs as body) walks a first request's
 *   steps: prime the runtime (none | empty: InferenceSession.create of 0 bytes, which starts the runtime
 *   and then fails | tiny: the production RuntimeStart), fetch the bytes, sha256 them, create the session,
 *   run it twice, create it again (a warm create, for reference); `step=all` (default) in this request, or
 *   one step per request (in order: prime first), so the bench can read the isolate's CPU for each step.
 *   `opt=disabled|basic|extended|all` sets the session's graphOptimizationLevel (default: onnxruntime's,
 *   all); `fold=0` leaves out the manifest's load options (fold_dequantize).
 */
import wasmModule from '../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import type * as ortTypes from 'onnxruntime-common';
import catalog from '../../models/catalog.json';
import { sessionOptionsFor } from '../../src/engine/ort-session.js';
import { RuntimeStart } from '../../src/engine/runtime-start.js';
import { wasmRuntime } from '../../src/engine/wasm-runtime.js';
import { sha256Hex } from '../../src/lib/sha256.js';
import type { VariantLoad } from '../../src/registry/manifest.js';

const instantiations: number[] = [];
let timed = false;

/** Times every WebAssembly.instantiate from now on (idempotent; call first thing in the worker's fetch). */
export function timeInstantiation(): void {
  if (timed) return;
  timed = true;
  const original = WebAssembly.instantiate.bind(WebAssembly) as (...a: unknown[]) => Promise<unknown>;
  (WebAssembly as { instantiate: unknown }).instantiate = async (...args: unknown[]) => {
    const t0 = performance.now();
    try {
      return await original(...args);
    } finally {
      instantiations.push(performance.now() - t0);
    }
  };
}

/** `n;desc=<count>, i0;dur=<ms>, ...`: the isolate's instantiations so far. */
export function instantiationHeader(): string {
  return [`n;desc=${instantiations.length}`, ...instantiations.map((ms, i) => `i${i};dur=${ms.toFixed(2)}`)].join(', ');
}

function stubImports(): WebAssembly.Imports {
  const imports: Record<string, Record<string, WebAssembly.ImportValue>> = {};
  for (const i of WebAssembly.Module.imports(wasmModule)) {
    const ns = (imports[i.module] ??= {});
    // The runtime imports one shared memory (16 MiB initial, as onnxruntime-web's loader makes it).
    ns[i.name] = i.kind === 'memory' ? new WebAssembly.Memory({ initial: 256, maximum: 65536, shared: true }) : () => 0;
  }
  return imports;
}

async function raw(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of ['first_ms', 'second_ms']) {
    const t0 = performance.now();
    await WebAssembly.instantiate(wasmModule, stubImports());
    out[name] = performance.now() - t0;
  }
  return out;
}

interface Input {
  name: string;
  datatype: 'FP32' | 'INT64';
  shape: number[];
  data: number[];
}

async function bytesOf(env: Env, key: string): Promise<Uint8Array> {
  const asset = await env.ASSETS.fetch(`https://assets.local/${key}`);
  if (asset.ok) return new Uint8Array(await asset.arrayBuffer());
  await asset.body?.cancel();
  const obj = await env.MODELS.get(key);
  if (!obj) throw new Error(`${key} is in neither ASSETS nor R2`);
  return new Uint8Array(await obj.arrayBuffer());
}

/** What the steps of one walk share (one walk per isolate: the bench starts a fresh isolate for each). */
interface Walk {
  ms: Record<string, number>;
  bytes?: Uint8Array;
  options?: ortTypes.InferenceSession.SessionOptions;
  session?: ortTypes.InferenceSession;
  feeds?: Record<string, ortTypes.Tensor>;
  primeError?: string;
}
let walk: Walk = { ms: {} };

const STEPS = ['prime', 'fetch', 'verify', 'create', 'run', 'run2', 'create2'] as const;

async function runStep(name: (typeof STEPS)[number], env: Env, url: URL, inputs: Input[] | undefined): Promise<void> {
  const model = url.searchParams.get('model') ?? 'transformer-small';
  const variant = url.searchParams.get('variant') ?? 'int8';
  const v = (catalog.models.find((m) => m.name === model)!.variants as unknown as Record<string, { file: string; load?: VariantLoad }>)[variant]!;
  const ort = wasmRuntime(wasmModule);
  const t0 = performance.now();
  if (name === 'prime') {
    const prime = url.searchParams.get('prime') ?? 'none';
    if (prime === 'empty') await ort.InferenceSession.create(new Uint8Array(0)).then((s) => s.release(), (e: Error) => void (walk.primeError = e.message));
    if (prime === 'tiny') await new RuntimeStart(ort).start();
  } else if (name === 'fetch') walk.bytes = await bytesOf(env, `${model}/${v.file}`);
  else if (name === 'verify') await sha256Hex(walk.bytes!);
  else if (name === 'create') {
    const opt = url.searchParams.get('opt') as ortTypes.InferenceSession.SessionOptions['graphOptimizationLevel'] | null;
    // fold=0: without the manifest's load options (fold_dequantize), for what folding costs at create.
    const load = url.searchParams.get('fold') === '0' ? undefined : v.load;
    walk.options = sessionOptionsFor(load, opt ? { graphOptimizationLevel: opt } : {});
    walk.session = await ort.InferenceSession.create(walk.bytes!, walk.options);
  } else if (name === 'run' || name === 'run2') {
    if (!walk.feeds) {
      walk.feeds = {};
      for (const i of inputs!) {
        const data = i.datatype === 'INT64' ? BigInt64Array.from(i.data, (x) => BigInt(x)) : Float32Array.from(i.data);
        walk.feeds[i.name] = new ort.Tensor(i.datatype === 'INT64' ? 'int64' : 'float32', data, i.shape);
      }
    }
    await walk.session!.run(walk.feeds);
  } else {
    const again = await ort.InferenceSession.create(walk.bytes!, walk.options);
    await again.release();
  }
  walk.ms[name] = performance.now() - t0;
}

/** Runs the steps named by `step` (one, or `all`), in order, on this isolate's walk. */
async function split(request: Request, env: Env, url: URL): Promise<Record<string, unknown>> {
  const step = url.searchParams.get('step') ?? 'all';
  const names = step === 'all' ? STEPS : STEPS.filter((s) => s === step);
  if (!names.length) throw new Error(`unknown step '${step}'`);
  const inputs = request.method === 'POST' ? (JSON.parse(await request.text()) as { inputs: Input[] }).inputs : undefined;
  if (names[0] === 'prime') walk = { ms: {} };
  for (const name of names) await runStep(name, env, url, inputs);
  if (names.includes('create2')) await walk.session?.release();
  return { ms: walk.ms, instantiations: [...instantiations], ...(walk.primeError ? { prime_error: walk.primeError } : {}) };
}

/** GET /__cold?mode=raw or POST /__cold?mode=split...; see the module comment. */
export async function cold(request: Request, env: Env): Promise<Response> {
  const url = new URL(request.url);
  try {
    return Response.json(url.searchParams.get('mode') === 'raw' ? await raw() : await split(request, env, url));
  } catch (e) {
    return Response.json({ error: (e as Error).message, stack: (e as Error).stack }, { status: 500 });
  }
}
