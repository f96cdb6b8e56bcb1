/**
 * Concrete input shapes for a compression run: the model's dynamic dims filled from the `--shape`
 * templates, for a number of samples (the evaluation set) or for the latency grid (batch sizes, or image
 * sizes at batch 1 with `--size`). A model that fixes its batch (axis 0 of every input, e.g. to 1, as many
 * audio and stateful exports do) is run at that batch only: evaluation and calibration sets of that many
 * samples, and one latency point.
 */
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { CompressInputError } from '../failure.js';

/** One point of the latency grid: its size in items and every input's dims. */
export interface LatencyShape {
  items: number;
  dims: Record<string, number[]>;
}

/**
 * The batch a model fixes: axis 0 when every input with an axis fixes it (to the first input's size), else
 * undefined (the batch is dynamic, or the model has only scalar inputs).
 */
export function fixedBatch(inputs: TensorSpec[]): number | undefined {
  const ranked = inputs.filter((i) => i.shape.length > 0);
  if (ranked.length === 0 || ranked.some((i) => i.shape[0]! < 0)) return undefined;
  return ranked[0]!.shape[0];
}

/** Resolves each input's dims for `samples` samples (a dynamic axis 0) from its spec and the --shape template. */
export function resolveShapes(inputs: TensorSpec[], templates: Record<string, number[]>, samples: number): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const spec of inputs) {
    const t = templates[spec.name];
    if (t && t.length !== spec.shape.length) throw new CompressInputError(`--shape ${spec.name}: rank ${t.length}, the model input has rank ${spec.shape.length} (${JSON.stringify(spec.shape)})`);
    out[spec.name] = spec.shape.map((d, i) => {
      if (i === 0) return d >= 0 ? d : samples;
      if (d >= 0) return d;
      if (!t) throw new CompressInputError(`input '${spec.name}' has a dynamic dim ${i} (${JSON.stringify(spec.shape)}); give its size with --shape ${spec.name}=${spec.shape.map((x) => (x < 0 ? 'N' : x)).join(',')}`);
      return t[i]!;
    });
  }
  return out;
}

/**
 * The latency grid: batch sizes, or (with `sizes`) image sizes at batch 1 counted in 32x32 tiles; with the
 * note for the manifest's runtime line and what one item is.
 */
export function latencyShapes(
  inputs: TensorSpec[],
  o: { shapes: Record<string, number[]>; batches: number[]; sizes?: [number, number][] | undefined },
): { shapes: LatencyShape[]; note: string; item: { input: string; elements: number } } {
  const first = inputs[0]!;
  if (o.sizes?.length) {
    const fixed = inputs.filter((s) => s.shape.length >= 2 && s.shape.slice(-2).some((d) => d >= 0));
    if (fixed.length) throw new CompressInputError(`--sizes: input '${fixed[0]!.name}' fixes its last two axes (${JSON.stringify(fixed[0]!.shape)}); the model runs at one size only, profile it by batch`);
    const shapes = o.sizes.map(([h, w]) => {
      const dims = resolveShapes(inputs, o.shapes, 1);
      for (const d of Object.values(dims)) if (d.length >= 2) d.splice(d.length - 2, 2, h, w);
      return { items: Math.round((h * w) / 1024), dims };
    });
    const perTile = resolveShapes([first], o.shapes, 1)[first.name]!.slice(1, -2).reduce((a, b) => a * b, 1) * 1024;
    return {
      shapes,
      note: `, batch 1 at image sizes ${o.sizes.map(([h, w]) => `${h}x${w}`).join(', ')} (items = input pixels / 1024, i.e. 32x32 tiles)`,
      item: { input: first.name, elements: perTile },
    };
  }
  const batch = fixedBatch(inputs);
  if (batch !== undefined) {
    return {
      shapes: [{ items: batch, dims: resolveShapes(inputs, o.shapes, batch) }],
      note: `, the model fixes its batch to ${batch}: profiled at that batch only`,
      item: { input: first.name, elements: resolveShapes([first], o.shapes, batch)[first.name]!.reduce((a, b) => a * b, 1) / batch },
    };
  }
  const desc = inputs.map((s) => `${s.name} ${JSON.stringify(resolveShapes([s], o.shapes, 1)[s.name]!.slice(1))}`).join(', ');
  const perItem = resolveShapes([first], o.shapes, 1)[first.name]!.slice(1).reduce((a, b) => a * b, 1);
  return {
    shapes: o.batches.map((b) => ({ items: b, dims: resolveShapes(inputs, o.shapes, b) })),
    note: `, items = batch size (per item: ${desc})`,
    item: { input: first.name, elements: perItem },
  };
}
