/**
 * The edge path: one KServe v2 `POST /v2/models/{model}/infer`, JSON or Triton's binary tensor extension
 * (a JSON header of `Inference-Header-Content-Length` bytes, then each tensor's little-endian bytes),
 * and the gateway's routing headers. FP16 always travels binary: v2 JSON carries decoded numbers, and the
 * SDK keeps FP16 as half bits.
 */
import { bytesOf, elementCount, fromBytes, isDatatype, jsonValues, KINDS } from './tensors.js';
import type { Tensor } from './types.js';

export const HEADER_LENGTH = 'inference-header-content-length';

export interface EdgeAnswer {
  outputs: Tensor[];
  variant: string | null;
  servedBy: string | null;
  routeReason: string | null;
  requestId: string | null;
}

/** An error answer from the gateway, with its status and `{"error"}` text. */
export class GatewayError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'GatewayError';
  }
}

export interface EdgeRequest {
  url: string;
  inputs: Tensor[];
  headers: Record<string, string>;
  binary: boolean;
  outputs?: string[] | undefined;
  signal?: AbortSignal | undefined;
  fetch: typeof fetch;
}

/** Sends one v2 inference to the gateway and decodes its answer. */
export async function inferAtEdge(req: EdgeRequest): Promise<EdgeAnswer> {
  const binary = req.binary || req.inputs.some((t) => t.datatype === 'FP16');
  const outputs = req.outputs?.map((name) => ({ name, ...(binary ? { parameters: { binary_data: true } } : {}) }));
  const header = {
    inputs: req.inputs.map((t) =>
      binary ? { name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: t.data.byteLength } } : { name: t.name, datatype: t.datatype, shape: t.shape, data: jsonValues(t) },
    ),
    ...(outputs ? { outputs } : {}),
    ...(binary ? { parameters: { binary_data_output: true } } : {}),
  };
  let body: Uint8Array<ArrayBuffer> | string = JSON.stringify(header);
  const headers: Record<string, string> = { ...req.headers, 'content-type': 'application/json' };
  if (binary) {
    const json = new TextEncoder().encode(body);
    const joined = new Uint8Array(json.byteLength + req.inputs.reduce((n, t) => n + t.data.byteLength, 0));
    joined.set(json, 0);
    let at = json.byteLength;
    for (const t of req.inputs) {
      joined.set(bytesOf(t.data), at);
      at += t.data.byteLength;
    }
    body = joined;
    headers['content-type'] = 'application/octet-stream';
    headers[HEADER_LENGTH] = String(json.byteLength);
  }
  const res = await req.fetch(req.url, { method: 'POST', body, headers, ...(req.signal ? { signal: req.signal } : {}) });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (!res.ok) throw new GatewayError(res.status, errorText(bytes, res.status));
  const outs = decodeAnswer(bytes, res.headers.get(HEADER_LENGTH));
  return {
    outputs: outs,
    variant: res.headers.get('x-model-variant'),
    servedBy: res.headers.get('x-served-by'),
    routeReason: res.headers.get('x-route-reason'),
    requestId: res.headers.get('x-request-id'),
  };
}

function errorText(bytes: Uint8Array, status: number): string {
  const text = new TextDecoder().decode(bytes);
  try {
    const e = (JSON.parse(text) as { error?: unknown }).error;
    if (typeof e === 'string') return `gateway ${status}: ${e}`;
  } catch {
    // not JSON: report the start of the text
  }
  return `gateway ${status}: ${text.slice(0, 200)}`;
}

interface V2Output {
  name: string;
  datatype: string;
  shape: number[];
  data?: (number | boolean | null)[];
  parameters?: { binary_data_size?: number };
}

/** A v2 answer (JSON, or JSON header + binary blocks) into tensors. JSON FP16 values come back as half bits. */
export function decodeAnswer(bytes: Uint8Array, headerLength: string | null): Tensor[] {
  const n = headerLength === null ? bytes.byteLength : Number(headerLength);
  if (!Number.isSafeInteger(n) || n < 0 || n > bytes.byteLength) throw new Error(`bad ${HEADER_LENGTH}: ${headerLength}`);
  const body = JSON.parse(new TextDecoder().decode(bytes.subarray(0, n))) as { outputs?: V2Output[] };
  if (!Array.isArray(body.outputs)) throw new Error('not a v2 inference response: no outputs');
  let at = n;
  return body.outputs.map((o) => {
    if (!isDatatype(o.datatype)) throw new Error(`output '${o.name}': unsupported datatype ${o.datatype}`);
    const count = elementCount(o.shape);
    const size = o.parameters?.binary_data_size;
    if (size !== undefined) {
      if (size !== count * KINDS[o.datatype].bytes || at + size > bytes.byteLength) throw new Error(`output '${o.name}': binary block does not match its shape`);
      const data = fromBytes(o.datatype, bytes.subarray(at, at + size), count);
      at += size;
      return { name: o.name, datatype: o.datatype, shape: o.shape, data };
    }
    if (!o.data || o.data.length !== count) throw new Error(`output '${o.name}': data does not match shape ${JSON.stringify(o.shape)}`);
    const values = o.data.map((v) => (v === null ? NaN : Number(v)));
    const data = o.datatype === 'FP16' ? Uint16Array.from(values, toHalfBits) : KINDS[o.datatype].from(values);
    return { name: o.name, datatype: o.datatype, shape: o.shape, data };
  });
}

/** Half bits of a number through Float32 (rounding twice: fine for display, exact for values JSON printed from halves). */
function toHalfBits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  const sign = (u >>> 16) & 0x8000;
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  const mant = u & 0x7fffff;
  if (Number.isNaN(x)) return 0x7e00;
  if (exp >= 0x1f) return sign | 0x7c00;
  if (exp <= 0) return exp < -10 ? sign : sign | ((mant | 0x800000) >> (14 - exp));
  return sign | (exp << 10) | (mant >> 13);
}
