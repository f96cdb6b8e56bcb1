/**
 * One declaration per header: every header name the gateway speaks is spelled once, in src/protocol/headers.ts,
 * and everything in the Worker wing and the origin names it through that table. This scans the files' text
 * for a string literal of a known name anywhere else, so a second spelling (and the drift a rename would
 * leave behind) fails here, not in production.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLIENT_HINT, CLIENT_HINTS, errorHeaders, REQUEST_HEADER, RESPONSE_HEADER } from '../../src/protocol/headers.js';
import { ModelNotReady, OriginUnavailable, UnsupportedEncoding } from '../../src/errors.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TABLE = 'src/protocol/headers.ts';
const SCANNED = ['src', 'routes', 'origin', 'tail'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.tsx?$/.test(e.name) ? [relative(ROOT, path)] : [];
  });
}

const names = [...new Set([...Object.values(REQUEST_HEADER), ...Object.values(RESPONSE_HEADER), ...CLIENT_HINTS])];

/**
 * A quoted literal of `name`. Hyphenated names are unmistakable and matched in any case. A one-word Client Hint
 * (RTT, ECT, Downlink) is also the name of a device-plan query parameter and a dashboard form field (`ect`,
 * `rtt`, `downlink`, in lower case), so only its registered spelling counts as the header.
 */
function literal(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return name.includes('-') ? new RegExp(`(['"])${escaped}\\1`, 'gi') : new RegExp(`(['"])${escaped}\\1`, 'g');
}

function strayLiterals(files: string[]): string[] {
  return files.flatMap((file) => {
    const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
    return lines.flatMap((line, i) => names.filter((name) => literal(name).test(line)).map((name) => `${file}:${i + 1}: '${name}'`));
  });
}

describe('the header-name table', () => {
  it('is the only place in src/, routes/, origin/ and tail/ that spells a header name it declares', () => {
    const files = SCANNED.flatMap((dir) => sources(join(ROOT, dir))).filter((f) => f !== TABLE);
    expect(files.length).toBeGreaterThan(50);
    expect(strayLiterals(files)).toEqual([]);
  });

  it('catches a stray spelling, in any case, and leaves a query parameter named like a hint alone', () => {
    const found = (text: string) => names.filter((name) => literal(name).test(text));
    expect(found(`headers.get('X-Served-By')`)).toEqual(['x-served-by']);
    expect(found(`get("save-data")`)).toEqual(['Save-Data']);
    expect(found(`hints.push('RTT')`)).toEqual(['RTT']);
    expect(found(`param('rtt')`)).toEqual([]);
    expect(found(`'x-slo-strict must be 1 or 0'`)).toEqual([]);
  });

  it('declares each name once: a response header the gateway also reads is the request entry itself', () => {
    const declared = [...Object.values(REQUEST_HEADER), ...CLIENT_HINTS, ...Object.values(RESPONSE_HEADER).filter((n) => !(Object.values(REQUEST_HEADER) as string[]).includes(n))];
    expect(new Set(declared.map((n) => n.toLowerCase())).size).toBe(declared.length);
    const text = readFileSync(join(ROOT, TABLE), 'utf8');
    for (const name of names) expect(text.match(literal(name))?.length, name).toBe(1);
  });

  it('keeps the wire spellings the protocol and its clients expect', () => {
    expect(REQUEST_HEADER.inferenceHeaderContentLength).toBe('inference-header-content-length');
    expect(RESPONSE_HEADER.modelVariant).toBe(REQUEST_HEADER.modelVariant);
    expect(CLIENT_HINTS).toEqual(['RTT', 'ECT', 'Downlink', 'Save-Data', 'Device-Memory', 'Sec-CH-Device-Memory', 'Sec-CH-UA-Mobile']);
    expect(CLIENT_HINT.secChUaMobile).toBe('Sec-CH-UA-Mobile');
  });

  it('renders what an error says about retrying and decoding as its protocol headers', () => {
    expect(errorHeaders(new ModelNotReady('busy', 7))).toEqual({ 'retry-after': '7' });
    expect(errorHeaders(new OriginUnavailable('broken answer'))).toEqual({});
    expect(errorHeaders(new OriginUnavailable('refused', { retryAfterSeconds: 2 }))).toEqual({ 'retry-after': '2' });
    expect(errorHeaders(new UnsupportedEncoding('br', ['gzip', 'identity']))).toEqual({ 'accept-encoding': 'gzip, identity' });
  });
});
