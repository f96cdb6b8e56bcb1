/**
 * Random input feeds for a latency point, shared by the per-variant probe (probe.ts) and the interleaved
 * one (interleave.ts): the same request gives every variant the same tensors. Each input is filled from its
 * domain (input-domain.ts) as in evaluation, so a model that only runs at some values of an input (a
 * sample rate of 8000 or 16000) is timed at those: a rank-0 input gets the first listed value, or its
 * range's low end.
 */
import type * as Ort from 'onnxruntime-web';
import type { Prng } from '../lib/prng.js';
import { valueAt, type InputDomain } from './input-domain.js';

/** The part of a probe request that shapes its inputs (see ProbeRequest). */
export interface FeedSpec {
  inputs: { name: string; datatype: string; shape: number[] }[];
  seq: number;
  intHigh: number;
  shapes?: { items: number; dims: Record<string, number[]> }[] | undefined;
  /** Each named input's values (`--input-range`, `--input-values`); others as `floatRange` and `intHigh` say. */
  domains?: Record<string, InputDomain> | undefined;
  /** Floats of inputs without a domain: uniform in [lo, hi) (default [0, 1)). */
  floatRange?: [number, number] | undefined;
}

/** Feeds for `batch` items: batch axis = batch, other dynamic dims = seq (or the explicit shapes). */
export function probeFeeds(ort: typeof Ort, req: FeedSpec, batch: number, prng: Prng): Record<string, Ort.Tensor> {
  const out: Record<string, Ort.Tensor> = {};
  const explicit = req.shapes?.find((s) => s.items === batch)?.dims;
  const [lo, hi] = req.floatRange ?? [0, 1];
  for (const spec of req.inputs) {
    const dims = explicit?.[spec.name] ?? spec.shape.map((d, i) => (d >= 0 ? d : i === 0 ? batch : req.seq));
    const size = dims.reduce((a, b) => a * b, 1);
    const at = (k: number) => valueAt(spec, req.domains?.[spec.name], k, prng, { lo, hi, intHigh: req.intHigh });
    if (spec.datatype === 'FP32') out[spec.name] = new ort.Tensor('float32', Float32Array.from({ length: size }, (_, k) => at(k)), dims);
    else if (spec.datatype === 'INT64') out[spec.name] = new ort.Tensor('int64', BigInt64Array.from({ length: size }, (_, k) => BigInt(at(k))), dims);
    else throw new Error(`probe: unsupported input type ${spec.datatype}`);
  }
  return out;
}
