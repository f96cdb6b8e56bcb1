/**
 * Calibration for static INT8: runs the fp32 graph in onnxruntime-node with every activation to quantize
 * exposed as an extra output, over the calibration samples in chunks, and reduces each to a [min, max]
 * range (min-max) or to its 0.01% / 99.99% percentiles (robust to rare outliers). Ranges are rounded to
 * 6 significant digits so the recipe recorded in the manifest rebuilds identical bytes on any machine.
 * Only top-level tensors can be exposed as outputs, so activations inside `If`/`Loop`/`Scan` subgraphs are
 * never calibrated: static QDQ leaves subgraph nodes fp32 (../passes/int8-static.ts).
 */
import * as ort from 'onnxruntime-node';
import { encodeModel } from '../../onnx/io.js';
import type { ModelProto } from '../../onnx/types.js';
import { DataType } from '../../onnx/types.js';
import { percentile } from '../../lib/percentile.js';
import { runFeeds, sampleCount, type Feeds } from '../data/feeds.js';
import { tensorsToCalibrate, type ActivationRanges } from '../passes/int8-static.js';

const SAMPLE_CAP = 200_000;
const sig = (x: number) => Number(x.toPrecision(6));

/**
 * Samples per calibration run: 1 when a fixed feed (a state) has a batch of its own, else the batch the
 * model fixes on its inputs' axis 0 (e.g. 1), else 8.
 */
function runBatch(m: ModelProto, feeds: Feeds): number {
  if (Object.values(feeds).some((f) => f.fixed && f.dims.length > 0)) return 1;
  const weights = new Set(m.graph.initializer.map((t) => t.name));
  const fixed = m.graph.input.filter((i) => !weights.has(i.name)).map((i) => Number(i.type.tensor_type.shape?.dim?.[0]?.dim_value ?? 0)).filter((d) => d > 0);
  return fixed.length ? Math.min(...fixed) : 8;
}

/** Collects ranges of the activations static quantization needs, for both calibration methods at once. */
export async function calibrate(m: ModelProto, feeds: Feeds, chunk = runBatch(m, feeds)): Promise<{ minmax: ActivationRanges; percentile: ActivationRanges }> {
  const probe = structuredClone(m);
  const softmaxInputs = probe.graph.node.filter((n) => n.op_type === 'Softmax').map((n) => n.input[0]!);
  const names = [...new Set([...tensorsToCalibrate(probe), ...softmaxInputs])];
  const existing = new Set(probe.graph.output.map((o) => o.name));
  for (const t of names) if (!existing.has(t) && !probe.graph.input.some((i) => i.name === t) && !probe.graph.initializer.some((i) => i.name === t)) probe.graph.output.push({ name: t, type: { tensor_type: { elem_type: DataType.FLOAT } } } as never);
  const session = await ort.InferenceSession.create(encodeModel(probe), { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
  const lo = new Map<string, number>();
  const hi = new Map<string, number>();
  const kept = new Map<string, number[]>();
  const ranks: Record<string, number> = {};
  const n = sampleCount(feeds);
  try {
    for (let from = 0; from < n; from += chunk) {
      const part = runFeeds(feeds, from, Math.min(n, from + chunk));
      const input: Record<string, ort.Tensor> = {};
      for (const [name, f] of Object.entries(part)) input[name] = new ort.Tensor(f.type, f.data, f.dims);
      const feedsRanks = Object.fromEntries(Object.entries(part).map(([k, f]) => [k, f.dims.length]));
      Object.assign(ranks, feedsRanks);
      const out = await session.run(input, names.filter((t) => !(t in input)));
      for (const t of names) {
        const tensor = out[t] ?? input[t];
        if (!tensor) continue;
        ranks[t] = tensor.dims.length;
        const data = tensor.data as Float32Array;
        let a = lo.get(t) ?? Infinity;
        let b = hi.get(t) ?? -Infinity;
        const sample = kept.get(t) ?? [];
        const stride = Math.max(1, Math.floor((data.length * Math.ceil(n / chunk)) / SAMPLE_CAP));
        for (let i = 0; i < data.length; i++) {
          const v = data[i]!;
          if (v < a) a = v;
          if (v > b) b = v;
          if (i % stride === 0) sample.push(v);
        }
        lo.set(t, a);
        hi.set(t, b);
        kept.set(t, sample);
      }
    }
  } finally {
    await session.release();
  }
  const minmax: ActivationRanges = { method: 'minmax', ranges: {}, ranks };
  const pct: ActivationRanges = { method: 'percentile', ranges: {}, ranks };
  for (const t of names) {
    if (!lo.has(t)) continue;
    minmax.ranges[t] = [sig(lo.get(t)!), sig(hi.get(t)!)];
    const s = kept.get(t)!;
    pct.ranges[t] = [sig(percentile(s, 0.0001)), sig(percentile(s, 0.9999))];
  }
  return { minmax, percentile: pct };
}
