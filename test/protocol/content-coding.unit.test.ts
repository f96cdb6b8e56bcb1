/**
 * HTTP compression of inference bodies, the pure parts: which coding a request body is in and which one an
 * answer gets (Triton's Accept-Encoding rule), and decoding a compressed body within the size limit: gzip,
 * zlib and raw deflate decode; a gzip bomb is a 413 after reading a sliver of it; corrupt, truncated or
 * mislabelled data is a 400 naming the coding.
 */
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InvalidInput, PayloadTooLarge, UnsupportedEncoding } from '../../src/errors.js';
import { requestCoding, responseCoding } from '../../src/protocol/content-coding.js';
import { errorHeaders } from '../../src/protocol/headers.js';
import { inflateBody } from '../../src/protocol/inflate.js';

const MiB = 1024 * 1024;

/** `bytes` as a request body arriving in chunks of `size`; `pulled` counts what the reader took. */
function streamOf(bytes: Uint8Array, size = 16 * 1024) {
  const seen = { pulled: 0 };
  let at = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(c) {
        if (at >= bytes.byteLength) return c.close();
        const chunk = bytes.slice(at, at + size);
        at += chunk.byteLength;
        seen.pulled += chunk.byteLength;
        c.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, seen };
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const JSON_BODY = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] });

describe('the coding of a request body', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['identity', undefined],
    ['gzip', 'gzip'],
    [' GZIP ', 'gzip'],
    ['x-gzip', 'gzip'],
    ['deflate', 'deflate'],
    ['identity, deflate', 'deflate'],
  ])('reads Content-Encoding %j as %j', (header, coding) => {
    expect(requestCoding(header)).toBe(coding);
  });

  it.each([['br'], ['compress'], ['x-foo'], ['gzip, deflate']])('refuses %j with a 415 naming it and listing the supported codings', (header) => {
    let error: unknown;
    try {
      requestCoding(header);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UnsupportedEncoding);
    expect((error as UnsupportedEncoding).status).toBe(415);
    expect((error as Error).message).toContain(JSON.stringify(header));
    expect((error as Error).message).toMatch(/supported: gzip, deflate, identity/);
    expect(errorHeaders(error as UnsupportedEncoding)).toEqual({ 'accept-encoding': 'gzip, deflate, identity' });
  });
});

describe('the coding of an answer (Triton: the highest q among identity, gzip, deflate)', () => {
  it.each([
    [undefined, undefined],
    ['gzip', 'gzip'],
    ['deflate', 'deflate'],
    ['br', undefined],
    ['gzip, deflate', 'gzip'],
    ['deflate, gzip', 'deflate'],
    ['gzip;q=0.5, deflate', 'deflate'],
    ['gzip; q=0.9, identity;q=0.95', undefined],
    ['gzip;q=0', undefined],
    ['br, gzip;q=0.1', 'gzip'],
    ['*', undefined],
  ])('answers Accept-Encoding %j with %j', (header, coding) => {
    expect(responseCoding(header)).toBe(coding);
  });
});

describe('decoding a compressed request body', () => {
  const input = new TextEncoder().encode(JSON_BODY);

  it.each([
    ['gzip', gzipSync(input), 'gzip'],
    ['zlib-wrapped deflate (what tritonclient sends)', deflateSync(input), 'deflate'],
    ['raw deflate', deflateRawSync(input), 'deflate'],
    ['zlib data labelled gzip', deflateSync(input), 'gzip'],
  ] as const)('decodes %s', async (_, bytes, coding) => {
    expect(text(await inflateBody(streamOf(bytes, 7).stream, coding, MiB))).toBe(JSON_BODY);
  });

  it('decodes a large body that arrives in many chunks', async () => {
    const big = new Uint8Array(3 * MiB).map((_, i) => (i * 7919) % 251);
    const out = await inflateBody(streamOf(gzipSync(big)).stream, 'gzip', 4 * MiB);
    expect(out.byteLength).toBe(big.byteLength);
    expect(Buffer.from(out).equals(Buffer.from(big))).toBe(true);
  });

  it('answers a 200 MiB gzip bomb with a 413 after reading a sliver of it', async () => {
    const bomb = gzipSync(Buffer.alloc(200 * MiB));
    const { stream, seen } = streamOf(bomb, 64 * 1024);
    const t0 = performance.now();
    const error = await inflateBody(stream, 'gzip', 16 * MiB).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLarge);
    expect((error as Error).message).toBe(`request body exceeds the limit of ${16 * MiB} bytes once decompressed`);
    // 16 MiB of output is ~16 KiB of this bomb: the reader stopped within its first chunks, not at 200 KiB.
    expect(seen.pulled).toBeLessThanOrEqual(2 * 64 * 1024);
    expect(bomb.byteLength).toBeGreaterThan(150 * 1024);
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('answers a compressed body larger than the limit with a 413', async () => {
    const noise = gzipSync(Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 2654435761) >>> 24)));
    await expect(inflateBody(streamOf(noise).stream, 'gzip', 100_000)).rejects.toThrow(PayloadTooLarge);
  });

  it('answers corrupt gzip with a 400 naming the coding', async () => {
    const bad = gzipSync(input);
    bad.fill(0xff, 12, 40);
    const error = await inflateBody(streamOf(bad).stream, 'gzip', MiB).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInput);
    expect((error as Error).message).toMatch(/^request body is not valid gzip data \(Content-Encoding: gzip\): /);
  });

  it('answers truncated gzip with a 400', async () => {
    const cut = gzipSync(input).subarray(0, 30);
    await expect(inflateBody(streamOf(cut).stream, 'gzip', MiB)).rejects.toThrow(/not valid gzip data/);
  });

  it('answers a plain JSON body labelled gzip with a 400 saying it is not gzip', async () => {
    await expect(inflateBody(streamOf(input).stream, 'gzip', MiB)).rejects.toThrow(/not gzip data .* magic bytes 1f 8b/);
  });

  it('answers an empty body labelled deflate with a 400', async () => {
    await expect(inflateBody(streamOf(new Uint8Array(0)).stream, 'deflate', MiB)).rejects.toThrow(/empty but declares Content-Encoding: deflate/);
  });

  it('lets a failure of the body itself (the client went away) through as it is', async () => {
    const gone = new ReadableStream<Uint8Array>({ pull: (c) => c.error(new Error('socket hang up')) });
    await expect(inflateBody(gone, 'gzip', MiB)).rejects.toThrow(/^socket hang up$/);
  });
});
