/**
 * The SDK in Node against the real gateway app (test/setup/gateway.ts: routes/app.ts over the data plane,
 * native engine, artifacts from models/): real plans from the device selector, the real mnist files with
 * their manifest's sha256, device runs on onnxruntime-web (WASM, in this process), edge answers from the
 * gateway's engine. Where a test needs an answer no honest gateway gives (a tampered file, a plan for a file
 * that is not a model, a plan that ignores the call's SLO, a proxy marking plans no-store), the client's own
 * `fetch` rewrites it on the way in; the gateway's policy is changed through its config, as a KV reload would.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient, memoryCache } from '../../sdk/src/index.js';
import type { ClientOptions, DevicePlan, TensorInput } from '../../sdk/src/index.js';
import { planQuery, readDeviceHints } from '../../sdk/src/hints.js';
import { maxAgeMs } from '../../sdk/src/plan.js';
import { fsCache } from '../../sdk/src/node-cache.js';
import { MODELS, startGateway } from '../setup/gateway.js';
import type { LocalGateway } from '../setup/gateway.js';

const API_KEY = 'sdk-test-key';
const samples = JSON.parse(readFileSync('models/mnist/samples.json', 'utf8')) as { inputs: number[][]; labels: number[] };
const manifest = JSON.parse(readFileSync(join(MODELS, 'mnist/manifest.json'), 'utf8')) as { version: string; variants: Record<string, { file: string }> };
const digit = (i: number): TensorInput[] => [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: Float32Array.from(samples.inputs[i]!) }];
const argmax = (xs: ArrayLike<number>) => Array.from(xs).reduce((best, x, i, a) => (x > a[best]! ? i : best), 0);
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A variant's file as the gateway serves it: bytes, digest and versioned path. */
function variantFile(variant: string) {
  const bytes = readFileSync(join(MODELS, 'mnist', manifest.variants[variant]!.file));
  return { bytes, sha256: sha256(bytes), url: `/v2/models/mnist/versions/${manifest.version}/variants/${variant}/artifact` };
}

/** A low-end phone on 2G with Save-Data: the gateway plans edge for it (too little memory). */
const LOW_END = { device_memory: 0.5, ect: '2g', downlink: 0.05, rtt: 1400, save_data: true, mobile: true };

interface Rewrite {
  /** The plan's query parameters, on the way out. */
  planQuery?: (q: URLSearchParams) => void;
  /** The plan, on the way in. */
  plan?: (p: DevicePlan) => DevicePlan;
  /** The plan's Cache-Control, on the way in. */
  cacheControl?: string;
  /** An artifact's bytes, on the way in. */
  artifact?: (b: Buffer) => Buffer;
}

/** The client's fetch with `rewrite` applied to plan requests and answers and to artifact bodies. */
function rewriting(rewrite: Rewrite): typeof fetch {
  return async (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const path = url.pathname;
    if (path.endsWith('/device') && rewrite.planQuery) rewrite.planQuery(url.searchParams);
    const res = await fetch(url, init);
    const headers = new Headers(res.headers);
    headers.delete('content-length');
    if (path.endsWith('/device') && res.ok && (rewrite.plan || rewrite.cacheControl)) {
      if (rewrite.cacheControl) headers.set('cache-control', rewrite.cacheControl);
      const plan = (await res.json()) as DevicePlan;
      return new Response(JSON.stringify(rewrite.plan ? rewrite.plan(plan) : plan), { status: res.status, headers });
    }
    if (path.endsWith('/artifact') && res.ok && rewrite.artifact) return new Response(new Uint8Array(rewrite.artifact(Buffer.from(await res.arrayBuffer()))), { status: res.status, headers });
    return res;
  };
}

let gateway: LocalGateway;
const artifactGets = () => gateway.log.filter((l) => l.includes('/artifact')).length;
const planGets = () => gateway.log.filter((l) => l.includes('/device')).length;
const client = (over: Partial<ClientOptions> = {}) => createClient({ baseUrl: gateway.url, apiKey: API_KEY, cache: memoryCache(), ...over });

beforeAll(async () => {
  gateway = await startGateway({ apiKey: API_KEY });
}, 120_000);
afterAll(async () => gateway?.close());
beforeEach(() => {
  gateway.log.length = 0;
  gateway.setConfig({});
});

describe('the SDK following the gateway\'s device plan', () => {
  it('runs the planned variant on the device and agrees with the edge on real digits', async () => {
    const c = client();
    for (const i of [0, 1, 2, 3, 4]) {
      const device = await c.infer('mnist', digit(i));
      expect(device.ranOn).toBe('device');
      expect(device.variant).toBe('int8');
      expect(device.reason).toMatch(/^device: int8 \((downloaded 113 kB, sha256 verified|cached)\); plan: int8 on device: (cached, )?first call [\d.]+ ms \(download [\d.]+ \+ run [\d.]+\), then [\d.]+ ms per call, within 500 ms SLO; .+$/);
      expect(device.plan).toMatchObject({ model: 'mnist', target: 'device', variant: 'int8', artifact: { url: variantFile('int8').url, sha256: variantFile('int8').sha256 } });
      const logits = device.outputs[0]!;
      expect(logits).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [1, 10] });
      expect(argmax(logits.data as Float32Array)).toBe(samples.labels[i]);
    }
    // One download for five calls: the second and later runs come from the cache and the loaded session.
    expect(artifactGets()).toBe(1);
  });

  it('gives the same answer as the gateway (fp32 on both sides: close logits)', async () => {
    gateway.setConfig({ models: { mnist: { device: { variants: ['fp32'] } } } });
    const device = await client().infer('mnist', digit(7));
    gateway.setConfig({ models: { mnist: { device: { allow: false } } } });
    const edge = await client().infer('mnist', digit(7));
    expect([device.ranOn, device.variant, edge.ranOn, edge.variant]).toEqual(['device', 'fp32', 'edge', 'fp32']);
    const [d, e] = [device.outputs[0]!.data as Float32Array, edge.outputs[0]!.data as Float32Array];
    for (let k = 0; k < 10; k++) expect(d[k]).toBeCloseTo(e[k]!, 4);
  });

  it('asks the gateway when the plan says edge, and says why', async () => {
    const r = await client({ hints: LOW_END }).infer('mnist', digit(0), { sloMs: 1000 });
    expect(r.ranOn).toBe('edge');
    expect(r.plan?.target).toBe('edge');
    expect(r.reason).toMatch(/^plan: edge: low memory: the device has 0\.5 GB, devices need 2 GB \(device\.min_memory_gb\); .+; edge answered$/);
    expect(r.gateway?.servedBy).toBe('edge');
    expect(r.variant).toBeTruthy();
    expect(argmax(r.outputs[0]!.data as Float32Array)).toBe(samples.labels[0]);
    expect(artifactGets()).toBe(0);
    // The hints went out as query parameters, which the plan reports it read.
    expect(r.plan?.hints.from_query).toEqual(expect.arrayContaining(['device_memory', 'ect', 'downlink', 'rtt', 'save_data', 'mobile']));
  });

  it('speaks binary tensors to the gateway when asked, with the same answer as JSON', async () => {
    const c = client({ hints: LOW_END });
    const [json, binary] = [await c.infer('mnist', digit(3)), await c.infer('mnist', digit(3), { binary: true })];
    expect([json.ranOn, binary.ranOn]).toEqual(['edge', 'edge']);
    expect(Array.from(binary.outputs[0]!.data as Float32Array)).toEqual(Array.from(json.outputs[0]!.data as Float32Array));
  });

  it('refuses a file whose sha256 does not match, never caches it, and lets the edge answer', async () => {
    const flipLast = (b: Buffer) => {
      b[b.length - 1]! ^= 0xff;
      return b;
    };
    const cache = memoryCache();
    const r = await client({ cache, fetch: rewriting({ artifact: flipLast }) }).infer('mnist', digit(0));
    expect(r.ranOn).toBe('edge');
    expect(r.reason).toMatch(/^int8 refused: sha256 mismatch for .*\/variants\/int8\/artifact: expected [0-9a-f]{12}…, got [0-9a-f]{12}…; evicted from the cache; edge answered$/);
    expect(await cache.urls()).toEqual([]);
    expect(argmax(r.outputs[0]!.data as Float32Array)).toBe(samples.labels[0]);
  });

  it("sends the API key to the gateway's own origin only, never to another host a plan's artifact URL names", async () => {
    const elsewhere = 'http://files.example.test';
    const sent: { host: string; path: string; authorization: string | null }[] = [];
    const toElsewhere = rewriting({ plan: (p) => ({ ...p, artifact: { ...p.artifact!, url: `${elsewhere}${p.artifact!.url}` } }) });
    const fetcher: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      sent.push({ host: url.origin, path: url.pathname, authorization: new Headers(init?.headers).get('authorization') });
      // The other host answers with the real file, so only the credential differs from a gateway download.
      if (url.origin === elsewhere) return new Response(new Uint8Array(variantFile('int8').bytes));
      return toElsewhere(input, init);
    };
    const r = await client({ fetch: fetcher }).infer('mnist', digit(0));
    expect(r.ranOn).toBe('device');
    expect(sent.find((s) => s.host === elsewhere)).toEqual({ host: elsewhere, path: variantFile('int8').url, authorization: null });
    expect(sent.filter((s) => s.host === gateway.url).map((s) => s.authorization)).toEqual(['Bearer sdk-test-key']);
    // A download from the gateway itself still carries the key (the gateway requires it here).
    const own: (string | null)[] = [];
    const recording: typeof fetch = async (input, init) => {
      if (String(input instanceof Request ? input.url : input).includes('/artifact')) own.push(new Headers(init?.headers).get('authorization'));
      return fetch(input, init);
    };
    expect((await client({ fetch: recording }).infer('mnist', digit(1))).ranOn).toBe('device');
    expect(own).toEqual(['Bearer sdk-test-key']);
  });

  it("stops a download the moment it passes the plan's bytes, never holding more, and lets the edge answer", async () => {
    const CHUNK = 16 * 1024;
    const stream = { pulled: 0, cancelled: false };
    const endless = () =>
      new ReadableStream<Uint8Array>({
        pull(controller) {
          stream.pulled += CHUNK;
          controller.enqueue(new Uint8Array(CHUNK));
        },
        cancel() {
          stream.cancelled = true;
        },
      });
    const cache = memoryCache();
    const fetcher: typeof fetch = async (input, init) => (String(input instanceof Request ? input.url : input).includes('/artifact') ? new Response(endless()) : fetch(input, init));
    const r = await client({ cache, fetch: fetcher }).infer('mnist', digit(0));
    expect(r.ranOn).toBe('edge');
    expect(r.reason).toMatch(/^int8 refused: size mismatch for .*\/variants\/int8\/artifact: the plan says 113034 bytes, the download sends more; stopped; evicted from the cache; edge answered$/);
    expect(stream.cancelled).toBe(true);
    expect(stream.pulled).toBeLessThanOrEqual(113034 + 2 * CHUNK);
    expect(await cache.urls()).toEqual([]);
    expect(argmax(r.outputs[0]!.data as Float32Array)).toBe(samples.labels[0]);
  });

  it('refuses a download whose Content-Length says more than the plan before reading it, and one that ends short', async () => {
    const declaring: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (!String(input instanceof Request ? input.url : input).includes('/artifact')) return res;
      return new Response(res.body, { status: 200, headers: { 'content-length': '1000000000' } });
    };
    const big = await client({ fetch: declaring }).infer('mnist', digit(0));
    expect(big.reason).toMatch(/^int8 refused: size mismatch for .*: the plan says 113034 bytes, the download declares 1000000000; stopped;/);
    const short = await client({ fetch: rewriting({ artifact: (b) => b.subarray(0, b.length - 10) }) }).infer('mnist', digit(0));
    expect(short.ranOn).toBe('edge');
    expect(short.reason).toMatch(/^int8 refused: size mismatch for .*: the plan says 113034 bytes, the download ended after 113024; evicted from the cache; edge answered$/);
  });

  it('evicts a cached file that no longer matches and downloads it again', async () => {
    const cache = memoryCache();
    const { url, bytes, sha256 } = variantFile('int8');
    const bad = Uint8Array.from(bytes);
    bad[10]! ^= 1;
    await cache.put(`${gateway.url}${url}`, { bytes: bad, sha256 });
    const r = await client({ cache }).infer('mnist', digit(1));
    expect(r.ranOn).toBe('device');
    expect(r.reason).toMatch(/downloaded 113 kB, sha256 verified/);
    expect(artifactGets()).toBe(1);
  });

  it('answers at the edge when the download would not fit the SLO, and downloads in the background for next time', async () => {
    // The gateway weighs the call's SLO itself (slo_ms in the plan's query: 100 ms plans edge). Without it (a
    // gateway that ignores it) the plan is its policy's (500 ms): int8 on the device, first call ~190 ms. The SDK
    // checks the plan's download + run against the call's SLO before it spends the call on a download.
    const cache = memoryCache();
    const c = client({ cache, fetch: rewriting({ planQuery: (q) => q.delete('slo_ms') }) });
    const r = await c.infer('mnist', digit(2), { sloMs: 100 });
    expect(r.ranOn).toBe('edge');
    expect(r.plan).toMatchObject({ target: 'device', variant: 'int8', slo_ms: 500 });
    expect(r.reason).toMatch(/^download of int8 \(113 kB, ~\d+ ms\) would not fit the 100 ms SLO; downloading it in the background; edge answered$/);
    const deadline = Date.now() + 10_000;
    while ((await cache.urls()).length === 0 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 20));
    const next = await c.infer('mnist', digit(2), { sloMs: 100 });
    expect(next.ranOn).toBe('device');
    expect(next.reason).toMatch(/^device: int8 \(cached\)/);
  });

  it('falls back to the edge when the variant cannot run on the device, and stops trying it', async () => {
    // A file whose sha256 is right but which is not a model: verification passes, the session does not load.
    const junk = Buffer.from('not an onnx model');
    const junkPlan = (p: DevicePlan): DevicePlan => ({ ...p, artifact: { url: p.artifact!.url, bytes: junk.byteLength, sha256: sha256(junk) } });
    const c = client({ fetch: rewriting({ plan: junkPlan, artifact: () => junk }) });
    const r = await c.infer('mnist', digit(4));
    expect(r.ranOn).toBe('edge');
    expect(r.reason).toMatch(/^int8 failed on the device \(.+\); edge answered$/);
    const again = await c.infer('mnist', digit(4));
    expect(again.reason).toMatch(/^int8 failed on this device earlier/);
  });

  it('falls back to the edge when the gateway forbids the download after it planned it', async () => {
    const c = client();
    expect((await c.plan('mnist')).target).toBe('device');
    // The policy changes while the plan is still fresh in the client (max-age 60 s): the artifact route says 403.
    gateway.setConfig({ models: { mnist: { device: { allow: false } } } });
    const r = await c.infer('mnist', digit(5));
    expect(r.ranOn).toBe('edge');
    expect(r.reason).toBe("int8 not available on the device (artifact download 403: device download of model 'mnist' is forbidden by policy (models.mnist.device.allow = false)); edge answered");
  });

  it('keeps a plan for its max-age and refetches after, sending the cached variants', async () => {
    const c = client();
    await c.infer('mnist', digit(0));
    await c.infer('mnist', digit(1));
    // The second call knows int8 is cached, which changes the question, so it asks once more; the third does not.
    await c.infer('mnist', digit(2));
    expect(gateway.log.filter((l) => l.includes('/device'))).toEqual(['GET /v2/models/mnist/device', 'GET /v2/models/mnist/device?cached=int8']);
    // The gateway says max-age=60; a proxy in between that marks plans no-store makes every call ask again.
    const fresh = client({ fetch: rewriting({ cacheControl: 'no-store' }) });
    for (const i of [0, 1, 2]) await fresh.infer('mnist', digit(i));
    expect(planGets()).toBe(2 + 3);
  });

  it('uses the last plan and the cache when the gateway cannot be reached', async () => {
    const cache = memoryCache();
    const c = client({ cache });
    expect((await c.infer('mnist', digit(0))).ranOn).toBe('device');
    const offline = createClient({ baseUrl: gateway.url, cache, fetch: async () => Promise.reject(new TypeError('fetch failed')) });
    const r = await offline.infer('mnist', digit(6));
    expect(r.ranOn).toBe('device');
    expect(r.reason).toBe('device: int8 (cached); no plan (fetch failed), ran the variant cached for mnist');
    expect(argmax(r.outputs[0]!.data as Float32Array)).toBe(samples.labels[6]);
  });

  it('keeps variants across clients in a file-system cache', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sdk-cache-'));
    try {
      await client({ cache: fsCache(dir) }).infer('mnist', digit(0));
      const r = await client({ cache: fsCache(dir) }).infer('mnist', digit(1));
      expect(r.reason).toMatch(/^device: int8 \(cached\)/);
      expect(artifactGets()).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reports an unknown model as the gateway says it', async () => {
    await expect(client().plan('nope')).rejects.toThrow("device plan for nope: 404 unknown model 'nope'");
  });
});

describe('device hints', () => {
  it('reads navigator the way browsers expose it and sends the hints as query parameters', () => {
    const hints = readDeviceHints({ deviceMemory: 2, connection: { effectiveType: '3g', downlink: 0.7, rtt: 270, saveData: true }, userAgentData: { mobile: true } });
    expect(hints).toEqual({ device_memory: 2, ect: '3g', downlink: 0.7, rtt: 270, save_data: true, mobile: true });
    expect(planQuery(hints, 250, ['int8', 'fp16'])).toBe('?device_memory=2&ect=3g&downlink=0.7&rtt=270&save_data=on&mobile=1&slo_ms=250&cached=fp16%2Cint8');
  });

  it('leaves out what the browser does not know (downlink 0 while offline, an unknown connection type)', () => {
    expect(readDeviceHints({ deviceMemory: 0, connection: { effectiveType: 'offline', downlink: 0, rtt: 0 } })).toEqual({ rtt: 0 });
  });

  it('sends nothing in Node, which has none of these APIs', () => {
    expect(readDeviceHints()).toEqual({});
    expect(planQuery({}, undefined, [])).toBe('');
  });

  it('reads max-age from Cache-Control', () => {
    expect([maxAgeMs('public, max-age=300'), maxAgeMs('no-store'), maxAgeMs('private'), maxAgeMs(null)]).toEqual([300_000, 0, undefined, undefined]);
  });
});
