/**
 * The final fidelity gate, in the runtime that serves the variants: every compressed variant's outputs as
 * measured in onnxruntime-web (the probe) must pass every output's floor. One that does not is dropped
 * from the manifest and its file from the folder, never written as servable, with a record of why for the
 * provenance and the log (issue 11: an int8 that passed in onnxruntime-node at 0.92 measured 0.869 in web).
 * int8w added to a folder made earlier (../add-int8w.ts) is judged by the same gate and its verdict recorded.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Fidelity, Variant, VariantName } from '../../../src/registry/manifest.js';
import { gate, type Floor } from '../../measure/gate.js';

/** Why a variant was not written. */
export interface DroppedVariant {
  variant: VariantName;
  runtime: string;
  failures: string[];
}

/**
 * How pruned and distilled variants are judged. They are other functions trained to approximate fp32, not
 * fp32 rounded: with labels, a classifier output is held to labelled accuracy at most `maxAccuracyDrop`
 * points below fp32's on the held-out set (the users' measure: a pruned model that is right where fp32 is
 * wrong is no worse for it) instead of top-1 agreement; every other floor stays. Without labels, agreement.
 */
export interface StructuredGate {
  structured: ReadonlySet<VariantName>;
  maxAccuracyDrop: number;
}

/** The floors without top-1 agreement on classification outputs (replaced by the accuracy check). */
function withoutAgreement(floors: Record<string, Floor[]>): Record<string, Floor[]> {
  return Object.fromEntries(Object.entries(floors).map(([k, list]) => [k, list.filter((f) => f.metric !== 'top1' && f.metric !== 'top1_worst')]));
}

/** Why a pruned or distilled variant fails, or [] when it passes (see StructuredGate). */
export function structuredFailures(v: Variant, reference: Variant | undefined, floors: Record<string, Floor[]>, maxDrop: number): string[] {
  const acc = v.fidelity.accuracy;
  const ref = reference?.fidelity.accuracy;
  if (acc === undefined || ref === undefined) return gate(v.fidelity, floors).failures;
  const drop = Math.round((ref - acc) * 1000) / 10;
  return [...gate(v.fidelity, withoutAgreement(floors)).failures, ...(drop > maxDrop ? [`accuracy ${acc} is ${drop} pt below fp32's ${ref} (at most ${maxDrop} pt for a pruned or distilled variant)`] : [])];
}

/** Removes the variants below their floors (fp32, the reference, is never judged); returns what it dropped. */
export function dropBelowFloor(variants: Partial<Record<VariantName, Variant>>, floors: Record<string, Floor[]>, stage: string, structured?: StructuredGate): DroppedVariant[] {
  const dropped: DroppedVariant[] = [];
  for (const [name, v] of Object.entries(variants) as [VariantName, Variant][]) {
    if (name === 'fp32') continue;
    const failures = structured?.structured.has(name) ? structuredFailures(v, variants.fp32, floors, structured.maxAccuracyDrop) : gate(v.fidelity, floors).failures;
    if (!failures.length) continue;
    dropped.push({ variant: name, runtime: v.fidelity.runtime ?? 'onnxruntime-web', failures });
    delete variants[name];
    rmSync(join(stage, v.file), { force: true });
  }
  return dropped;
}

/** What the gate decided for int8w; recorded in the manifest's provenance. */
export interface WeightOnlyVerdict {
  status: 'served' | 'below floor';
  /** The worst output's check, e.g. "'y' top1 0.985 < 0.99". */
  check: string;
}

/** int8w is served only when its fidelity measured in onnxruntime-web keeps every output's floor, as int8 must. */
export function gateWeightOnly(fidelity: Pick<Fidelity, 'outputs'>, floors: Record<string, Floor[]>): WeightOnlyVerdict {
  const g = gate(fidelity, floors);
  return { status: g.passes ? 'served' : 'below floor', check: g.label };
}
