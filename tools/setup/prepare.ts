/**
 * `npm run models`: the idempotent setup step run by `npm start` and CI. For every `models/<name>/`
 * with a manifest: committed variant files (mnist) must exist and match their sha256; generated ones
 * (synthetic transformers, `provenance.generator: "transformer"`) are regenerated from
 * `provenance.config` when missing or different, then verified; compressed models
 * (`provenance.generator: "compress"`) are rebuilt from their source and recorded recipe (tools/setup/replay.ts). Any mismatch after that fails loudly:
 * the gateway must never serve bytes its manifest does not describe. Prints one line per model.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ModelManifest, PRECISIONS, type VariantName } from '../../src/registry/manifest.js';
import { fileSha256 } from '../lib/sha256.js';
import type { TransformerConfig } from '../models/transformer/config.js';
import { generateTransformer } from '../models/transformer/generate.js';
import { replayCompressed, replayStructured } from './replay.js';

const MODELS_DIR = process.argv[2] ?? 'models';

/** Variant names whose file is missing or differs from the manifest (size first: cheap). */
async function staleVariants(dir: string, manifest: ModelManifest): Promise<VariantName[]> {
  const stale: VariantName[] = [];
  for (const [name, v] of Object.entries(manifest.variants) as [VariantName, NonNullable<ModelManifest['variants'][VariantName]>][]) {
    const path = join(dir, v.file);
    if (!existsSync(path) || statSync(path).size !== v.bytes || (await fileSha256(path)) !== v.sha256) stale.push(name);
  }
  return stale;
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

async function prepare(name: string): Promise<string> {
  const dir = join(MODELS_DIR, name);
  const manifest = ModelManifest.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));
  const variants = Object.entries(manifest.variants);
  const total = variants.reduce((n, [, v]) => n + v!.bytes, 0);
  const stale = await staleVariants(dir, manifest);
  if (stale.length === 0) return `${name}: ok, ${variants.length} variants verified (${mib(total)})`;
  const generator = manifest.provenance['generator'];
  if (generator === 'compress') {
    const started = performance.now();
    const precisions = stale.filter((v) => (PRECISIONS as readonly string[]).includes(v));
    // Precisions first: fp32 (verified or rebuilt here) is what pruned and distilled variants are trained from.
    const written = { ...replayCompressed(dir, manifest, precisions), ...(await replayStructured(dir, manifest, stale)) };
    for (const v of stale) {
      const expected = manifest.variants[v]!;
      if (written[v]?.sha256 !== expected.sha256) {
        throw new Error(`${name}/${v}: rebuilt file does not match the manifest (sha256 ${written[v]?.sha256} != ${expected.sha256}); the compress passes changed: rerun ${String(manifest.provenance['command'])} and commit the manifest`);
      }
    }
    return `${name}: rebuilt ${stale.join(', ')} from the recorded recipe in ${((performance.now() - started) / 1000).toFixed(1)}s, sha256 verified (${mib(total)})`;
  }
  if (generator !== 'transformer') {
    throw new Error(`${name}: ${stale.join(', ')} missing or not matching manifest sha256; these files are committed, restore them (git checkout) or rebuild with npm run models:${name}`);
  }
  const started = performance.now();
  const written = generateTransformer(manifest.provenance['config'] as TransformerConfig, dir, stale);
  for (const v of stale) {
    const expected = manifest.variants[v]!;
    const got = written[v]!;
    if (got.sha256 !== expected.sha256 || got.bytes !== expected.bytes) {
      throw new Error(`${name}/${v}: regenerated file does not match the manifest (sha256 ${got.sha256} != ${expected.sha256}); the generator changed: rerun npm run models:transformer and commit the manifest`);
    }
  }
  return `${name}: generated ${stale.join(', ')} in ${((performance.now() - started) / 1000).toFixed(1)}s, sha256 verified (${mib(total)})`;
}

const names = readdirSync(MODELS_DIR).filter((d) => existsSync(join(MODELS_DIR, d, 'manifest.json'))).sort();
let failed = false;
for (const name of names) {
  try {
    console.log(await prepare(name));
  } catch (err) {
    failed = true;
    console.error(`${name}: FAILED: ${(err as Error).message}`);
  }
}
if (failed) process.exit(1);
