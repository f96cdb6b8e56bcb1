/**
 * The request as the origin gets it, pure: binary tensors behind a JSON header (Triton's binary tensor
 * extension) or plain JSON, with only the parameters that mean something there.
 */
import { joinBinaryBody, tensorBytes } from '../protocol/binary.js';
import { REQUEST_HEADER } from '../protocol/headers.js';
import { tensorValues } from '../protocol/json-data.js';
import type { InferenceRequest } from '../protocol/tensor.js';

export interface EncodedOriginRequest {
  bytes: Uint8Array<ArrayBuffer>;
  headers: Record<string, string>;
}

export interface OriginRequestOptions {
  /** Send and ask for tensors in binary instead of JSON numbers. */
  binary: boolean;
  /** What is left of the caller's own deadline for the origin (ms), when the caller set one. */
  timeoutLeftMs?: number;
}

/**
 * `request` encoded for the origin. Outputs are asked for by name only: per-output parameters stay here.
 * Classification in particular is applied once, by the data plane, to the raw tensor the origin returns: the
 * origin may be any v2 server (KServe has no classification extension), the raw tensor is what the
 * output-size check and a fallback need, and the answer stays numeric. An origin asked to classify would send BYTES.
 */
export function encodeOriginRequest(request: InferenceRequest, opts: OriginRequestOptions): EncodedOriginRequest {
  const outputs = request.outputs?.map((name) => ({ name }));
  const parameters = forwardedParameters(request.parameters, opts.timeoutLeftMs);
  if (!opts.binary) {
    const json = {
      id: request.id,
      parameters,
      inputs: request.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: tensorValues(t) })),
      outputs,
    };
    return { bytes: new TextEncoder().encode(JSON.stringify(json)) as Uint8Array<ArrayBuffer>, headers: { 'content-type': 'application/json' } };
  }
  const json = {
    id: request.id,
    parameters: { ...parameters, binary_data_output: true },
    inputs: request.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: t.data.byteLength } })),
    outputs,
  };
  const { body, headerLength } = joinBinaryBody(json, request.inputs.map(tensorBytes));
  return { bytes: body, headers: { 'content-type': 'application/octet-stream', [REQUEST_HEADER.inferenceHeaderContentLength]: String(headerLength) } };
}

/**
 * The request parameters the origin gets: only those of the protocol that mean something there. Anything
 * else a caller sent stays here: the origin is shared by every tenant of the gateway, unknown keys are work
 * for it and a channel past the gateway's checks (a million of them once rode along), and no v2 server needs
 * them. The SLO reaches the origin as the attempt's deadline header; as a parameter it would be judged again
 * there against network defaults that do not apply to the gateway's call. A caller's own `timeout` goes on
 * as what is left of it (µs), which a Triton origin enforces in its queue; `priority` goes on as sent. The
 * caller's `binary_data_output` is the gateway's to honour (it encodes the answer); the binary mode asks the
 * origin for binary on its own. No sequence ids: the gateway has no sequence batching and routes each request
 * on its own, so one sequence could be split between the edge and the origin.
 */
function forwardedParameters(params: Record<string, unknown>, timeoutLeftMs: number | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (params['priority'] !== undefined) out['priority'] = params['priority'];
  if (timeoutLeftMs !== undefined) out['timeout'] = Math.max(1, Math.floor(timeoutLeftMs)) * 1000;
  return out;
}
