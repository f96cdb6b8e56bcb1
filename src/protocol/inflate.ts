/**
 * Decoding a compressed request body as it arrives, never holding more than the body limit: a gzip bomb
 * (200 MiB of zeros is 200 KiB of gzip) is a 413 after about limit / 1000 compressed bytes.
 *
 * DecompressionStream alone is not enough in workerd: it has no backpressure, so each write is inflated in
 * full into the stream's buffer whether or not anyone reads (measured, workerd 1.20260815: piping that bomb
 * through it left the whole 200 MiB buffered while the reader had taken 16 MiB). So the compressed bytes go
 * in slices of 1 KiB, which deflate expands at most 1032-fold (1 MiB), and the next slice is written only
 * once the reader has caught up; workerd's BYOB reads of 2 MiB drain a slice's output in one read. Node's
 * DecompressionStream (zlib) holds a write until its output is read, which the same loop waits for.
 * On corrupt input workerd also rejects a promise of its own that no caller can handle (logged as uncaught,
 * then handled: cloudflare/workerd#6061); the request still gets its 400.
 */
import { InvalidInput, PayloadTooLarge } from '../errors.js';
import type { ContentCoding } from './content-coding.js';

const SLICE = 1024;
const READ = 2 * 1024 * 1024;

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

/** A promise that never rejects: races over it leave no unhandled rejection behind. */
function settle<T>(p: Promise<T>): Promise<Outcome<T>> {
  return p.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * The DecompressionStream format of a body from its first bytes: gzip by its magic, zlib by its header
 * check; under `deflate`, anything else is taken as raw deflate (what some clients mean by it).
 */
function formatOf(head: Uint8Array, coding: ContentCoding): 'gzip' | 'deflate' | 'deflate-raw' {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  const zlib = head.length >= 2 && (head[0]! & 0x0f) === 8 && ((head[0]! << 8) | head[1]!) % 31 === 0;
  if (zlib) return 'deflate';
  if (coding === 'deflate') return 'deflate-raw';
  throw new InvalidInput('request body is not gzip data (Content-Encoding: gzip): it does not start with the gzip magic bytes 1f 8b');
}

/** Output bytes, grown by doubling up to the limit, never past it. */
class Sink {
  private buffer = new Uint8Array(0);
  size = 0;
  constructor(private readonly limit: number) {}

  add(chunk: Uint8Array): void {
    const size = this.size + chunk.byteLength;
    if (size > this.limit) throw new PayloadTooLarge(`request body exceeds the limit of ${this.limit} bytes once decompressed`);
    if (size > this.buffer.byteLength) {
      const grown = new Uint8Array(Math.min(this.limit, Math.max(size, 64 * 1024, this.buffer.byteLength * 2)));
      grown.set(this.buffer.subarray(0, this.size));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.size);
    this.size = size;
  }

  bytes(): Uint8Array<ArrayBuffer> {
    return this.buffer.slice(0, this.size);
  }
}

/**
 * The decompressed bytes of `body` (in `coding`). 413 as soon as they pass `maxBytes` (or the compressed
 * bytes do); 400 naming the coding when the data is corrupt or truncated. Errors reading `body` itself
 * (the client went away) pass through as they are.
 */
export async function inflateBody(body: ReadableStream<Uint8Array>, coding: ContentCoding, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const source = body.getReader();
  let compressed = 0;
  const nextChunk = async (): Promise<Uint8Array | undefined> => {
    const { done, value } = await source.read();
    if (done) return undefined;
    compressed += value.byteLength;
    if (compressed > maxBytes) throw new PayloadTooLarge(`request body exceeds the limit of ${maxBytes} bytes`);
    return value;
  };
  try {
    // The format is told by the first two bytes, which may come in chunks of one.
    let head = await nextChunk();
    for (let more = head; head && head.byteLength < 2 && more; ) {
      more = await nextChunk();
      if (more) head = Uint8Array.from([...head, ...more]);
    }
    if (!head?.byteLength) throw new InvalidInput(`request body is empty but declares Content-Encoding: ${coding}`);
    return await pump(head, nextChunk, new DecompressionStream(formatOf(head, coding)), coding, maxBytes);
  } finally {
    void settle(source.cancel());
  }
}

/** Feeds the compressed chunks through `stream` a slice at a time, reading its output as it comes. */
async function pump(first: Uint8Array, nextChunk: () => Promise<Uint8Array | undefined>, stream: DecompressionStream, coding: ContentCoding, maxBytes: number): Promise<Uint8Array<ArrayBuffer>> {
  const sink = new Sink(maxBytes);
  const writer = stream.writable.getWriter();
  // Corrupt data rejects these too; they are observed through the reads and writes, never awaited.
  void settle(writer.closed);
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = stream.readable.getReader({ mode: 'byob' });
  } catch {
    // Node's DecompressionStream is not a byte stream: default reads, and zlib's own backpressure.
  }
  const reader = byob ?? stream.readable.getReader();
  void settle(reader.closed);
  const read = (into?: ArrayBufferLike) => settle(byob ? byob.read(new Uint8Array(into ?? new ArrayBuffer(READ), 0, READ)) : (reader as ReadableStreamDefaultReader<Uint8Array>).read());
  const corrupt = (error: unknown) => new InvalidInput(`request body is not valid ${coding} data (Content-Encoding: ${coding}): ${(error as Error)?.message ?? String(error)}`);
  let pending = read();
  let ended = false;
  /** Takes one read's bytes and asks for the next (into the same buffer); false once the output has ended. */
  const take = (r: Outcome<ReadableStreamReadResult<Uint8Array>>): boolean => {
    if (!r.ok) throw corrupt(r.error);
    if (r.value.done) {
      ended = true;
      return false;
    }
    sink.add(r.value.value);
    pending = read(r.value.value.buffer);
    return true;
  };
  try {
    const wroteAll = Symbol('wrote');
    for (let chunk: Uint8Array | undefined = first; chunk && !ended; chunk = await nextChunk()) {
      for (let at = 0; at < chunk.byteLength && !ended; at += SLICE) {
        const wrote = settle(writer.write(chunk.subarray(at, at + SLICE)));
        // Read until this slice is written: in workerd its output is then in the read already taken.
        for (;;) {
          const r = await Promise.race([pending, wrote.then((w) => (w.ok ? wroteAll : w))]);
          if (r === wroteAll) break;
          if (!r.ok) throw corrupt(r.error);
          if (!take(r as Outcome<ReadableStreamReadResult<Uint8Array>>)) break;
        }
      }
    }
    const closed = ended ? undefined : settle(writer.close());
    while (!ended && take(await pending));
    const close = await closed;
    if (close && !close.ok) throw corrupt(close.error);
    return sink.bytes();
  } finally {
    void settle(reader.cancel());
    void settle(writer.abort());
  }
}
