/**
 * HTTP compression of inference bodies, as Triton's HTTP frontend and tritonclient speak it
 * (`request_compression_algorithm`, `response_compression_algorithm`): a request body may come with
 * `Content-Encoding: gzip` or `deflate` (zlib-wrapped: tritonclient sends `zlib.compress`), and an answer
 * is compressed when `Accept-Encoding` prefers gzip or deflate to identity. Which coding, both ways, is
 * decided here; decoding a body within the size limit is inflate.ts.
 */
import { UnsupportedEncoding } from '../errors.js';
import { brief } from '../lib/text.js';

export const CONTENT_CODINGS = ['gzip', 'deflate'] as const;
export type ContentCoding = (typeof CONTENT_CODINGS)[number];

const ACCEPTED = [...CONTENT_CODINGS, 'identity'];

/**
 * The coding of a request body from its `Content-Encoding`: undefined for none (absent, empty, identity).
 * Anything else, stacked codings included, is a 415 naming it and listing what is accepted.
 */
export function requestCoding(header: string | undefined): ContentCoding | undefined {
  const codings = (header ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length === 0) return undefined;
  const [coding] = codings;
  // x-gzip: the old name RFC 9110 says to treat as gzip.
  const known = coding === 'x-gzip' ? 'gzip' : CONTENT_CODINGS.find((c) => c === coding);
  if (codings.length === 1 && known) return known;
  throw new UnsupportedEncoding(`unsupported Content-Encoding ${brief(header, 60)}; supported: ${ACCEPTED.join(', ')}`, ACCEPTED);
}

/**
 * The coding of an answer from the request's `Accept-Encoding`, by Triton's rule: the highest `q` among
 * identity, gzip and deflate, the first listed on a tie; `q=0` and codings it cannot make are never chosen.
 * Undefined: send it as it is.
 */
export function responseCoding(header: string | undefined): ContentCoding | undefined {
  if (!header) return undefined;
  let best: string = 'identity';
  let weight = 0;
  for (const entry of header.split(',')) {
    const [name = '', ...params] = entry.split(';').map((p) => p.trim());
    const coding = name.toLowerCase();
    if (!ACCEPTED.includes(coding)) continue;
    const q = params.map((p) => /^q\s*=\s*([0-9.]+)$/i.exec(p)?.[1]).find((v) => v !== undefined);
    const w = q === undefined ? 1 : Number(q);
    if (!(w > weight)) continue;
    best = coding;
    weight = w;
  }
  return best === 'identity' ? undefined : (best as ContentCoding);
}

/** A body compressed with `coding` as it streams (CompressionStream's deflate is zlib-wrapped, as HTTP's is). */
export function compressStream(body: ReadableStream<Uint8Array>, coding: ContentCoding): ReadableStream<Uint8Array> {
  return body.pipeThrough(new CompressionStream(coding));
}
