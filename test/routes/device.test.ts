/**
 * The device plan inside workerd (issue 13): from Client Hints and query parameters, the real manifests and
 * the policy, where a client should run a model. mnist's variants are bundled assets (int8 113 kB, fp16
 * 220 kB, fp32 438 kB); transformer-large's are hundreds of MB; R2 is empty in tests.
 */
import { createExecutionContext, env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import mnist from '../../models/mnist/manifest.json';
import { sha256Hex } from '../../src/lib/sha256.js';
import { buildGateway } from '../../src/worker.js';

const PHONE_3G = { 'Device-Memory': '2', ECT: '3g', 'Sec-CH-UA-Mobile': '?1' };

async function plan(path: string, headers: Record<string, string> = {}, fetcher: (req: Request) => Promise<Response> = (r) => SELF.fetch(r)) {
  const res = await fetcher(new Request(`http://gateway.test${path}`, { headers }));
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

/** A gateway built from this test's bindings with parts of its config replaced. */
function gatewayWith(config: Record<string, unknown>) {
  const e = { ...env, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as object), ...config } } as Env;
  const gw = buildGateway(e);
  return (req: Request) => Promise.resolve(gw.fetch(req, e, createExecutionContext()));
}

describe('the device plan', () => {
  it('sends a 2 GB phone on 3G the int8 file when it fits the download budget and the SLO', async () => {
    const res = await plan('/v2/models/mnist/device?slo_ms=5000', PHONE_3G);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const int8 = mnist.variants.int8;
    expect(res.body).toMatchObject({
      model: 'mnist',
      version: '1',
      target: 'device',
      variant: 'int8',
      artifact: { url: '/v2/models/mnist/versions/1/variants/int8/artifact', bytes: int8.bytes, sha256: int8.sha256 },
      hints: { mobile: true, device_memory_gb: 2, rtt_ms: 270, downlink_mbps: 0.7, from_hints: expect.arrayContaining(['ECT', 'Device-Memory', 'Sec-CH-UA-Mobile']) },
    });
    const e = res.body.expected_ms;
    // 3G: 270 ms round trip + 113034 bytes at 0.7 Mbit/s.
    expect(e.download).toBeCloseTo(270 + (int8.bytes * 8) / 700, 0);
    expect(e.device).toBeCloseTo(e.download + e.device_run, 0);
    expect(e.edge).toBeGreaterThan(270);
    expect(res.body.reason).toMatch(/^int8 on device: first call .* within 5000 ms SLO/);
    // Pure int8 is within the device's fidelity slack of fp32 and its first call is the fastest.
    expect(res.body.candidates.map((c: any) => c.variant)).toEqual(['int8', 'fp16', 'fp32']);
  });

  it('answers with the client-hint Vary and Accept-CH, privately cacheable for a minute', async () => {
    const res = await plan('/v2/models/mnist/device', PHONE_3G);
    expect(res.headers.get('cache-control')).toBe('private, max-age=60');
    for (const hint of ['ECT', 'Downlink', 'RTT', 'Save-Data', 'Device-Memory', 'Sec-CH-UA-Mobile']) {
      expect(res.headers.get('vary')).toContain(hint);
      expect(res.headers.get('accept-ch')).toContain(hint);
    }
  });

  it('says edge for the same phone when the first call cannot meet the SLO (mnist policy: 100 ms)', async () => {
    const res = await plan('/v2/models/mnist/device', PHONE_3G);
    expect(res.body).toMatchObject({ target: 'edge', artifact: null, slo_ms: 100 });
    expect(res.body.reason).toMatch(/^edge: int8: first call [\d.]+ ms \(download [\d.]+ \+ run [\d.]+\) > 100 ms SLO/);
    expect(res.body.expected_ms.device).toBeGreaterThan(100);
  });

  it('says edge when the file is over the download budget, and always for a model too large for devices', async () => {
    const budget = gatewayWith({ device: { max_download_bytes: 100_000 } });
    const small = await plan('/v2/models/mnist/device?slo_ms=5000', PHONE_3G, budget);
    expect(small.body.target).toBe('edge');
    expect(small.body.reason).toMatch(/int8: 0\.11 MB download over the 0\.1 MB budget/);
    for (const query of ['', '?slo_ms=3600000&ect=4g&device_memory=8']) {
      const large = await plan(`/v2/models/transformer-large/device${query}`);
      expect(large.status).toBe(200);
      expect(large.body).toMatchObject({ target: 'edge', artifact: null });
      expect(large.body.reason).toMatch(/int8: 110\.98 MB download over the 10 MB budget/);
      expect(large.body.expected_ms).toMatchObject({ device: null, download: null, device_run: null });
    }
  });

  it('sends a low-memory device to the edge', async () => {
    const res = await plan('/v2/models/mnist/device?slo_ms=5000', { ...PHONE_3G, 'Device-Memory': '1' });
    expect(res.body.target).toBe('edge');
    expect(res.body.reason).toMatch(/^edge: low memory: the device has 1 GB, devices need 2 GB/);
    expect(res.body.variant === null || ['fp32', 'fp16', 'int8', 'int8w'].includes(res.body.variant)).toBe(true);
  });

  it('applies the smaller Save-Data download budget', async () => {
    const tight = gatewayWith({ device: { save_data_max_download_bytes: 100_000 } });
    const saving = await plan('/v2/models/mnist/device?slo_ms=5000', { ...PHONE_3G, 'Save-Data': 'on' }, tight);
    expect(saving.body.target).toBe('edge');
    expect(saving.body.hints).toMatchObject({ save_data: true, download_budget_bytes: 100_000 });
    expect(saving.body.reason).toMatch(/over the 0\.1 MB budget \(save-data\)/);
    const normal = await plan('/v2/models/mnist/device?slo_ms=5000', PHONE_3G, tight);
    expect(normal.body).toMatchObject({ target: 'device', variant: 'int8', hints: { download_budget_bytes: 10_000_000 } });
  });

  it('counts no download for a variant the client already holds', async () => {
    // A desktop with default network (50 ms, 10 Mbit/s) and mnist's 100 ms SLO: a download does not fit, a cached file does.
    const fresh = await plan('/v2/models/mnist/device');
    expect(fresh.body.target).toBe('edge');
    const cached = await plan('/v2/models/mnist/device?cached=int8');
    expect(cached.body).toMatchObject({ target: 'device', variant: 'int8', expected_ms: { download: 0 } });
    expect(cached.body.reason).toMatch(/^int8 on device: cached, /);
    expect(cached.body.candidates.find((c: any) => c.variant === 'int8')).toMatchObject({ cached: true, download_ms: 0 });
  });

  it('lets query parameters override the hints', async () => {
    const low = await plan('/v2/models/mnist/device?slo_ms=5000&device_memory=1', { ...PHONE_3G, 'Device-Memory': '8' });
    expect(low.body.target).toBe('edge');
    expect(low.body.hints).toMatchObject({ device_memory_gb: 1, from_query: ['device_memory', 'slo_ms'] });
    const fast = await plan('/v2/models/mnist/device?ect=4g&mobile=0&rtt=20&downlink=50&save_data=off', { ...PHONE_3G, 'Save-Data': 'on' });
    expect(fast.body.hints).toMatchObject({ rtt_ms: 20, downlink_mbps: 50, mobile: false, save_data: false, device_speed_factor: 1.5 });
  });

  it('always says edge for a model whose policy forbids device download, and the artifact is 403 with the reason', async () => {
    const models = { ...((env.GATEWAY_CONFIG as any).models ?? {}), mnist: { slo_ms: 100, device: { allow: false } } };
    const forbidding = gatewayWith({ models });
    const res = await plan('/v2/models/mnist/device?slo_ms=5000&cached=int8', PHONE_3G, forbidding);
    expect(res.body).toMatchObject({ target: 'edge', artifact: null });
    expect(res.body.reason).toMatch(/forbidden by policy \(device\.allow = false\)/);
    const file = await plan('/v2/models/mnist/versions/1/variants/int8/artifact', {}, forbidding);
    expect(file.status).toBe(403);
    expect(file.body.error).toMatch(/device download of model 'mnist' is forbidden by policy \(models\.mnist\.device\.allow = false\)/);
  });

  it('answers 404 JSON for an unknown model or version', async () => {
    for (const path of ['/v2/models/nope/device', '/v2/models/mnist/versions/9/device']) {
      const res = await plan(path);
      expect(res.status).toBe(404);
      expect(res.body.error).toMatch(/unknown (model|version)/);
    }
  });

  it('requires the inference API key on the plan and the artifacts when keys are configured', async () => {
    const keyed = gatewayWith({ auth: { api_keys_sha256: [await sha256Hex('device-key')] } });
    for (const path of ['/v2/models/mnist/device', '/v2/models/mnist/variants/int8/artifact']) {
      expect((await plan(path, {}, keyed)).status).toBe(401);
      expect((await plan(path, { 'x-api-key': 'wrong' }, keyed)).status).toBe(403);
      const ok = await keyed(new Request(`http://gateway.test${path}`, { headers: { authorization: 'Bearer device-key' } }));
      expect(ok.status).toBe(200);
      await ok.body?.cancel();
    }
  });
});
