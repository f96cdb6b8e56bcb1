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

/** Removes the variants below their floors (fp32, the reference, is never judged); returns what it dropped. */
export function dropBelowFloor(variants: Partial<Record<VariantName, Variant>>, floors: Record<string, Floor[]>, stage: string): DroppedVariant[] {
  const dropped: DroppedVariant[] = [];
  for (const [name, v] of Object.entries(variants) as [VariantName, Variant][]) {
    if (name === 'fp32') continue;
    const verdict = gate(v.fidelity, floors);
    if (verdict.passes) continue;
    dropped.push({ variant: name, runtime: v.fidelity.runtime ?? 'onnxruntime-web', failures: verdict.failures });
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
