/**
 * The gateway's origin client against the answers a real Triton gives, as Triton documents them, so a Triton
 * (or KServe on Triton) cloud tier is read as well as our own origin:
 * - errors are `{"error": "<error message string>"}`, their status from Triton's error code: 400 invalid
 *   argument, 404 not found, 503 unavailable, 500 internal (triton-inference-server/server
 *   docs/protocol/README.md "Mapping Triton Server Error Codes to HTTP Status Codes";
 *   docs/protocol/extension_model_configuration.md for the error body);
 * - a binary answer is `application/octet-stream`, its JSON header's length in `Inference-Header-Content-Length`,
 *   each output's bytes after it in order, sized by `parameters.binary_data_size`
 *   (docs/protocol/extension_binary_data.md, "HTTP/1.1 200 OK ... <24 bytes of data for output0 tensor>");
 * - a model that is not ready (still loading) is UNAVAILABLE, 503 (docs/user_guide/debugging_guide.md:
 *   "Unavailable ... A requested model is not ready for inference");
 * - a request its queue policy timed out is UNAVAILABLE "Request timeout expired", also 503
 *   (triton-inference-server/core src/dynamic_batch_scheduler.cc); Triton sends no x-model-variant.
 * Only a fake fetch here: no Triton runs in the unit tier.
 */
import { describe, expect, it } from 'vitest';
import type { BackendRequest } from '../../src/backend.js';
import { OriginRejected, OriginUnavailable } from '../../src/errors.js';
import { OriginClient } from '../../src/origin/client.js';
import { Registry } from '../../src/registry/registry.js';
import { readManifests } from '../../tools/lib/manifests.js';

const mnist = new Registry(readManifests('models')).get('mnist');

const digit = (): BackendRequest => ({
  model: mnist,
  variant: 'fp32',
  request: { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: new Float32Array(784) }], parameters: {} },
  deadline: 10_000,
});

/** A Triton that answers each call with the next of `answers`; records what it was sent. */
function triton(...answers: (() => Response)[]) {
  const sent: { url: string; headers: Record<string, string>; body: Uint8Array }[] = [];
  const fetch = (async (url: string, init: RequestInit) => {
    sent.push({ url, headers: init.headers as Record<string, string>, body: init.body as Uint8Array });
    return (answers[Math.min(sent.length, answers.length) - 1] ?? answers[0]!)();
  }) as unknown as typeof globalThis.fetch;
  const client = new OriginClient({ url: 'http://triton.test:8000', expectedRttMs: 40, breakerFailures: 2, breakerOpenMs: 1000, minAttemptMs: 50, binary: true, fetch, now: () => 0 });
  return { client, sent };
}

/** Triton's error answer: `{"error": "..."}` with the status of its error code. */
const tritonError = (status: number, message: string) => () => Response.json({ error: message }, { status });

/** Triton's binary answer to mnist, as extension_binary_data.md lays it out: JSON header, then the raw floats. */
function binaryLogits(values: number[]) {
  return () => {
    const floats = new Float32Array(values);
    const header = new TextEncoder().encode(
      JSON.stringify({ model_name: 'mnist', model_version: '4', outputs: [{ name: 'logits', datatype: 'FP32', shape: [1, values.length], parameters: { binary_data_size: floats.byteLength } }] }),
    );
    const body = new Uint8Array(header.byteLength + floats.byteLength);
    body.set(header, 0);
    body.set(new Uint8Array(floats.buffer), header.byteLength);
    return new Response(body, { status: 200, headers: { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.byteLength) } });
  };
}

describe("the origin client reads Triton's answers", () => {
  it('calls the model by its catalog name, unversioned, and asks for binary outputs', async () => {
    const { client, sent } = triton(binaryLogits([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    await client.infer(digit());
    expect(sent[0]!.url).toBe('http://triton.test:8000/v2/models/mnist/infer');
    expect(sent[0]!.headers['inference-header-content-length']).toMatch(/^\d+$/);
    const headerLength = Number(sent[0]!.headers['inference-header-content-length']);
    const json = JSON.parse(new TextDecoder().decode(sent[0]!.body.slice(0, headerLength))) as { parameters: Record<string, unknown>; inputs: { parameters: { binary_data_size: number } }[] };
    expect(json.parameters['binary_data_output']).toBe(true);
    expect(json.inputs[0]!.parameters.binary_data_size).toBe(784 * 4);
    expect(sent[0]!.body.byteLength).toBe(headerLength + 784 * 4);
  });

  it('decodes a binary answer split at Inference-Header-Content-Length, and takes the variant it asked for', async () => {
    const { client } = triton(binaryLogits([0.5, -1, 2, 3, 4, 5, 6, 7, 8, 9.25]));
    const result = await client.infer(digit());
    expect(result.variant).toBe('fp32');
    expect(result.outputs).toHaveLength(1);
    expect(result.outputs[0]).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [1, 10] });
    expect(Array.from(result.outputs[0]!.data as Float32Array)).toEqual([0.5, -1, 2, 3, 4, 5, 6, 7, 8, 9.25]);
  });

  it("passes Triton's 400 on as the caller's error, with Triton's words, and keeps the origin healthy", async () => {
    const { client } = triton(tritonError(400, "unexpected shape for input 'input' for model 'mnist'. Expected [-1,784], got [1,783]"));
    const err = await client.infer(digit()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginRejected);
    expect((err as OriginRejected).status).toBe(400);
    expect((err as Error).message).toContain("unexpected shape for input 'input'");
    expect(client.healthy()).toBe(true);
  });

  it('reads a 404 for an unknown model as an origin deployed with another catalog', async () => {
    const { client } = triton(tritonError(404, "Request for unknown model: 'mnist' is not found"));
    const err = await client.infer(digit()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginUnavailable);
    expect((err as Error).message).toBe("origin does not serve mnist/fp32 (404): Request for unknown model: 'mnist' is not found");
  });

  it('retries once a 503 while the model is loading, and answers the second try', async () => {
    const { client, sent } = triton(tritonError(503, "Request for unknown model: 'mnist' has no available versions"), binaryLogits([1, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
    const result = await client.infer(digit());
    expect(sent).toHaveLength(2);
    expect(Array.from(result.outputs[0]!.data as Float32Array)[0]).toBe(1);
  });

  it('counts a Triton that stays unavailable against the breaker, naming its words', async () => {
    const { client } = triton(tritonError(503, "Request for unknown model: 'mnist' has no available versions"));
    const err = await client.infer(digit()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginUnavailable);
    expect((err as Error).message).toContain('has no available versions');
    expect(client.healthy()).toBe(false);
  });

  // Triton reports a queue-policy timeout with the same 503 as a model that is not ready: a caller's own
  // deadline (forwarded as `parameters.timeout`) that expires in Triton's queue is told apart by the message,
  // and is a 504 that counts nothing against the breaker, as the client's own timeouts.
  it('treats "Request timeout expired" (503) as a busy origin, not a failed one', async () => {
    const { client } = triton(tritonError(503, 'Request timeout expired'));
    await expect(client.infer(digit())).rejects.toMatchObject({ status: 504 });
    expect(client.healthy()).toBe(true);
  });
});
