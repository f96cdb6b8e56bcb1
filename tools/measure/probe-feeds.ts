/**
 * Random input feeds for a latency point, shared by the per-variant probe (probe.ts) and the interleaved
 * one (interleave.ts): the same request gives every variant the same tensors.
 */
import type * as Ort from 'onnxruntime-web';
import type { Prng } from '../lib/prng.js';

/** The part of a probe request that shapes its inputs (see ProbeRequest). */
export interface FeedSpec {
  inputs: { name: string; datatype: string; shape: number[] }[];
  seq: number;
  intHigh: number;
  shapes?: { items: number; dims: Record<string, number[]> }[] | undefined;
}

/** Feeds for `batch` items: batch axis = batch, other dynamic dims = seq (or the explicit shapes). */
export function probeFeeds(ort: typeof Ort, req: FeedSpec, batch: number, prng: Prng): Record<string, Ort.Tensor> {
  const out: Record<string, Ort.Tensor> = {};
  const explicit = req.shapes?.find((s) => s.items === batch)?.dims;
  for (const spec of req.inputs) {
    const dims = explicit?.[spec.name] ?? spec.shape.map((d, i) => (d >= 0 ? d : i === 0 ? batch : req.seq));
    const size = dims.reduce((a, b) => a * b, 1);
    if (spec.datatype === 'FP32') out[spec.name] = new ort.Tensor('float32', Float32Array.from({ length: size }, () => prng.next()), dims);
    else if (spec.datatype === 'INT64') {
      const fill = spec.name.includes('mask') ? () => 1n : () => BigInt(prng.int(req.intHigh));
      out[spec.name] = new ort.Tensor('int64', BigInt64Array.from({ length: size }, fill), dims);
    } else throw new Error(`probe: unsupported input type ${spec.datatype}`);
  }
  return out;
}
