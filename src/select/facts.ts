/**
 * What the selector knows of a variant, read from its manifest entry, and the two rules about a variant
 * that the selector and the rest of the gateway must apply alike: how long a run is predicted to take, and
 * whether the variant fits the edge's memory budget. One formula each, so the router, the engine's queue
 * estimate and the model listing cannot disagree.
 */
import type { LatencyLine } from '../latency/line.js';
import { at } from '../latency/line.js';
import type { ModelManifest, Variant, VariantName } from '../registry/manifest.js';

/** What the selector needs to know of one variant (from the manifest); its line is the p95 latency fit on the profiling machine. */
export interface VariantFacts extends LatencyLine {
  name: VariantName;
  /** Agreement with the fp32 reference (1 for fp32): what candidates are ranked by. */
  fidelity: number;
  /** Compared with the accuracy floor: labelled accuracy where known, else fidelity. */
  accuracy: number;
  /** False when the fidelity was measured on random inputs only (see policy `unverified_fidelity`); absent: verified. */
  verified?: boolean;
  edge_memory_bytes: number;
  /** Size of the variant's file (what a device downloads); absent in hand-built facts. */
  bytes?: number;
  load_ms: number;
}

/**
 * The scalar variants are ranked by: top-1 agreement with fp32 (the reference scores 1), else cosine, lowered
 * to 1 - relative error of a scalar output or 1 - drift of a state output where worse (cosine says nothing
 * about one value per sample). Not labelled accuracy: on a finite test split a compressed variant can beat
 * fp32 by noise.
 */
export function fidelityScore(v: Variant): number {
  const base = v.fidelity.top1_agreement ?? v.fidelity.cosine;
  const errors = Object.values(v.fidelity.outputs ?? {}).map((o) => (o.kind === 'scalar' ? (o.mean_rel_err ?? 0) : o.kind === 'state' ? (o.drift ?? 0) : 0));
  return Math.min(base, ...errors.map((e) => Math.max(0, 1 - e)));
}

/** Whether a variant's fidelity was measured on given data (fp32, the reference, always is). */
export function isVerified(name: VariantName, v: Variant): boolean {
  return name === 'fp32' || v.fidelity.eval_set_kind !== 'random';
}

/** What the accuracy floor is compared with: labelled accuracy where known, else the fidelity score. */
export function accuracyOf(v: Variant): number {
  return v.fidelity.accuracy ?? fidelityScore(v);
}

/** Selector facts of each variant of a model, in manifest order. */
export function variantFacts(model: ModelManifest): VariantFacts[] {
  return (Object.entries(model.variants) as [VariantName, Variant][]).map(([name, v]) => ({
    name,
    fidelity: fidelityScore(v),
    accuracy: accuracyOf(v),
    verified: isVerified(name, v),
    edge_memory_bytes: v.edge_memory_bytes,
    bytes: v.bytes,
    fixed_ms: v.latency.fit.fixed_ms,
    per_item_ms: v.latency.fit.per_item_ms,
    load_ms: v.latency.load_ms,
  }));
}

/**
 * Predicted compute of one run (ms): the profile's p95 fit for `items` items, scaled by the speed factor
 * of the machine it runs on (profiles are measured on bench machines, not on the fleet).
 */
export function computeMs(fit: LatencyLine, items: number, speedFactor: number): number {
  return at(fit, items) * speedFactor;
}

/** Whether a variant's measured WASM memory fits the budget one edge variant may take. */
export function fitsEdge(variant: { edge_memory_bytes: number }, budgetBytes: number): boolean {
  return variant.edge_memory_bytes <= budgetBytes;
}
