/**
 * Which variants a run writes: each one asked for (`--only` lists exactly those; without it fp32, fp16,
 * int8 and, unless `--no-int8w`, int8w) and judged on its own. One that misses its floors (int8 when no form
 * passes in onnxruntime-node, any variant below its floor in onnxruntime-web: web-gate.ts) or that would
 * quantize nothing (../passes/quantized.ts) is dropped with the reason, and the others are still written.
 * Only when every compressed variant asked for is dropped does the run fail, writing nothing.
 */
import type { Precision, VariantName } from '../../../src/registry/manifest.js';
import { CompressInputError } from '../failure.js';
import { quantizes } from '../passes/quantized.js';
import type { DroppedVariant } from './web-gate.js';

/** The variants to make, from `--only` and `--no-int8w`; CompressInputError when they contradict or omit fp32. */
export function variantsToWrite(o: { only?: Precision[] | undefined; int8w?: boolean | undefined }): Precision[] {
  const only: Precision[] = o.only ?? ['fp32', 'fp16', 'int8', ...(o.int8w === false ? [] : ['int8w' as const])];
  if (!only.includes('fp32')) throw new CompressInputError(`--only ${only.join(',')}: fp32 is the reference every other variant is measured against; include it (--only fp32,${only.join(',')})`);
  if (o.only && o.int8w === false && only.includes('int8w')) throw new CompressInputError(`--only ${only.join(',')} asks for int8w and --no-int8w turns it off: give one`);
  return only;
}

/** int8 and int8w files that quantize nothing, as drops (they would be fp32 under another name). */
export function unquantized(files: Partial<Record<'int8' | 'int8w', Uint8Array>>): DroppedVariant[] {
  return (Object.entries(files) as ['int8' | 'int8w', Uint8Array][])
    .filter(([, bytes]) => !quantizes(bytes))
    .map(([variant]) => ({ variant, runtime: 'graph check', failures: ['quantizes nothing (no QuantizeLinear, DequantizeLinear, MatMulInteger, ConvInteger, QLinear* or int8 weight): every quantizable node was kept fp32'] }));
}

/** Throws, so nothing is written, when every compressed variant asked for was dropped; says why for each. */
export function checkSomethingWritten(asked: readonly VariantName[], written: readonly VariantName[], dropped: readonly DroppedVariant[]): void {
  const compressed = asked.filter((v) => v !== 'fp32');
  if (compressed.length === 0 || compressed.some((v) => written.includes(v))) return;
  const why = dropped.map((d) => `${d.variant}: ${d.failures.join('; ')}`).join('; ');
  throw new CompressInputError(`no variant meets the fidelity floors, nothing written: ${why} (--only fp32 writes the reference alone)`);
}

/** The stderr warning when some variants were dropped and others written: one line. */
export function dropWarning(written: readonly VariantName[], dropped: readonly DroppedVariant[]): string | undefined {
  if (dropped.length === 0) return undefined;
  return `compress: WARNING: wrote ${written.join(', ')}; dropped ${dropped.map((d) => `${d.variant} (${d.failures.join('; ')})`).join(', ')}; see provenance.dropped_variants`;
}
