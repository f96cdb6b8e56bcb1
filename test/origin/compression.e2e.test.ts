/**
 * The Triton client features on the Node origin (@hono/node-server, onnxruntime-node), where nothing
 * compresses for us: gzip and deflate request bodies, a gzip bomb refused quickly, 415 and 400 for unknown
 * codings and corrupt data, answers compressed exactly once when Accept-Encoding asks (read as raw bytes
 * with node:http, which never decodes), and classification served by the origin itself.
 */
import { request } from 'node:http';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { deflateSync, gunzipSync, gzipSync, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin, type RunningOrigin } from '../../origin/server.js';
import samples from '../../models/mnist/samples.json';

const digits = samples as { inputs: number[][]; labels: number[] };
const mnistBody = (from: number, n: number, extra: object = {}) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [n, 784], data: digits.inputs.slice(from, from + n).flat() }], ...extra });
const argmax = (row: number[]) => row.indexOf(Math.max(...row));

let origin: RunningOrigin;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'origin-coding-'));
  symlinkSync(resolve('models/mnist'), join(dir, 'mnist'));
  origin = await startOrigin({ port: 0, host: '127.0.0.1', modelsDir: dir });
});

afterAll(async () => {
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** POSTs bytes to the origin's mnist infer route and returns the answer's bytes exactly as sent. */
function post(body: Uint8Array | string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((done, fail) => {
    const req = request(`${origin.url}/v2/models/mnist/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-model-variant': 'fp32', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end(body);
  });
}

const jsonOf = (raw: Raw) => JSON.parse(raw.body.toString('utf8'));
const predicted = (answer: { outputs: { data: number[] }[] }, n: number) => Array.from({ length: n }, (_, i) => argmax(answer.outputs[0]!.data.slice(i * 10, i * 10 + 10)));

describe('compressed request bodies at the origin', () => {
  it.each([
    ['gzip', gzipSync],
    ['deflate', deflateSync],
  ] as const)('infers a %s body', async (coding, squeeze) => {
    const res = await post(squeeze(JSON.stringify(mnistBody(0, 3))), { 'content-encoding': coding });
    expect(res.status, res.body.toString()).toBe(200);
    expect(predicted(jsonOf(res), 3)).toEqual(digits.labels.slice(0, 3));
  });

  it('answers a 200 MiB gzip bomb with a 413 quickly', async () => {
    const bomb = gzipSync(Buffer.alloc(200 * 1024 * 1024));
    const t0 = performance.now();
    const res = await post(bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(jsonOf(res).error).toMatch(/exceeds the limit of \d+ bytes once decompressed/);
    expect(performance.now() - t0).toBeLessThan(2_000);
  });

  it('answers an unknown coding with a 415 listing the supported ones', async () => {
    const res = await post(JSON.stringify(mnistBody(0, 1)), { 'content-encoding': 'br' });
    expect(res.status).toBe(415);
    expect(res.headers['accept-encoding']).toBe('gzip, deflate, identity');
    expect(jsonOf(res).error).toMatch(/unsupported Content-Encoding "br"; supported: gzip, deflate, identity/);
  });

  it('answers corrupt gzip with a 400 naming what zlib found', async () => {
    const bad = gzipSync(JSON.stringify(mnistBody(0, 2)));
    bad.fill(0xff, 10, 200);
    const res = await post(bad, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(jsonOf(res).error).toMatch(/^request body is not valid gzip data \(Content-Encoding: gzip\): \w+/);
  });
});

describe('compressed answers from the origin', () => {
  it.each([
    ['gzip', gunzipSync, [0x1f, 0x8b]],
    ['deflate', inflateSync, [0x78]],
  ] as const)('compresses the answer once with %s when Accept-Encoding asks', async (coding, unsqueeze, magic) => {
    const res = await post(JSON.stringify(mnistBody(0, 2)), { 'accept-encoding': coding });
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe(coding);
    expect(res.headers['content-length']).toBeUndefined();
    expect([...res.body.subarray(0, magic.length)]).toEqual(magic);
    const answer = JSON.parse(unsqueeze(res.body).toString('utf8'));
    expect(predicted(answer, 2)).toEqual(digits.labels.slice(0, 2));
  });

  it('sends plain JSON to a caller that does not ask', async () => {
    const res = await post(JSON.stringify(mnistBody(0, 1)));
    expect(res.headers['content-encoding']).toBeUndefined();
    expect(predicted(jsonOf(res), 1)).toEqual(digits.labels.slice(0, 1));
  });
});

describe('classification at the origin', () => {
  it('answers the top classes as "value:index:label" strings, with a compressed request and answer', async () => {
    const body = mnistBody(0, 2, { outputs: [{ name: 'logits', parameters: { classification: 2 } }] });
    const res = await post(gzipSync(JSON.stringify(body)), { 'content-encoding': 'gzip', 'accept-encoding': 'gzip' });
    expect(res.status).toBe(200);
    const out = JSON.parse(gunzipSync(res.body).toString('utf8')).outputs[0];
    expect(out).toMatchObject({ name: 'logits', datatype: 'BYTES', shape: [2, 2] });
    expect([out.data[0], out.data[2]].map((s: string) => /^-?\d+\.\d{6}:(\d):(\d)$/.exec(s)!.slice(1, 3).map(Number))).toEqual(digits.labels.slice(0, 2).map((d) => [d, d]));
  });
});
