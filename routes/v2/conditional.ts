/**
 * HTTP conditional and partial requests for artifacts (RFC 9110 §13 and §14): `If-None-Match` against a
 * strong ETag, and a single `Range` of bytes. Multiple ranges are answered with the whole file (200), which
 * RFC 9110 allows: a model file is fetched whole or resumed from one offset, never in pieces.
 */
import { RangeNotSatisfiable } from '../../src/errors.js';

/** Whether `If-None-Match` matches `etag` (weak comparison, as the RFC asks for this header; `*` matches any). */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

/** The bytes a Range asks for, as offset and length. */
export interface ResolvedRange {
  offset: number;
  length: number;
}

/**
 * The single range `header` asks of a `size`-byte file: undefined for the whole file (no Range, a malformed
 * or multi-range one, or an `If-Range` that no longer matches `etag`); 416 when no byte of it exists.
 */
export function byteRange(header: string | undefined, size: number, ifRange: string | undefined, etag: string): ResolvedRange | undefined {
  if (header === undefined || (ifRange !== undefined && ifRange.trim() !== etag)) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  // A malformed Range is ignored (RFC 9110 §14.2); so are several ranges, answered whole.
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const unsatisfiable = () => new RangeNotSatisfiable(`range ${header.trim().slice(0, 60)} is not satisfiable: the file has ${size} bytes`, size);
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    const length = Math.min(suffix, size);
    return { offset: size - length, length };
  }
  const first = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < first) return undefined;
  if (first >= size) throw unsatisfiable();
  return { offset: first, length: last - first + 1 };
}
