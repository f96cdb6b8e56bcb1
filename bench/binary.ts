/**
 * Question 7 — binary tensor data vs JSON for a large input: PaddleOCR det (fp32) on one 1x3x640x640
 * image through the gateway in workerd, the same values sent both ways, interleaved pair by pair in one
 * run. Reports request/response bytes, client latency p50/p95 and the ratio.
 */
import { Prng } from '../tools/lib/prng.js';
import { assertLoopback } from './lib/http.js';
import { isMain, runEntry } from './lib/entry.js';
import { gatewayConfig } from './lib/gateway-config.js';
import { seedModels } from './lib/r2.js';
import { writeResult } from './lib/results.js';
import { startGateway } from './lib/stack.js';
import { r2, serverTiming, summarize, table } from './lib/stats.js';

const SHAPE = [1, 3, 640, 640];
const HEADER = 'inference-header-content-length';

/** Seeded pixels that are short exact decimals (k/16), so JSON and binary carry identical values. */
function image(): Float32Array {
  const x = new Prng(20261128).fillUniform(new Float32Array(SHAPE.reduce((a, b) => a * b, 1)), 1);
  for (let i = 0; i < x.length; i++) x[i] = Math.round(x[i]! * 16) / 16;
  return x;
}

function bodies(x: Float32Array) {
  const json = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: SHAPE, data: Array.from(x) }] }));
  const header = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: SHAPE, parameters: { binary_data_size: x.byteLength } }], parameters: { binary_data_output: true } }));
  const binary = Buffer.concat([header, Buffer.from(x.buffer, x.byteOffset, x.byteLength)]);
  return { json, binary, headerLength: header.byteLength };
}

async function send(url: string, body: Buffer, headers: Record<string, string>) {
  assertLoopback(url);
  const t0 = performance.now();
  const res = await fetch(url, { method: 'POST', body, headers: { 'x-model-variant': 'fp32', 'x-slo-ms': '60000', ...headers }, signal: AbortSignal.timeout(120_000) });
  const bytes = (await res.arrayBuffer()).byteLength;
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`binary bench: ${res.status}`);
  return { ms, bytes, timing: serverTiming(res.headers.get('server-timing')) };
}

export async function runBinary(opts: { pairs?: number; write?: boolean } = {}) {
  const pairs = opts.pairs ?? 6;
  await seedModels();
  const gw = await startGateway({ gatewayConfig: gatewayConfig() });
  const url = `${gw.url}/v2/models/ppocr-det/infer`;
  const x = image();
  const { json, binary, headerLength } = bodies(x);
  const jsonHeaders = { 'content-type': 'application/json' };
  const binHeaders = { 'content-type': 'application/octet-stream', [HEADER]: String(headerLength) };
  await send(url, json, jsonHeaders);
  await send(url, binary, binHeaders);
  const rows = { json: [] as Awaited<ReturnType<typeof send>>[], binary: [] as Awaited<ReturnType<typeof send>>[] };
  for (let i = 0; i < pairs; i++) {
    rows.json.push(await send(url, json, jsonHeaders));
    rows.binary.push(await send(url, binary, binHeaders));
  }
  const line = (name: 'json' | 'binary', requestBytes: number) => {
    const ms = summarize(rows[name].map((r) => r.ms));
    const select = summarize(rows[name].map((r) => r.timing.select ?? 0));
    const infer = summarize(rows[name].map((r) => r.timing.infer ?? 0));
    return { encoding: name, request_bytes: requestBytes, response_bytes: rows[name][0]!.bytes, p50_ms: r2(ms.p50), p95_ms: r2(ms.p95), decode_select_p50_ms: select.p50, infer_p50_ms: infer.p50 };
  };
  const result = [line('json', json.byteLength), line('binary', binary.byteLength)];
  const ratio = { latency_p50: r2(result[0]!.p50_ms / result[1]!.p50_ms), request_bytes: r2(result[0]!.request_bytes / result[1]!.request_bytes), response_bytes: r2(result[0]!.response_bytes / result[1]!.response_bytes) };
  table(`binary vs JSON: ppocr-det fp32, input ${SHAPE.join('x')}, ${pairs} interleaved pairs`, [
    ['encoding', 'request bytes', 'response bytes', 'p50 ms', 'p95 ms', 'decode+select p50', 'infer p50'],
    ...result.map((r) => [r.encoding, r.request_bytes, r.response_bytes, r.p50_ms, r.p95_ms, r.decode_select_p50_ms, r.infer_p50_ms]),
    ['json / binary', ratio.request_bytes, ratio.response_bytes, ratio.latency_p50, '', '', ''],
  ]);
  await gw.stop();
  if (opts.write !== false) writeResult('binary', { model: 'ppocr-det', variant: 'fp32', shape: SHAPE, pairs, rows: result, ratio });
  return { rows: result, ratio };
}

if (isMain(import.meta.url)) await runEntry('binary', () => runBinary());
