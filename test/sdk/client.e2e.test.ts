/**
 * The SDK in Node against a real HTTP server speaking the device contract (contract-server.ts): real mnist
 * files with their real sha256, device runs on onnxruntime-web (WASM, in this process), edge answers from
 * the real origin on onnxruntime-node. The gateway's own plan and artifact routes are tested end to end in
 * sdk-chromium.e2e.test.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createClient, memoryCache } from '../../sdk/src/index.js';
import type { TensorInput } from '../../sdk/src/index.js';
import { planQuery, readDeviceHints } from '../../sdk/src/hints.js';
import { maxAgeMs } from '../../sdk/src/plan.js';
import { fsCache } from '../../sdk/src/node-cache.js';
import { freePort } from '../setup/net.js';
import { API_KEY, startContractServer } from './contract-server.js';
import type { ContractServer } from './contract-server.js';

const samples = JSON.parse(readFileSync('models/mnist/samples.json', 'utf8')) as { inputs: number[][]; labels: number[] };
const digit = (i: number): TensorInput[] => [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: Float32Array.from(samples.inputs[i]!) }];
const argmax = (xs: ArrayLike<number>) => Array.from(xs).reduce((best, x, i, a) => (x > a[best]! ? i : best), 0);

let server: ContractServer;
const artifactGets = () => server.state.log.filter((l) => l.includes('/artifact')).length;
const planGets = () => server.state.log.filter((l) => l.includes('/device')).length;
const client = (over: Parameters<typeof createClient>[0] extends infer O ? Partial<O> : never = {}) => createClient({ baseUrl: server.url, apiKey: API_KEY, cache: memoryCache(), ...over });

beforeAll(async () => {
  server = await startContractServer(await freePort());
}, 120_000);
afterAll(async () => server?.close());
beforeEach(() => {
  server.state.log.length = 0;
  server.state.tamper = undefined;
  server.state.forbid = undefined;
  server.state.planCacheControl = 'private, max-age=60';
  server.state.plan = () => server.devicePlan('int8');
});

describe('the SDK following a device plan', () => {
  it('runs the planned variant on the device and agrees with the edge on real digits', async () => {
    const c = client();
    for (const i of [0, 1, 2, 3, 4]) {
      const device = await c.infer('mnist', digit(i));
      expect(device.ranOn).toBe('device');
      expect(device.variant).toBe('int8');
      expect(device.reason).toMatch(/^device: int8 \((downloaded 113 kB, sha256 verified|cached)\); plan: int8 fits this device$/);
      const logits = device.outputs[0]!;
      expect(logits).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [1, 10] });
      expect(argmax(logits.data as Float32Array)).toBe(samples.labels[i]);
    }
    // One download for five calls: the second and later runs come from the cache and the loaded session.
    expect(artifactGets()).toBe(1);
  });

  it('gives the same answer as the gateway (fp32 on both sides: close logits)', async () => {
    server.state.plan = () => server.devicePlan('fp32');
    const device = await client().infer('mnist', digit(7));
    server.state.plan = () => server.edgePlan('forced for the comparison');
    const edge = await client().infer('mnist', digit(7));
    expect([device.ranOn, edge.ranOn]).toEqual(['device', 'edge']);
    const [d, e] = [device.outputs[0]!.data as Float32Array, edge.outputs[0]!.data as Float32Array];
    for (let k = 0; k < 10; k++) expect(d[k]).toBeCloseTo(e[k]!, 4);
  });

  it('asks the gateway when the plan says edge, and says why', async () => {
    server.state.plan = () => server.edgePlan('int8 download (113 kB) over 2g would take 18 s');
    const r = await client().infer('mnist', digit(0), { sloMs: 1000 });
    expect(r.ranOn).toBe('edge');
    expect(r.reason).toBe('plan: int8 download (113 kB) over 2g would take 18 s; edge answered');
    expect(r.gateway?.servedBy).toBeTruthy();
    expect(r.variant).toBeTruthy();
    expect(argmax(r.outputs[0]!.data as Float32Array)).toBe(samples.labels[0]);
    expect(artifactGets()).toBe(0);
  });

  it('speaks binary tensors to the gateway when asked, with the same answer as JSON', async () => {
    server.state.plan = () => server.edgePlan('edge please');
    const c = client();
    const [json, binary] = [await c.infer('mnist', digit(3)), await c.infer('mnist', digit(3), { binary: true })];
    expect(binary.ranOn).toBe('edge');
    expect(Array.from(binary.outputs[0]!.data as Float32Array)).toEqual(Array.from(json.outputs[0]!.data as Float32Array));
  });

  it('refuses a file whose sha256 does not match, never caches it, and lets the edge answer', async () => {
    server.state.tamper = (b) => {
      b[b.length - 1]! ^= 0xff;
      return b;
    };
    const cache = memoryCache();
    const r = await client({ cache }).infer('mnist', digit(0));
    expect(r.ranOn).toBe('edge');
    expect(r.reason).toMatch(/^int8 refused: sha256 mismatch for .*\/variants\/int8\/artifact: expected [0-9a-f]{12}…, got [0-9a-f]{12}…; evicted from the cache; edge answered$/);
    expect(await cache.urls()).toEqual([]);
    expect(argmax(r.outputs[0]!.data as Float32Array)).toBe(samples.labels[0]);
  });

  it('evicts a cached file that no longer matches and downloads it again', async () => {
    const cache = memoryCache();
    const { url, bytes, sha256 } = server.variantFile('mnist', 'int8');
    const full = `${server.url}${url}`;
    const bad = Uint8Array.from(bytes);
    bad[10]! ^= 1;
    await cache.put(full, { bytes: bad, sha256 });
    const r = await client({ cache }).infer('mnist', digit(1));
    expect(r.ranOn).toBe('device');
    expect(r.reason).toMatch(/downloaded 113 kB, sha256 verified/);
    expect(artifactGets()).toBe(1);
  });

  it('answers at the edge when the download would not fit the SLO, and downloads in the background for next time', async () => {
    server.state.plan = () => server.devicePlan('int8', { expected_ms: { device: 900, download: 880, device_run: 20, edge: 60 } });
    const cache = memoryCache();
    const c = client({ cache });
    const r = await c.infer('mnist', digit(2), { sloMs: 100 });
    expect(r.ranOn).toBe('edge');
    expect(r.reason).toBe('download of int8 (113 kB, ~880 ms) would not fit the 100 ms SLO; downloading it in the background; edge answered');
    const deadline = Date.now() + 10_000;
    while ((await cache.urls()).length === 0 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 20));
    const next = await c.infer('mnist', digit(2), { sloMs: 100 });
    expect(next.ranOn).toBe('device');
    expect(next.reason).toMatch(/^device: int8 \(cached\)/);
  });

  it('falls back to the edge when the variant cannot run on the device, and stops trying it', async () => {
    // A file whose sha256 is right but which is not a model: verification passes, the session does not load.
    const junk = Buffer.from('not an onnx model');
    const { createHash } = await import('node:crypto');
    server.state.tamper = () => junk;
    server.state.plan = () => server.devicePlan('int8', { artifact: { url: server.variantFile('mnist', 'int8').url, bytes: junk.byteLength, sha256: createHash('sha256').update(junk).digest('hex') } });
    const c = client();
    const r = await c.infer('mnist', digit(4));
    expect(r.ranOn).toBe('edge');
    expect(r.reason).toMatch(/^int8 failed on the device \(.+\); edge answered$/);
    const again = await c.infer('mnist', digit(4));
    expect(again.reason).toMatch(/^int8 failed on this device earlier/);
  });

  it('falls back to the edge when the gateway forbids the download', async () => {
    server.state.forbid = 'mnist: device download is disabled by policy';
    const r = await client().infer('mnist', digit(5));
    expect(r.ranOn).toBe('edge');
    expect(r.reason).toBe('int8 not available on the device (artifact download 403: mnist: device download is disabled by policy); edge answered');
  });

  it('keeps a plan for its max-age and refetches after, sending the cached variants', async () => {
    const c = client();
    await c.infer('mnist', digit(0));
    await c.infer('mnist', digit(1));
    // The second call knows int8 is cached, which changes the question, so it asks once more; the third does not.
    await c.infer('mnist', digit(2));
    expect(server.state.log.filter((l) => l.includes('/device'))).toEqual(['GET /v2/models/mnist/device', 'GET /v2/models/mnist/device?cached=int8']);
    server.state.planCacheControl = 'no-store';
    const fresh = client();
    for (const i of [0, 1, 2]) await fresh.infer('mnist', digit(i));
    // no-store: every call asks again.
    expect(planGets()).toBe(2 + 3);
  });

  it('uses the last plan and the cache when the gateway cannot be reached', async () => {
    const cache = memoryCache();
    const c = client({ cache });
    expect((await c.infer('mnist', digit(0))).ranOn).toBe('device');
    const offline = createClient({ baseUrl: server.url, cache, fetch: async () => Promise.reject(new TypeError('fetch failed')) });
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
    server.state.plan = () => ({ status: 404, error: "model 'nope' not found" });
    await expect(client().plan('nope')).rejects.toThrow(/device plan for nope: 404 model 'nope' not found/);
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
