/**
 * The final fidelity gate, in the runtime that serves the variants: every compressed variant's outputs as
 * measured in onnxruntime-web (the probe) must pass every output's floor. One that does not is dropped
 * from the manifest and its file from the folder, never written as servable, with a record of why for the
 * provenance and the log (issue 11: an int8 that passed in onnxruntime-node at 0.92 measured 0.869 in web).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Variant, VariantName } from '../../src/registry/manifest.js';
import { gate, type Floor } from '../measure/gate.js';

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
