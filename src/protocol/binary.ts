/**
 * Triton's binary tensor data extension of the v2 protocol. A body may be a JSON header of
 * `Inference-Header-Content-Length` bytes followed by raw little-endian tensor bytes, one block per input
 * that declares `parameters.binary_data_size`, in input order. Outputs come back the same way when the
 * request asks (`parameters.binary_data_output: true`, or `binary_data: true` on a requested output).
 * A BYTES output (classification, classification.ts) is framed element by element: a 4-byte little-endian
 * length, then that many bytes (UTF-8).
 */
import { InvalidInput } from '../errors.js';
import { brief, decimalHeader } from '../lib/text.js';
import { DATATYPE_INFO } from './datatypes.js';
import type { TensorData } from './datatypes.js';
import type { BytesTensor } from './classification.js';
import type { Tensor } from './tensor.js';

export interface RequestBody {
  json: unknown;
  /** Bytes after the JSON header, when the binary extension is used. */
  binary?: Uint8Array;
  /** Size of the whole body, for the selector's network estimate. */
  bytes: number;
}

/**
 * Nesting of a JSON text (brackets outside strings), stopping as soon as it passes `limit`: hostile nesting
 * is refused after reading a few bytes, before anything parses it. The search jumps from bracket or quote to
 * the next (a native regex scan) and over each string to its closing quote, so a tensor's digits are not
 * visited one by one in JavaScript.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  const tokens = /[[\]{}"]/g;
  let depth = 0;
  for (let m = tokens.exec(text); m; m = tokens.exec(text)) {
    const c = text.charCodeAt(m.index);
    if (c === 34 /* " */) {
      const end = stringEnd(text, m.index + 1);
      if (end < 0) return false; // unterminated: JSON.parse names the error
      tokens.lastIndex = end;
    } else if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > limit) return true;
    } else depth--;
  }
  return false;
}

/** Index just past the quote closing a string whose content starts at `from`, or -1. */
function stringEnd(text: string, from: number): number {
  for (let at = from; ; ) {
    const q = text.indexOf('"', at);
    if (q < 0) return -1;
    let slashes = 0;
    while (q - slashes - 1 >= from && text.charCodeAt(q - slashes - 1) === 92 /* \\ */) slashes++;
    if (slashes % 2 === 0) return q + 1;
    at = q + 1;
  }
}

/** Created on first use (nothing at import time); decode() without `stream` keeps no state between calls. */
let utf8: TextDecoder | undefined;

/**
 * Splits a request body into its JSON header and binary tail; plain JSON when no header length is sent.
 * The header length must be plain decimal, and the JSON no deeper than `maxDepth`: hostile nesting is
 * refused before any parser or validator recurses into it.
 */
export function parseRequestBody(body: Uint8Array, headerLength: string | undefined, maxDepth = 64): RequestBody {
  let jsonBytes = body;
  let binary: Uint8Array | undefined;
  if (headerLength !== undefined) {
    const n = decimalHeader(headerLength.trim());
    if (n === undefined || !Number.isSafeInteger(n) || n > body.byteLength) {
      throw new InvalidInput(`Inference-Header-Content-Length must be a decimal integer from 0 to the body size (${body.byteLength}), got ${brief(headerLength, 40)}`);
    }
    jsonBytes = body.subarray(0, n);
    binary = body.subarray(n);
  }
  let text: string;
  let json: unknown;
  try {
    text = (utf8 ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: false })).decode(jsonBytes);
  } catch (e) {
    throw new InvalidInput(`malformed JSON body: ${(e as Error).message}`);
  }
  if (jsonDepthExceeds(text, maxDepth)) throw new InvalidInput(`JSON body nests deeper than ${maxDepth} levels (limits.max_json_depth)`);
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InvalidInput(`malformed JSON body: ${(e as Error).message.slice(0, 120)}`);
  }
  return { json, ...(binary ? { binary } : {}), bytes: body.byteLength };
}

/** Reads binary inputs in order from the tail of a request body. */
export class BinaryReader {
  private offset = 0;
  constructor(private readonly bytes: Uint8Array | undefined) {}

  /** The typed array for one input of `elements` elements declared as `size` bytes. */
  take(name: string, datatype: Tensor['datatype'], elements: number, size: unknown): TensorData {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw new InvalidInput(`input '${name}': binary_data_size must be a non-negative integer`);
    if (!this.bytes) throw new InvalidInput(`input '${name}' declares binary data but the request has no Inference-Header-Content-Length`);
    const info = DATATYPE_INFO[datatype];
    if (size !== elements * info.bytes) throw new InvalidInput(`input '${name}': binary_data_size ${size} does not match ${elements} ${datatype} elements (${elements * info.bytes} bytes)`);
    if (this.offset + size > this.bytes.byteLength) throw new InvalidInput(`input '${name}': binary data ends after ${this.bytes.byteLength - this.offset} of ${size} bytes`);
    // Copy into a fresh, aligned buffer: the tail's offset need not be a multiple of the element size.
    const copy = this.bytes.slice(this.offset, this.offset + size);
    this.offset += size;
    const out = info.create(elements);
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(copy);
    if (datatype === 'BOOL' && (out as Uint8Array).some((b) => b > 1)) throw new InvalidInput(`input '${name}': BOOL binary data must be bytes 0 or 1`);
    return out;
  }

  /** Fails when bytes are left over: the header and the tail disagree. */
  finish(): void {
    const left = (this.bytes?.byteLength ?? 0) - this.offset;
    if (left > 0) throw new InvalidInput(`binary data has ${left} bytes that no input claims`);
  }
}

/** Bytes of a tensor as sent in binary form. */
export function tensorBytes(t: Tensor | BytesTensor): Uint8Array {
  if (t.datatype === 'BYTES') return bytesElements(t.data);
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** BYTES elements in binary form: each one's UTF-8 length (uint32, little-endian), then its bytes. */
export function bytesElements(strings: readonly string[]): Uint8Array {
  const encoder = new TextEncoder();
  const encoded = strings.map((s) => encoder.encode(s));
  const out = new Uint8Array(encoded.reduce((n, e) => n + 4 + e.byteLength, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const e of encoded) {
    view.setUint32(at, e.byteLength, true);
    out.set(e, at + 4);
    at += 4 + e.byteLength;
  }
  return out;
}

/** Concatenates a JSON header and binary blocks into one body; returns it with the header length. */
export function joinBinaryBody(json: unknown, blocks: Uint8Array[]): { body: Uint8Array<ArrayBuffer>; headerLength: number } {
  const header = new TextEncoder().encode(JSON.stringify(json));
  const body = new Uint8Array(header.byteLength + blocks.reduce((n, b) => n + b.byteLength, 0));
  body.set(header, 0);
  let at = header.byteLength;
  for (const b of blocks) {
    body.set(b, at);
    at += b.byteLength;
  }
  return { body, headerLength: header.byteLength };
}
