/**
 * Joining requests into one batch along axis 0 and splitting the results back: the tensor half of
 * dynamic batching. Only requests whose tensors agree on every dimension but the first can be joined.
 */
import type { TensorData } from '../protocol/datatypes.js';
import type { InferenceRequest, Tensor } from '../protocol/tensor.js';

/** Requests with the same signature can share a batch: same inputs, same non-batch dims, same outputs. */
export function batchSignature(request: InferenceRequest): string {
  const inputs = [...request.inputs].sort((a, b) => a.name.localeCompare(b.name)).map((t) => `${t.name}:${t.datatype}:${t.shape.slice(1).join('x')}`);
  return `${inputs.join('|')}>${request.outputs?.join(',') ?? '*'}`;
}

function concatData(parts: TensorData[]): TensorData {
  const first = parts[0]!;
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new (first.constructor as new (n: number) => TensorData)(total);
  let at = 0;
  for (const p of parts) {
    (out as Float32Array).set(p as Float32Array, at);
    at += p.length;
  }
  return out;
}

/** One request made of several, inputs joined along axis 0. */
export function joinRequests(requests: InferenceRequest[]): InferenceRequest {
  if (requests.length === 1) return requests[0]!;
  const first = requests[0]!;
  const inputs: Tensor[] = first.inputs.map((t) => {
    const parts = requests.map((r) => r.inputs.find((x) => x.name === t.name)!);
    const batch = parts.reduce((n, p) => n + p.shape[0]!, 0);
    return { name: t.name, datatype: t.datatype, shape: [batch, ...t.shape.slice(1)], data: concatData(parts.map((p) => p.data)) };
  });
  return { inputs, ...(first.outputs ? { outputs: first.outputs } : {}), parameters: {} };
}

/** Splits batched outputs back into one list per request, by each request's batch size. */
export function splitOutputs(outputs: Tensor[], sizes: number[]): Tensor[][] {
  if (sizes.length === 1) return [outputs];
  const total = sizes.reduce((a, b) => a + b, 0);
  const result: Tensor[][] = sizes.map(() => []);
  for (const t of outputs) {
    if (t.shape[0] !== total) throw new Error(`output '${t.name}' has ${t.shape[0]} rows for a batch of ${total}`);
    const row = t.data.length / total;
    let at = 0;
    sizes.forEach((n, i) => {
      result[i]!.push({ name: t.name, datatype: t.datatype, shape: [n, ...t.shape.slice(1)], data: t.data.slice(at * row, (at + n) * row) as TensorData });
      at += n;
    });
  }
  return result;
}
