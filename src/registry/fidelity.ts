/**
 * How a variant's outputs compare with the fp32 reference, per output kind: the manifest's fidelity section
 * (manifest.ts re-exports it). Written by the compressor (tools/measure), read by the router and the monitor.
 */
import { z } from 'zod';

/**
 * The kind of an output, which decides the metric it is compared and gated by (tools/measure/kinds.ts).
 * `detection`: per-anchor scores compared with a threshold; `boxes`: the boxes paired with such scores.
 */
export const OutputKind = z.enum(['classification', 'regression', 'scalar', 'state', 'detection', 'boxes']);
export type OutputKind = z.infer<typeof OutputKind>;

const rate = z.number().min(0).max(1);

/**
 * Values compared with a threshold (`--decision output=threshold`): a decision flips when fp32's value is at
 * or above it and the variant's below, or the other way. `flip_rate` is over every value compared,
 * `flip_rate_worst` the worst sample's.
 */
export const DecisionFidelity = z.object({
  threshold: z.number(),
  decisions: z.number().int().nonnegative(),
  flips: z.number().int().nonnegative(),
  flip_rate: rate,
  flip_rate_worst: rate,
  flipped_samples: z.number().int().nonnegative(),
});
export type DecisionFidelity = z.infer<typeof DecisionFidelity>;

/**
 * A detector's scores: `detections` anchors at or above the threshold in fp32, `flips` anchors that cross it
 * between fp32 and the variant, `flip_rate` their share of the anchors above it on either side (background
 * anchors would dilute it), and the score error on the `near` anchors within ±0.1 of the threshold on either
 * side, where an error changes what a user sees.
 */
export const DetectionFidelity = z.object({
  threshold: z.number(),
  anchors: z.number().int().positive(),
  detections: z.number().int().nonnegative(),
  flips: z.number().int().nonnegative(),
  flip_rate: rate,
  flip_rate_worst: rate,
  near: z.number().int().nonnegative(),
  near_err_max: z.number().nonnegative(),
  near_err_mean: z.number().nonnegative(),
});
export type DetectionFidelity = z.infer<typeof DetectionFidelity>;

/** Boxes paired with a detection output: IoU with fp32's box on the `matched` anchors both keep above the threshold. */
export const BoxesFidelity = z.object({
  scores: z.string(),
  format: z.enum(['xyxy', 'xywh', 'cxcywh']),
  matched: z.number().int().nonnegative(),
  iou_mean: rate.optional(),
  iou_worst: rate.optional(),
});
export type BoxesFidelity = z.infer<typeof BoxesFidelity>;

/**
 * How one output compares with fp32; the metrics present depend on its kind: classification top-1 agreement
 * (and accuracy with labels); regression cosine, SNR in dB (capped at 200: identical) and max error relative
 * to the largest reference value; scalar absolute and relative errors; state the drift after `steps` steps
 * with the state fed back (relative L2 error of the state); detection and boxes their own records.
 * Each `*_worst` is the same metric for the worst single sample (row of the evaluation set), where the mean
 * over all of them can hide one bad window; `worst_sample` says which sample that was, per metric.
 */
export const OutputFidelity = z.object({
  kind: OutputKind,
  top1_agreement: z.number().min(0).max(1).optional(),
  top1_worst: z.number().min(0).max(1).optional(),
  accuracy: z.number().min(0).max(1).optional(),
  cosine: z.number().min(-1).max(1).optional(),
  cosine_worst: z.number().min(-1).max(1).optional(),
  snr_db: z.number().optional(),
  snr_db_worst: z.number().optional(),
  max_rel_err: z.number().nonnegative().optional(),
  mean_rel_err: z.number().nonnegative().optional(),
  rel_err_worst: z.number().nonnegative().optional(),
  max_abs_err: z.number().nonnegative(),
  mean_abs_err: z.number().nonnegative(),
  drift: z.number().nonnegative().optional(),
  drift_worst: z.number().nonnegative().optional(),
  steps: z.number().int().positive().optional(),
  worst_sample: z.record(z.string(), z.number().int().nonnegative()).optional(),
  decision: DecisionFidelity.optional(),
  detection: DetectionFidelity.optional(),
  boxes: BoxesFidelity.optional(),
});
export type OutputFidelity = z.infer<typeof OutputFidelity>;

/**
 * A variant judged by the model its outputs feed (`--downstream`): that model, run in onnxruntime-node in fp32
 * on the variant's outputs and on fp32's, compared output by output like the variant's own.
 */
export const DownstreamFidelity = z.object({
  model: z.string(),
  /** Downstream input <- this model's output. */
  inputs: z.record(z.string(), z.string()),
  samples: z.number().int().positive(),
  outputs: z.record(z.string(), OutputFidelity),
});
export type DownstreamFidelity = z.infer<typeof DownstreamFidelity>;

/**
 * How close a variant's outputs are to the FP32 reference on evaluation inputs. The summary fields (top-1
 * agreement, cosine, errors) are the worst over the outputs, for the router; `outputs` has the detail.
 */
export const Fidelity = z.object({
  eval_set: z.string(),
  /**
   * `random`: measured on seeded random inputs, which overstate fidelity (issue 11): the router treats it as
   * unverified (policy `unverified_fidelity`). `data`: measured on given samples. Absent (older manifests): data.
   */
  eval_set_kind: z.enum(['data', 'random']).optional(),
  /** The runtime the outputs were measured in, e.g. "onnxruntime-web 1.30.0 wasm". */
  runtime: z.string().optional(),
  samples: z.number().int().positive(),
  top1_agreement: z.number().min(0).max(1).optional(),
  accuracy: z.number().min(0).max(1).optional(),
  max_abs_err: z.number().nonnegative(),
  mean_abs_err: z.number().nonnegative(),
  cosine: z.number().min(-1).max(1),
  outputs: z.record(z.string(), OutputFidelity).optional(),
  downstream: DownstreamFidelity.optional(),
});
export type Fidelity = z.infer<typeof Fidelity>;
