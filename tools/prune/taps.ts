/**
 * Intermediate tensors of a model read with onnxruntime-web's WASM build (one thread): the model is
 * re-encoded with the wanted tensors as extra graph outputs and run in chunks. The pruner reads tensor
 * shapes this way (one batch-1 run gives every dim, whatever op computed it, so no shape inference to keep
 * in step with the ops) and activation statistics for importance; the distiller reads the teacher's logits.
 * WASM, not onnxruntime-node: its arithmetic is the same on every x86 or ARM machine, while the native build
 * picks kernels (AVX2, AVX-512) by CPU and sums in another order, and a teacher logit that differs in its
 * last bit trains different weights: setup rebuilds pruned variants and checks their sha256.
 */
import * as ort from 'onnxruntime-web';

ort.env.wasm.numThreads = 1;
import { encodeModel } from '../onnx/io.js';
import type { ModelProto, ValueInfoProto } from '../onnx/types.js';

/** Float tensors, first axis the samples. */
export interface Batch {
  dims: number[];
  data: Float32Array;
}

/** The model with `names` added as outputs, untyped: onnxruntime infers their type and shape. */
export function withOutputs(m: ModelProto, names: readonly string[]): ModelProto {
  const have = new Set(m.graph.output.map((o) => o.name));
  const extra = names.filter((n) => !have.has(n)).map((name) => ({ name }) as ValueInfoProto);
  return { ...m, graph: { ...m.graph, output: [...m.graph.output, ...extra] } };
}

/** A session on the model with `names` as outputs (graph outputs included). */
export async function tapSession(m: ModelProto, names: readonly string[]): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(encodeModel(withOutputs(m, names)), { graphOptimizationLevel: 'disabled', executionProviders: ['wasm'] });
}

/** Runs `input` (rows of the model's one input) through the session in chunks, calling `each` per chunk. */
export async function runChunks(session: ort.InferenceSession, input: Batch, chunk: number, each: (outs: Record<string, Batch>, rows: number) => void): Promise<void> {
  const rows = input.dims[0]!;
  const per = input.data.length / rows;
  for (let at = 0; at < rows; at += chunk) {
    const n = Math.min(chunk, rows - at);
    const feed = new ort.Tensor('float32', input.data.subarray(at * per, (at + n) * per), [n, ...input.dims.slice(1)]);
    const out = await session.run({ [session.inputNames[0]!]: feed });
    const batch: Record<string, Batch> = {};
    for (const [k, v] of Object.entries(out)) if (v.type === 'float32') batch[k] = { dims: [...v.dims], data: v.data as Float32Array };
    each(batch, n);
  }
}

/** Dims of every float tensor named, from one run on the first sample of `input`. */
export async function tensorDims(m: ModelProto, names: readonly string[], input: Batch): Promise<Map<string, number[]>> {
  const session = await tapSession(m, names);
  const dims = new Map<string, number[]>();
  const one = { dims: [1, ...input.dims.slice(1)], data: input.data.subarray(0, input.data.length / input.dims[0]!) };
  await runChunks(session, one, 1, (outs) => { for (const [k, v] of Object.entries(outs)) dims.set(k, v.dims); });
  await session.release();
  return dims;
}

/** One output (by name) over all rows of `input`, concatenated. */
export async function collect(m: ModelProto, name: string, input: Batch, chunk = 64): Promise<Batch> {
  const session = await tapSession(m, [name]);
  const parts: Float32Array[] = [];
  let dims: number[] = [];
  await runChunks(session, input, chunk, (outs) => { parts.push(outs[name]!.data.slice()); dims = outs[name]!.dims; });
  await session.release();
  const data = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) { data.set(p, at); at += p.length; }
  return { dims: [input.dims[0]!, ...dims.slice(1)], data };
}
