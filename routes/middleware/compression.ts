/**
 * HTTP compression on the inference routes, as tritonclient uses it: a request body with
 * `Content-Encoding: gzip | deflate` is decoded before anything reads it, the body limit counting the
 * decoded bytes (so does `Inference-Header-Content-Length`, measured on them); an answer is compressed
 * when `Accept-Encoding` prefers gzip or deflate. Unknown codings are a 415, corrupt data a 400.
 *
 * Answers are compressed here, once, on both runtimes. workerd would gzip an uncompressed body marked
 * `Content-Encoding: gzip` by itself (`encodeBody: "automatic"`) but leaves `deflate` alone, and Node
 * (@hono/node-server, the origin) never compresses: so the body is compressed in JavaScript and workerd is
 * told not to touch it (`encodeBody: "manual"`, an init field Node ignores).
 */
import type { MiddlewareHandler } from 'hono';
import { compressStream, requestCoding, responseCoding } from '../../src/protocol/content-coding.js';
import { inflateBody } from '../../src/protocol/inflate.js';
import type { V2Env } from '../env.js';

export interface CompressionOptions {
  /** The largest request body once decoded (config `limits.max_body_bytes`). */
  maxBodyBytes: number;
}

/** Decodes compressed request bodies and compresses 200 answers for callers that accept it. */
export function compression({ maxBodyBytes }: CompressionOptions): MiddlewareHandler<V2Env> {
  return async function compression(c, next) {
    const coding = requestCoding(c.req.header('content-encoding'));
    const body = c.req.raw.body;
    if (coding && body) {
      const bytes = await inflateBody(body, coding, maxBodyBytes);
      const headers = new Headers(c.req.raw.headers);
      headers.delete('content-encoding');
      headers.set('content-length', String(bytes.byteLength));
      c.req.raw = new Request(c.req.raw, { headers, body: bytes });
    }
    const answer = responseCoding(c.req.header('accept-encoding'));
    await next();
    const res = c.res;
    if (!answer || res.status !== 200 || !res.body || res.headers.has('content-encoding')) return;
    // Edited in place as well: Hono's `c.res` setter copies the previous answer's headers onto the new one.
    res.headers.delete('content-length');
    res.headers.set('content-encoding', answer);
    res.headers.append('vary', 'accept-encoding');
    c.res = new Response(compressStream(res.body, answer), { status: res.status, headers: res.headers, encodeBody: 'manual' });
  };
}
