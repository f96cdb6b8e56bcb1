/**
 * The model manifest: the data file (`models/<name>/manifest.json`) that describes a model and its
 * compressed variants. Written by the model tools (training, compression), read by the gateway registry and
 * by the origin. Adding a model adds a folder with variant files and this manifest; no code.
 */
import { z } from 'zod';
import { TensorSpec } from '../protocol/datatypes.js';
import { Fidelity } from './fidelity.js';

/** The fidelity schemas live beside this file; the manifest's readers find them here too. */
export * from './fidelity.js';

/**
 * Variant names are an open set: a model's variants are named artifacts, each with its facts (`made`: how it
 * was made), size, latency profile and fidelity, and nothing in the gateway enumerates them. The compressor
 * writes `fp32` (the reference every other variant is measured against), `fp16`, `int8`, `int8w` and structured
 * pruned or distilled ones (e.g. `pruned50`, `pruned50-int8`, `student-mlp64`); ops may add any.
 */
export const VARIANT_NAME_PATTERN = /^[a-z0-9][a-z0-9_.+-]{0,47}$/;
export const VariantName = z.string().regex(VARIANT_NAME_PATTERN, 'must be a variant name: lowercase letters, digits and . _ + - (at most 48, starting with a letter or digit)');
export type VariantName = string;

/** The reference variant: the uncompressed model, which every other variant's fidelity is measured against. */
export const REFERENCE_VARIANT = 'fp32';

/**
 * The numeric forms the compressor makes. `int8w` is weight-only INT8: int8 weights in the file (about a
 * quarter of fp32 to store and download), dequantized when the session is created, fp32 compute (see its
 * `load`). For models whose integer kernels are slow in WASM (ConvInteger), where `int8` would keep its
 * convolutions fp32 and stay large.
 */
export const PRECISIONS = ['fp32', 'fp16', 'int8', 'int8w'] as const;
export const Precision = z.enum(PRECISIONS);
export type Precision = z.infer<typeof Precision>;

/**
 * How a variant was made, where the tool that made it says: its precision, the variant it was made from,
 * structured pruning (the share of prunable units removed, which units, and the multiply-adds left), or a
 * distilled student's architecture. Absent on older manifests: the variant's name is its precision.
 */
export const VariantFacts = z
  .object({
    precision: Precision.optional(),
    base: VariantName.optional(),
    pruning: z
      .object({
        ratio: z.number().min(0).max(1),
        units: z.string(),
        removed: z.number().int().nonnegative(),
      })
      .optional(),
    student: z.string().optional(),
    /** Multiply-adds per item relative to the reference (structured removal or a smaller student: below 1). */
    macs_ratio: z.number().positive().optional(),
  })
  .strict();
export type VariantFacts = z.infer<typeof VariantFacts>;

/** One measured point of a latency profile: `items` is the batch size (or input-size units, see `size_axis`). */
export const LatencyPoint = z.object({
  items: z.number().int().positive(),
  p50_ms: z.number().nonnegative(),
  p95_ms: z.number().nonnegative(),
  runs: z.number().int().positive(),
  /** Median absolute deviation of the runs (ms): the point's dispersion. Absent in older profiles. */
  mad_ms: z.number().nonnegative().optional(),
  /** Runs dropped as outliers (more than 3 robust sigmas from the median) before p50 and p95. */
  rejected: z.number().int().nonnegative().optional(),
});

/**
 * Latency of one variant in onnxruntime-web WASM, single thread, measured by the model tools.
 * `fit` predicts p95 latency as fixed_ms + per_item_ms * items (least squares over `points`).
 */
export const LatencyProfile = z.object({
  runtime: z.string(),
  measured_at: z.string(),
  machine: z.string(),
  points: z.array(LatencyPoint).min(1),
  fit: z.object({ fixed_ms: z.number(), per_item_ms: z.number().nonnegative() }),
  load_ms: z.number().nonnegative(),
  /**
   * What one item is: `elements` elements of `input` (e.g. one 784-pixel digit, one 32x32x3 image tile,
   * one 32-token sequence), so a request's items = that input's element count / `elements`. Absent: the
   * batch size.
   */
  item: z.object({ input: z.string(), elements: z.number().positive() }).optional(),
});
export type LatencyProfile = z.infer<typeof LatencyProfile>;


/**
 * How a variant's file must be opened. `fold_dequantize`: its weights are stored int8 behind
 * DequantizeLinear nodes of constant inputs, which onnxruntime folds into fp32 weights at session creation
 * only with its QDQ handling off (`session.disable_quant_qdq`); without it every run would dequantize again.
 */
export const VariantLoad = z.object({ fold_dequantize: z.boolean().optional() });
export type VariantLoad = z.infer<typeof VariantLoad>;

export const Variant = z.object({
  file: z.string().min(1),
  bytes: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** WASM heap bytes the variant needs once loaded and run at batch 1 (measured). */
  edge_memory_bytes: z.number().int().positive(),
  latency: LatencyProfile,
  fidelity: Fidelity,
  /** How the variant was made, e.g. "fp16 weights+compute, fp32 io" or "dynamic int8, per-channel". */
  method: z.string(),
  /** Session options the file needs (absent: none). */
  load: VariantLoad.optional(),
  /** How it was made (absent: the name is its precision). */
  made: VariantFacts.optional(),
});
export type Variant = z.infer<typeof Variant>;

/**
 * A model output; `labels[i]` names class index i of a classifier's row, which the classification extension
 * appends to each class it returns ("value:index:label", src/protocol/classification.ts).
 */
export const OutputSpec = TensorSpec.extend({ labels: z.array(z.string()).min(1).optional() });
export type OutputSpec = z.infer<typeof OutputSpec>;

export const ModelManifest = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  version: z.string().regex(/^[0-9]+$/).default('1'),
  platform: z.literal('onnx'),
  description: z.string(),
  /** True for models with random weights made to measure size/latency scaling; never for real answers. */
  synthetic: z.boolean().default(false),
  inputs: z.array(TensorSpec).min(1),
  outputs: z.array(OutputSpec).min(1),
  /** Axis 0 of every input and output is the batch axis. */
  batch_axis: z.boolean(),
  /** The reference accuracy of the fp32 model on its labelled test split, where labels exist. */
  test_accuracy: z.number().min(0).max(1).optional(),
  variants: z.record(VariantName, Variant).refine((v) => Object.keys(v).length > 0, 'at least one variant'),
  /** Free-form provenance: data, split, seed, command that produced the files. */
  provenance: z.record(z.string(), z.unknown()).default({}),
}).superRefine((m, ctx) => {
  // A label list that does not cover a row exactly would name the wrong classes, silently.
  m.outputs.forEach((o, i) => {
    const row = o.shape.slice(m.batch_axis ? 1 : 0);
    if (!o.labels || row.some((d) => d < 0)) return;
    const width = row.reduce((n, d) => n * d, 1);
    if (o.labels.length !== width) ctx.addIssue({ code: 'custom', path: ['outputs', i, 'labels'], message: `${o.labels.length} labels for ${width} classes per row` });
  });
});
export type ModelManifest = z.infer<typeof ModelManifest>;
