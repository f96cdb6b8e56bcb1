/**
 * Variant artifacts inside workerd (issue 13): the real mnist files from the bundled assets, and from R2 when
 * the assets lack them; strong ETags from the manifest's sha256, conditional and range requests, HEAD, and
 * the cache policy of versioned and latest URLs.
 */
import { createExecutionContext, env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import mnist from '../../models/mnist/manifest.json';
import { sha256Hex } from '../../src/lib/sha256.js';
import { buildGateway } from '../../src/worker.js';

const INT8 = mnist.variants.int8;
const VERSIONED = '/v2/models/mnist/versions/1/variants/int8/artifact';
const LATEST = '/v2/models/mnist/variants/int8/artifact';
const ETAG = `"${INT8.sha256}"`;

async function get(path: string, headers: Record<string, string> = {}, method = 'GET', fetcher: (req: Request) => Promise<Response> = (r) => SELF.fetch(r)) {
  const res = await fetcher(new Request(`http://gateway.test${path}`, { method, headers }));
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) };
}

const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));

let whole: Uint8Array | undefined;
async function file(): Promise<Uint8Array> {
  return (whole ??= (await get(VERSIONED)).bytes);
}

describe('variant artifacts', () => {
  it('serves the bytes whose sha256 is the manifest\'s, with a strong ETag and an immutable versioned URL', async () => {
    const res = await get(VERSIONED);
    expect(res.status).toBe(200);
    expect(res.bytes.byteLength).toBe(INT8.bytes);
    expect(await sha256Hex(res.bytes)).toBe(INT8.sha256);
    expect(res.headers.get('etag')).toBe(ETAG);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(res.headers.get('content-length')).toBe(String(INT8.bytes));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('vary') ?? '').not.toMatch(/ECT/);
  });

  it('keeps CORS\'s Vary: Origin while dropping the client hints from Vary', async () => {
    const e = { ...env, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as object), auth: { cors_origins: ['https://app.example'] } } } as Env;
    const gw = buildGateway(e);
    const res = await get(VERSIONED, { origin: 'https://app.example' }, 'GET', (req) => Promise.resolve(gw.fetch(req, e, createExecutionContext())));
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('keeps key-protected files out of shared caches: private, and Vary on the credential headers', async () => {
    const e = { ...env, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as object), auth: { api_keys_sha256: [await sha256Hex('device-key')], cors_origins: ['https://app.example'] } } } as Env;
    const gw = buildGateway(e);
    const fetcher = (req: Request) => Promise.resolve(gw.fetch(req, e, createExecutionContext()));
    const key = { authorization: 'Bearer device-key', origin: 'https://app.example' };
    const cases: [string, Record<string, string>, number, string][] = [
      [VERSIONED, key, 200, 'private, max-age=31536000, immutable'],
      [VERSIONED, { ...key, 'if-none-match': ETAG }, 304, 'private, max-age=31536000, immutable'],
      [LATEST, key, 200, 'private, no-cache'],
    ];
    for (const [path, headers, status, cacheControl] of cases) {
      const res = await get(path, headers, 'GET', fetcher);
      expect(res.status, path).toBe(status);
      expect(res.headers.get('cache-control'), path).toBe(cacheControl);
      expect(res.headers.get('vary')?.split(', ').sort(), path).toEqual(['Authorization', 'Origin', 'x-api-key']);
    }
  });

  it('refuses (403, with the reason) a variant the device policy does not list, or a file over its download cap', async () => {
    const gatewayOf = (device: Record<string, unknown>) => {
      const e = { ...env, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as object), models: { mnist: { device } } } } as Env;
      const gw = buildGateway(e);
      return (req: Request) => Promise.resolve(gw.fetch(req, e, createExecutionContext()));
    };
    // int8w is not among the default device.variants (int8, fp16, fp32).
    const unlisted = await get('/v2/models/mnist/versions/1/variants/int8w/artifact');
    expect(unlisted.status).toBe(403);
    expect(json(unlisted.bytes).error).toBe("variant 'int8w' of model 'mnist' may not go to devices: the device policy lists int8, fp16, fp32 (device.variants)");
    expect((await get('/v2/models/mnist/versions/1/variants/int8w/artifact', {}, 'GET', gatewayOf({ variants: ['int8w'] }))).status).toBe(200);
    const capped = gatewayOf({ max_download_bytes: 200_000 });
    const big = await get('/v2/models/mnist/versions/1/variants/fp32/artifact', {}, 'HEAD', capped);
    expect(big.status).toBe(403);
    const bigGet = await get('/v2/models/mnist/variants/fp32/artifact', {}, 'GET', capped);
    expect(bigGet.status).toBe(403);
    expect(json(bigGet.bytes).error).toBe('the file of mnist/fp32 has 438300 bytes, over the device download cap of 200000 (device.max_download_bytes)');
    expect((await get(VERSIONED, {}, 'GET', capped)).status).toBe(200);
  });

  it('serves the latest version at the unversioned URL, revalidated by ETag', async () => {
    const res = await get(LATEST);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('etag')).toBe(ETAG);
    expect(res.bytes).toEqual(await file());
  });

  it('answers 304 without a body when If-None-Match matches: the tag, a list holding it, its weak form or *', async () => {
    for (const tag of [ETAG, `"nope", ${ETAG}`, `W/${ETAG}`, '*']) {
      for (const path of [VERSIONED, LATEST]) {
        const res = await get(path, { 'if-none-match': tag });
        expect(res.status, `${path} ${tag}`).toBe(304);
        expect(res.bytes.byteLength).toBe(0);
        expect(res.headers.get('etag')).toBe(ETAG);
      }
    }
    expect((await get(VERSIONED, { 'if-none-match': '"0000"' })).status).toBe(200);
  });

  it('answers one range with 206 and Content-Range: closed, open-ended and suffix', async () => {
    const all = await file();
    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=100000-', 100000, INT8.bytes - 1],
      ['bytes=-1000', INT8.bytes - 1000, INT8.bytes - 1],
      ['bytes=113000-999999999', 113000, INT8.bytes - 1],
    ];
    for (const [range, first, last] of cases) {
      const res = await get(VERSIONED, { range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(`bytes ${first}-${last}/${INT8.bytes}`);
      expect(res.headers.get('content-length')).toBe(String(last - first + 1));
      expect(res.bytes).toEqual(all.slice(first, last + 1));
    }
  });

  it('answers 416 with Content-Range: bytes */size when no byte of the range exists', async () => {
    for (const range of [`bytes=${INT8.bytes}-`, 'bytes=200000-200100', 'bytes=-0']) {
      const res = await get(VERSIONED, { range });
      expect(res.status, range).toBe(416);
      expect(res.headers.get('content-range')).toBe(`bytes */${INT8.bytes}`);
      expect(json(res.bytes).error).toMatch(/not satisfiable: the file has 113034 bytes/);
    }
  });

  it('answers several ranges, a malformed one or a stale If-Range with the whole file (200)', async () => {
    for (const headers of [{ range: 'bytes=0-1,5-9' } as Record<string, string>, { range: 'bits=0-1' }, { range: 'bytes=0-1', 'if-range': '"old"' }]) {
      const res = await get(VERSIONED, headers);
      expect(res.status, JSON.stringify(headers)).toBe(200);
      expect(res.bytes.byteLength).toBe(INT8.bytes);
    }
  });

  it('answers HEAD with the headers and no body', async () => {
    const res = await get(VERSIONED, {}, 'HEAD');
    expect(res.status).toBe(200);
    expect(res.bytes.byteLength).toBe(0);
    expect(res.headers.get('content-length')).toBe(String(INT8.bytes));
    expect(res.headers.get('etag')).toBe(ETAG);
    const part = await get(VERSIONED, { range: 'bytes=10-19' }, 'HEAD');
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${INT8.bytes}`);
  });

  it('answers 404 JSON for an unknown model, version or variant, and for a variant only at the origin', async () => {
    const cases: [string, RegExp][] = [
      ['/v2/models/nope/variants/int8/artifact', /unknown model 'nope'/],
      ['/v2/models/mnist/versions/2/variants/int8/artifact', /unknown version '2' of model 'mnist'/],
      ['/v2/models/mnist/variants/fp8/artifact', /model 'mnist' has no variant 'fp8'; it has fp32, fp16, int8, int8w/],
      ['/v2/models/transformer-large/variants/fp32/artifact', /variant 'fp32' of model 'transformer-large' is served only at the origin/],
    ];
    for (const [path, error] of cases) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(json(res.bytes).error).toMatch(error);
    }
  });

  it('reads from R2 when the assets do not hold the file, ranges included', async () => {
    const all = await file();
    await env.MODELS.put('mnist/int8.onnx', all);
    const noAssets = { fetch: async () => new Response('not found', { status: 404 }) } as unknown as Fetcher;
    const e = { ...env, ASSETS: noAssets } as Env;
    const gw = buildGateway(e);
    const fetcher = (req: Request) => Promise.resolve(gw.fetch(req, e, createExecutionContext()));
    try {
      const res = await get(VERSIONED, {}, 'GET', fetcher);
      expect(res.status).toBe(200);
      expect(await sha256Hex(res.bytes)).toBe(INT8.sha256);
      const part = await get(VERSIONED, { range: 'bytes=-16' }, 'GET', fetcher);
      expect(part.status).toBe(206);
      expect(part.bytes).toEqual(all.slice(-16));
    } finally {
      await env.MODELS.delete('mnist/int8.onnx');
    }
  });
});
