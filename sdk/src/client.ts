/**
 * The client: `infer(model, inputs, { sloMs })` follows the gateway's device plan. It runs the planned
 * variant on the device (downloaded once, verified, cached) and falls back to the gateway's v2 infer route
 * when the plan says edge, when the download would not fit the SLO, when the file fails its sha256 (never
 * run; evicted), when it cannot be downloaded, or when running it fails. Every result says where it ran
 * and why. With no plan at all (offline), a variant already cached for the model still answers.
 */
import { cacheStorage, hasCacheStorage, memoryCache } from './artifact-cache.js';
import type { ArtifactCache } from './artifact-cache.js';
import { ArtifactStore, IntegrityError } from './artifact.js';
import type { Expected } from './artifact.js';
import { DeviceRunner } from './device.js';
import type { OrtLike } from './device.js';
import { downloadEstimateMs, planQuery, readDeviceHints } from './hints.js';
import { PlanCache } from './plan.js';
import { typed } from './tensors.js';
import type { DeviceHints, DevicePlan, InferOptions, InferResult, Tensor, TensorInput, Timings } from './types.js';
import { inferAtEdge } from './v2.js';

export interface ClientOptions {
  /** The gateway, e.g. `https://infer.example.com` (a page on the gateway's origin may pass `location.origin`). */
  baseUrl: string;
  /**
   * Sent as `Authorization: Bearer` on plan and infer requests, and on artifact downloads from the gateway's own
   * origin (baseUrl's): never to another host a plan's artifact URL names.
   */
  apiKey?: string;
  fetch?: typeof fetch;
  /** Where variants are kept: default Cache Storage in browsers, memory elsewhere (Node: see node-cache.ts). */
  cache?: ArtifactCache;
  /** onnxruntime-web as the page loaded it; default `import('onnxruntime-web')`. */
  ort?: OrtLike;
  /** Where the page serves onnxruntime-web's .wasm files (`ort.env.wasm.wasmPaths`). */
  wasmPaths?: string;
  numThreads?: number;
  /** Hints to send instead of (merged over) what the runtime reports. */
  hints?: DeviceHints;
  /** How long to keep a plan the gateway sent without `max-age` (ms); default 60 s. */
  planTtlMs?: number;
  /** When the download alone would miss the SLO, download in the background for the next calls; default true. */
  prefetch?: boolean;
}

export interface EdgeInferClient {
  infer(model: string, inputs: TensorInput[], options?: InferOptions): Promise<InferResult>;
  /** The device plan this client would follow now. */
  plan(model: string, options?: { sloMs?: number; signal?: AbortSignal }): Promise<DevicePlan>;
  readonly cache: ArtifactCache;
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(0)} kB`;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export function createClient(options: ClientOptions): EdgeInferClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  const fetcher = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const cache = options.cache ?? (hasCacheStorage() ? cacheStorage() : memoryCache());
  const auth: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  // The key is the gateway's: a plan (or whoever rewrote it on the way) may name a file on any host, and that
  // host must not learn the key by being asked for it.
  const gatewayOrigin = new URL(`${base}/`).origin;
  const credentialsFor = (url: string): Record<string, string> => (new URL(url).origin === gatewayOrigin ? auth : {});
  const plans = new PlanCache(fetcher, options.planTtlMs ?? 60_000);
  const store = new ArtifactStore(cache, fetcher);
  const runner = new DeviceRunner({ ort: options.ort, wasmPaths: options.wasmPaths, numThreads: options.numThreads });
  const failed = new Map<string, string>();
  const hints = (): DeviceHints => ({ ...readDeviceHints(), ...options.hints });
  const modelPath = (model: string) => `${base}/v2/models/${encodeURIComponent(model)}`;
  const artifactPattern = (model: string) => new RegExp(`^${(modelPath(model) + '/versions/').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^/]+)/variants/([^/]+)/artifact$`);

  async function cachedVariants(model: string): Promise<{ url: string; variant: string }[]> {
    const re = artifactPattern(model);
    return (await store.urls()).flatMap((url) => {
      const m = re.exec(url);
      return m ? [{ url, variant: decodeURIComponent(m[2]!) }] : [];
    });
  }

  async function lookupPlan(model: string, sloMs: number | undefined, signal?: AbortSignal) {
    const cached = (await cachedVariants(model)).map((c) => c.variant);
    return plans.get(model, `${modelPath(model)}/device${planQuery(hints(), sloMs, cached)}`, auth, signal);
  }

  async function infer(model: string, inputs: TensorInput[], opts: InferOptions = {}): Promise<InferResult> {
    const t0 = performance.now();
    const timings: Timings = { plan_ms: 0, download_ms: 0, load_ms: 0, device_run_ms: 0, edge_ms: 0, total_ms: 0 };
    const tensors = inputs.map(typed);
    const done = (r: Omit<InferResult, 'timings'>): InferResult => ({ ...r, timings: { ...timings, total_ms: performance.now() - t0 } });

    const edge = async (reason: string, plan?: DevicePlan): Promise<InferResult> => {
      const t = performance.now();
      const headers: Record<string, string> = { ...auth, ...(opts.sloMs !== undefined ? { 'x-slo-ms': String(opts.sloMs) } : {}) };
      const a = await inferAtEdge({ url: `${modelPath(model)}/infer`, inputs: tensors, headers, binary: !!opts.binary, outputs: opts.outputs, signal: opts.signal, fetch: fetcher });
      timings.edge_ms = performance.now() - t;
      return done({ outputs: a.outputs, ranOn: 'edge', variant: a.variant, reason, ...(plan ? { plan } : {}), gateway: { servedBy: a.servedBy, routeReason: a.routeReason, requestId: a.requestId } });
    };

    const device = async (url: string, expected: Expected | undefined, variant: string, why: string, plan?: DevicePlan): Promise<InferResult> => {
      const earlier = failed.get(url);
      if (earlier) return edge(`${variant} failed on this device earlier (${earlier}); edge answered`, plan);
      let bytes: Uint8Array | undefined;
      let cachedNote = 'cached';
      // A loaded session was made from verified bytes of this immutable URL: no need to read them again.
      if (!runner.loaded(url)) {
        try {
          const t = performance.now();
          const a = await store.get(url, expected, credentialsFor(url));
          if (!a.cached) timings.download_ms = performance.now() - t;
          bytes = a.bytes;
          cachedNote = a.cached ? 'cached' : `downloaded ${kB(a.bytes.byteLength)}, sha256 verified`;
        } catch (e) {
          if (e instanceof IntegrityError) return edge(`${variant} refused: ${e.message}; evicted from the cache; edge answered`, plan);
          return edge(`${variant} not available on the device (${message(e)}); edge answered`, plan);
        }
      }
      try {
        let t = performance.now();
        const fresh = !runner.loaded(url);
        await runner.session(url, bytes ?? new Uint8Array());
        if (fresh) timings.load_ms = performance.now() - t;
        t = performance.now();
        const outputs: Tensor[] = await runner.run(url, tensors, opts.outputs);
        timings.device_run_ms = performance.now() - t;
        return done({ outputs, ranOn: 'device', variant, reason: `device: ${variant} (${cachedNote}); ${why}`, ...(plan ? { plan } : {}) });
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        failed.set(url, message(e));
        return edge(`${variant} failed on the device (${message(e)}); edge answered`, plan);
      }
    };

    const tp = performance.now();
    let lookup;
    try {
      lookup = await lookupPlan(model, opts.sloMs, opts.signal);
    } catch (e) {
      if (opts.signal?.aborted) throw e;
      timings.plan_ms = performance.now() - tp;
      const held = (await cachedVariants(model))[0];
      if (held) return device(held.url, undefined, held.variant, `no plan (${message(e)}), ran the variant cached for ${model}`);
      return edge(`no plan (${message(e)}); edge answered`);
    }
    if (lookup.fetched) timings.plan_ms = performance.now() - tp;
    const { plan } = lookup;
    const planWhy = `plan: ${plan.reason}${lookup.stale ? ` (last known plan; refreshing it failed: ${lookup.stale})` : ''}`;
    if (plan.target === 'edge' || !plan.artifact || !plan.variant) return edge(`${planWhy}; edge answered`, plan);

    const url = new URL(plan.artifact.url, `${base}/`).href;
    if (opts.sloMs !== undefined && !(await store.has(url))) {
      const download = plan.expected_ms.download ?? downloadEstimateMs(plan.artifact.bytes, hints());
      const total = (download ?? 0) + (plan.expected_ms.device_run ?? 0);
      if (download !== undefined && total > opts.sloMs) {
        const prefetch = options.prefetch !== false;
        if (prefetch) store.get(url, plan.artifact, credentialsFor(url)).catch(() => {});
        return edge(`download of ${plan.variant} (${kB(plan.artifact.bytes)}, ~${download.toFixed(0)} ms) would not fit the ${opts.sloMs} ms SLO${prefetch ? '; downloading it in the background' : ''}; edge answered`, plan);
      }
    }
    return device(url, plan.artifact, plan.variant, planWhy, plan);
  }

  return {
    infer,
    cache,
    plan: async (model, o = {}) => (await lookupPlan(model, o.sloMs, o.signal)).plan,
  };
}
