/**
 * HTTP compression on the inference routes, as tritonclient uses it: a request body with
 * `Content-Encoding: gzip | deflate` is decoded before anything reads it, the body limit counting the
 * decoded bytes (so does `Inference-Header-Content-Length`, measured on them); an answer is compressed
 * when `Accept-Encoding` prefers gzip or deflate. Unknown codings are a 415, corrupt data a 400.
 *
 * Answers are compressed here only where the caller's Accept-Encoding is what the app sees (`compressAnswers`:
 * the origin on Node). A Worker never sees it: Cloudflare (and `wrangler dev`) hand every request to the
 * Worker with `Accept-Encoding: br, gzip`, whatever the client sent (measured: a curl that asked for nothing,
 * or for identity, arrives so), so a Worker that compressed by it would send gzip to clients that cannot read
 * it; Cloudflare's edge compresses answers for the clients that ask. Where answers are compressed, it is
 * done once, in JavaScript (Node never compresses; `encodeBody: "manual"` keeps workerd from doing it again).
 */
import type { MiddlewareHandler } from 'hono';
import { compressStream, requestCoding, responseCoding } from '../../src/protocol/content-coding.js';
import { REQUEST_HEADER, RESPONSE_HEADER } from '../../src/protocol/headers.js';
import { inflateBody } from '../../src/protocol/inflate.js';
import type { V2Env } from '../env.js';

export interface CompressionOptions {
  /** The largest request body once decoded (config `limits.max_body_bytes`). */
  maxBodyBytes: number;
  /** Compress answers by the request's Accept-Encoding: only where it is the client's own (not in a Worker). */
  compressAnswers?: boolean;
}

/** Decodes compressed request bodies and compresses 200 answers for callers that accept it. */
export function compression({ maxBodyBytes, compressAnswers = false }: CompressionOptions): MiddlewareHandler<V2Env> {
  return async function compression(c, next) {
    const coding = requestCoding(c.req.header(REQUEST_HEADER.contentEncoding));
    const body = c.req.raw.body;
    if (coding && body) {
      const bytes = await inflateBody(body, coding, maxBodyBytes);
      const headers = new Headers(c.req.raw.headers);
      headers.delete(REQUEST_HEADER.contentEncoding);
      headers.set('content-length', String(bytes.byteLength));
      c.req.raw = new Request(c.req.raw, { headers, body: bytes });
    }
    const answer = compressAnswers ? responseCoding(c.req.header(REQUEST_HEADER.acceptEncoding)) : undefined;
    await next();
    const res = c.res;
    if (!answer || res.status !== 200 || !res.body || res.headers.has(RESPONSE_HEADER.contentEncoding)) return;
    // Edited in place as well: Hono's `c.res` setter copies the previous answer's headers onto the new one.
    res.headers.delete('content-length');
    res.headers.set(RESPONSE_HEADER.contentEncoding, answer);
    res.headers.append('vary', REQUEST_HEADER.acceptEncoding);
    c.res = new Response(compressStream(res.body, answer), { status: res.status, headers: res.headers, encodeBody: 'manual' });
  };
}
