/**
 * The binary tensor extension through the gateway in workerd: binary in, binary out, at the edge and via
 * the origin (which the gateway also talks to in binary), with the same numbers as the JSON path.
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { digits, post } from '../helpers.js';

const HEADER = 'inference-header-content-length';

function binaryRequest(json: unknown, blocks: ArrayBufferView[]) {
  const header = new TextEncoder().encode(JSON.stringify(json));
  const body = new Uint8Array(header.byteLength + blocks.reduce((n, b) => n + b.byteLength, 0));
  body.set(header);
  let at = header.byteLength;
  for (const b of blocks) {
    body.set(new Uint8Array(b.buffer, b.byteOffset, b.byteLength), at);
    at += b.byteLength;
  }
  return { body, headerLength: header.byteLength };
}

async function sendBinary(path: string, json: unknown, blocks: ArrayBufferView[], headers: Record<string, string> = {}) {
  const { body, headerLength } = binaryRequest(json, blocks);
  const res = await SELF.fetch(`http://gateway.test${path}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/octet-stream', [HEADER]: String(headerLength), ...headers },
  });
  const raw = new Uint8Array(await res.arrayBuffer());
  const n = Number(res.headers.get(HEADER) ?? raw.byteLength);
  return { res, json: JSON.parse(new TextDecoder().decode(raw.subarray(0, n))) as any, tail: raw.slice(n) };
}

describe('binary tensor extension', () => {
  it('takes binary inputs and returns binary outputs at the edge, equal to the JSON answer', async () => {
    const x = Float32Array.from(digits.inputs.slice(0, 3).flat());
    const { res, json, tail } = await sendBinary(
      '/v2/models/mnist/infer',
      { inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 784], parameters: { binary_data_size: x.byteLength } }], parameters: { binary_data_output: true } },
      [x],
      { 'x-model-variant': 'fp32', 'x-slo-ms': '10000' },
    );
    expect(res.status, JSON.stringify(json)).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(json.outputs[0]).toEqual({ name: 'logits', datatype: 'FP32', shape: [3, 10], parameters: { binary_data_size: 120 } });
    const logits = new Float32Array(tail.buffer, tail.byteOffset, 30);
    const viaJson = await post('/v2/models/mnist/infer', { inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 784], data: [...x] }] }, { 'x-model-variant': 'fp32', 'x-slo-ms': '10000' });
    expect([...logits].map((v) => Math.fround(v))).toEqual(viaJson.body.outputs[0].data.map((v: number) => Math.fround(v)));
  });

  it('serves an origin-only model with binary inputs, the gateway speaking binary to the origin', async () => {
    const ids = new BigInt64Array([101n, 7n, 8n, 102n]);
    const mask = new BigInt64Array([1n, 1n, 1n, 1n]);
    const { res, json, tail } = await sendBinary(
      '/v2/models/transformer-large/infer',
      {
        inputs: [
          { name: 'input_ids', datatype: 'INT64', shape: [1, 4], parameters: { binary_data_size: 32 } },
          { name: 'attention_mask', datatype: 'INT64', shape: [1, 4], parameters: { binary_data_size: 32 } },
        ],
        outputs: [{ name: 'last_hidden_state', parameters: { binary_data: true } }],
      },
      [ids, mask],
      { 'x-slo-ms': '30000' },
    );
    expect(res.status, JSON.stringify(json)).toBe(200);
    expect(res.headers.get('x-served-by')).toBe('origin');
    expect(json.outputs[0].parameters.binary_data_size).toBe(4 * 768 * 4);
    expect(tail.byteLength).toBe(4 * 768 * 4);
    const viaJson = await post('/v2/models/transformer-large/infer', { inputs: [{ name: 'input_ids', datatype: 'INT64', shape: [1, 4], data: [101, 7, 8, 102] }, { name: 'attention_mask', datatype: 'INT64', shape: [1, 4], data: [1, 1, 1, 1] }] }, { 'x-slo-ms': '30000' });
    const a = new Float32Array(tail.buffer, tail.byteOffset, 4 * 768);
    const b: number[] = viaJson.body.outputs[0].data;
    expect(Math.max(...[...a].map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-4);
  });

  it('answers 400 naming the problem when the binary tail and the header disagree', async () => {
    const { res, json } = await sendBinary('/v2/models/mnist/infer', { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], parameters: { binary_data_size: 3136 } }] }, [new Float32Array(700)]);
    expect(res.status).toBe(400);
    expect(json.error).toMatch(/binary data ends after 2800 of 3136 bytes/);
    const bad = await SELF.fetch('http://gateway.test/v2/models/mnist/infer', { method: 'POST', body: '{}', headers: { [HEADER]: 'abc' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatch(/Inference-Header-Content-Length/);
  });
});
