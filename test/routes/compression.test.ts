/**
 * HTTP compression of inference bodies through the gateway in workerd, as tritonclient sends them
 * (`request_compression_algorithm`, `response_compression_algorithm`): gzip and zlib-wrapped deflate
 * request bodies, JSON and binary framing, infer like plain ones; a gzip bomb is a quick 413; unknown
 * codings a 415 and corrupt data a 400, all `{"error"}`; answers are compressed exactly once (raw bytes
 * read with `encodeResponseBody: "manual"`, so workerd's fetch does not decode them for the test).
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { PayloadTooLarge } from '../../src/errors.js';
import { inflateBody } from '../../src/protocol/inflate.js';
import { classes, digits, mnistBody } from '../helpers.js';

const URL = 'http://gateway.test/v2/models/mnist/infer';
const PIN = { 'x-model-variant': 'fp32', 'x-slo-ms': '10000' };
const HEADER = 'inference-header-content-length';

async function squeeze(bytes: Uint8Array, format: 'gzip' | 'deflate' | 'deflate-raw'): Promise<Uint8Array> {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(new CompressionStream(format))).arrayBuffer());
}

/** 200 MiB of zeros, gzipped (about 200 KiB), written a MiB at a time. */
async function gzipBomb(): Promise<Uint8Array> {
  const zeros = new Uint8Array(1024 * 1024);
  const gz = new CompressionStream('gzip');
  const collected = new Response(gz.readable).arrayBuffer();
  const writer = gz.writable.getWriter();
  for (let i = 0; i < 200; i++) await writer.write(zeros);
  await writer.close();
  return new Uint8Array(await collected);
}

function send(body: BodyInit, headers: Record<string, string>, init: RequestInit = {}): Promise<Response> {
  return SELF.fetch(URL, { method: 'POST', body, headers: { 'content-type': 'application/json', ...PIN, ...headers }, ...init });
}

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe('compressed request bodies', () => {
  it.each([['gzip'], ['deflate']] as const)('infers a %s body like the plain one', async (coding) => {
    const body = await squeeze(json(mnistBody(0, 4)), coding);
    const res = await send(body, { 'content-encoding': coding });
    const answer = (await res.json()) as any;
    expect(res.status, JSON.stringify(answer)).toBe(200);
    expect(classes(answer.outputs[0])).toEqual(digits.labels.slice(0, 4));
  });

  it('infers a raw deflate body labelled deflate', async () => {
    const res = await send(await squeeze(json(mnistBody(4, 1)), 'deflate-raw'), { 'content-encoding': 'deflate' });
    expect(res.status).toBe(200);
    expect(classes(((await res.json()) as any).outputs[0])).toEqual([digits.labels[4]]);
  });

  it('reads binary framing from a gzip body, Inference-Header-Content-Length counting decoded bytes', async () => {
    const header = json({ inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 784], parameters: { binary_data_size: 2 * 784 * 4 } }] });
    const pixels = new Uint8Array(Float32Array.from(digits.inputs.slice(0, 2).flat()).buffer);
    const plain = new Uint8Array(header.byteLength + pixels.byteLength);
    plain.set(header);
    plain.set(pixels, header.byteLength);
    const res = await send(await squeeze(plain, 'gzip'), { 'content-encoding': 'gzip', 'content-type': 'application/octet-stream', [HEADER]: String(header.byteLength) });
    const answer = (await res.json()) as any;
    expect(res.status, JSON.stringify(answer)).toBe(200);
    expect(classes(answer.outputs[0])).toEqual(digits.labels.slice(0, 2));
  });

  it('answers a 200 MiB gzip bomb with a 413 quickly', async () => {
    const bomb = await gzipBomb();
    expect(bomb.byteLength).toBeLessThan(400 * 1024);
    const t0 = Date.now();
    const res = await send(bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'request body exceeds the limit of 16777216 bytes once decompressed' });
    expect(Date.now() - t0).toBeLessThan(3_000);
  });

  it('stops reading a bomb within its first chunks in workerd, whose DecompressionStream has no backpressure', async () => {
    const bomb = await gzipBomb();
    let pulled = 0;
    let at = 0;
    const body = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          if (at >= bomb.byteLength) return c.close();
          const chunk = bomb.slice(at, at + 64 * 1024);
          at += chunk.byteLength;
          pulled += chunk.byteLength;
          c.enqueue(chunk);
        },
      },
      { highWaterMark: 0 },
    );
    await expect(inflateBody(body, 'gzip', 16 * 1024 * 1024)).rejects.toThrow(PayloadTooLarge);
    // 16 MiB of output is ~16 KiB of this bomb; piped whole, all ~200 KiB would have been inflated.
    expect(pulled).toBeLessThanOrEqual(2 * 64 * 1024);
  });

  it.each([['br'], ['compress'], ['x-foo']])('answers Content-Encoding %s with a 415 naming it and listing gzip and deflate', async (coding) => {
    const res = await send(json(mnistBody(0, 1)), { 'content-encoding': coding });
    expect(res.status).toBe(415);
    expect(res.headers.get('accept-encoding')).toBe('gzip, deflate, identity');
    const { error } = (await res.json()) as { error: string };
    expect(error).toContain(`"${coding}"`);
    expect(error).toMatch(/gzip, deflate/);
  });

  it('takes Content-Encoding: identity as a plain body', async () => {
    expect((await send(json(mnistBody(0, 1)), { 'content-encoding': 'identity' })).status).toBe(200);
  });

  it('answers corrupt gzip with a 400 naming the problem, not malformed JSON', async () => {
    const bad = await squeeze(json(mnistBody(0, 2)), 'gzip');
    bad.fill(0xff, 10, 200);
    const res = await send(bad, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: string };
    expect(error).toMatch(/^request body is not valid gzip data \(Content-Encoding: gzip\)/);
  });

  it('answers a plain body labelled gzip with a 400 saying it is not gzip', async () => {
    const res = await send(json(mnistBody(0, 1)), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/not gzip data/);
  });
});

describe('answers from the Worker', () => {
  // A Worker sees the platform's Accept-Encoding (`br, gzip` for every request, also in wrangler dev), not the
  // client's, so it leaves compressing answers to Cloudflare's edge; the origin compresses on Node
  // (test/origin/compression.e2e.test.ts).
  it.each([['gzip'], ['deflate'], ['br, gzip']] as const)('leaves the answer plain when Accept-Encoding says %s', async (coding) => {
    const res = await send(JSON.stringify(mnistBody(0, 2)), { 'accept-encoding': coding }, { encodeResponseBody: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBeNull();
    const answer = JSON.parse(new TextDecoder().decode(new Uint8Array(await res.arrayBuffer())));
    expect(classes(answer.outputs[0])).toEqual(digits.labels.slice(0, 2));
  });

  it('answers a compressed binary request in binary, uncompressed, Inference-Header-Content-Length counting its bytes', async () => {
    const body = mnistBody(0, 1, { parameters: { binary_data_output: true } });
    const res = await send(await squeeze(json(body), 'gzip'), { 'content-encoding': 'gzip', 'accept-encoding': 'gzip' }, { encodeResponseBody: 'manual' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-encoding')).toBeNull();
    const plain = new Uint8Array(await res.arrayBuffer());
    const n = Number(res.headers.get(HEADER));
    expect(JSON.parse(new TextDecoder().decode(plain.subarray(0, n))).outputs[0].parameters.binary_data_size).toBe(40);
    expect(plain.byteLength - n).toBe(40);
  });
});
