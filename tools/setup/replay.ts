/**
 * Setup-time rebuild of a compressed model's variant files from its committed manifest: the source model
 * (a file from node_modules, the synthetic transformer from its config, or mnist-wide retrained from its config) is checked against
 * `provenance.source_sha256`, then fp16, int8 and int8w are rebuilt from `provenance.recipe` (plus the committed
 * calibration-ranges.json for static INT8) with the same deterministic passes the CLI used. No measurement.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRECISIONS, type ModelManifest, type VariantName } from '../../src/registry/manifest.js';
import { makeStructured, type StructuredRecipe } from '../prune/variants.js';
import { sha256 } from '../lib/sha256.js';
import { encodeModel, writeFileAtomic } from '../onnx/io.js';
import type { TransformerConfig } from '../models/transformer/config.js';
import { buildTransformer } from '../models/transformer/graph.js';
import { trainWide, type WideConfig } from '../models/mnist-wide/train.js';
import type { ActivationRanges } from '../compress/passes/int8-static.js';
import { readSource } from '../compress/source/read.js';
import { buildSome, type PartialRecipe, type Recipe } from '../compress/passes/recipe.js';

interface CompressProvenance {
  source: { file?: string; generator?: string; config?: TransformerConfig | WideConfig };
  source_sha256: string;
  /** Entries only for the variants that were built (`--only` leaves some out). */
  recipe: Pick<Recipe, 'upgrade'> & Partial<Pick<Recipe, 'fp16'>> & { int8?: Omit<Recipe['int8'], 'ranges'> & { ranges_file?: string } };
}

/** Writes the requested variant files of `dir` (fp32 copied/generated, fp16/int8/int8w rebuilt); returns their sha256. */
export function replayCompressed(dir: string, manifest: ModelManifest, variants: readonly VariantName[]): Record<string, { bytes: number; sha256: string }> {
  const prov = manifest.provenance as unknown as CompressProvenance;
  let fp32: Uint8Array;
  if (prov.source.file) {
    if (!existsSync(prov.source.file)) throw new Error(`source ${prov.source.file} is missing (npm ci installs it)`);
    fp32 = new Uint8Array(readFileSync(prov.source.file));
  } else if (prov.source.generator === 'transformer' && prov.source.config) {
    fp32 = encodeModel(buildTransformer(prov.source.config as TransformerConfig));
  } else if (prov.source.generator === 'mnist-wide' && prov.source.config) {
    fp32 = encodeModel(trainWide(prov.source.config as WideConfig).model); // trained here: ~20 s of CPU
  } else throw new Error('provenance.source names neither a file nor a known generator');
  if (sha256(fp32) !== prov.source_sha256) throw new Error(`source model sha256 ${sha256(fp32)} differs from the recorded ${prov.source_sha256}; the source changed: rerun its models: script and commit the manifest`);
  const out: Record<string, { bytes: number; sha256: string }> = {};
  const write = (name: VariantName, bytes: Uint8Array) => {
    writeFileAtomic(join(dir, manifest.variants[name]!.file), bytes);
    out[name] = { bytes: bytes.length, sha256: sha256(bytes) };
  };
  if (variants.includes('fp32')) write('fp32', fp32);
  if (variants.some((v) => v !== 'fp32')) {
    const tmp = join(dir, manifest.variants.fp32!.file);
    if (!variants.includes('fp32') && !existsSync(tmp)) write('fp32', fp32);
    const src = readSource(tmp);
    const { ranges_file, ...int8 } = prov.recipe.int8 ?? {};
    const ranges = ranges_file ? (JSON.parse(readFileSync(join(dir, ranges_file), 'utf8')) as ActivationRanges) : undefined;
    const recipe: PartialRecipe = { ...prov.recipe, int8: prov.recipe.int8 ? { ...(int8 as Recipe['int8']), ...(ranges ? { ranges } : {}) } : undefined };
    const built = buildSome(src.model, recipe);
    for (const v of ['fp16', 'int8'] as const) {
      if (!variants.includes(v)) continue;
      if (!built[v]) throw new Error(`${v}: provenance.recipe has no ${v} entry to rebuild it from`);
      write(v, built[v]);
    }
    if (variants.includes('int8w')) {
      if (!built.int8w) throw new Error('the manifest has an int8w variant but its recipe has no int8w entry');
      write('int8w', built.int8w.bytes);
    }
  }
  return out;
}

/**
 * Rebuilds pruned and distilled variants (their names are not precisions) from `provenance.recipe.structured`
 * and the fp32 file (checked before: it is a variant like the others): the same seeded training on the same
 * rows, in TensorFlow.js WASM and onnxruntime-web WASM, whose arithmetic does not depend on the CPU.
 */
export async function replayStructured(dir: string, manifest: ModelManifest, variants: readonly VariantName[], log: (line: string) => void = () => {}): Promise<Record<string, { bytes: number; sha256: string }>> {
  const wanted = variants.filter((v) => !(PRECISIONS as readonly string[]).includes(v));
  if (!wanted.length) return {};
  const recipe = (manifest.provenance as { recipe?: { structured?: StructuredRecipe } }).recipe?.structured;
  if (!recipe) throw new Error(`${wanted.join(', ')}: provenance.recipe has no structured entry to rebuild them from`);
  const fp32 = new Uint8Array(readFileSync(join(dir, manifest.variants.fp32!.file)));
  const { variants: made } = await makeStructured(fp32, recipe, { only: wanted, log });
  const out: Record<string, { bytes: number; sha256: string }> = {};
  for (const v of made.filter((m) => wanted.includes(m.name))) {
    writeFileAtomic(join(dir, manifest.variants[v.name]!.file), v.bytes);
    out[v.name] = { bytes: v.bytes.length, sha256: sha256(v.bytes) };
  }
  return out;
}
