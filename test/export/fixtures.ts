/**
 * One export of the catalog per test run, shared by the export tests: the Triton repository (weights linked)
 * and the Kubernetes manifests, both from the deployment's own wrangler.toml. On a fresh clone only the
 * committed variant files exist until `npm run models` (npm test runs it before the unit tier's second pass):
 * models whose files are missing are left out and listed in `missing`, so a test can say so.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readManifests } from '../../tools/lib/manifests.js';
import type { CloudModel } from '../../tools/export/policy.js';
import { cloudModels, readGatewayConfig } from '../../tools/export/policy.js';
import type { ExportedModel } from '../../tools/export/triton/repository.js';
import { writeTritonRepository } from '../../tools/export/triton/repository.js';

export const MODELS_DIR = 'models';
export const WRANGLER = 'wrangler.toml';

export const config = () => readGatewayConfig(WRANGLER);
export const manifests = () => readManifests(MODELS_DIR);

const hasFiles = (m: CloudModel) => existsSync(join(MODELS_DIR, m.manifest.name, m.manifest.variants[m.variant]!.file));

let triton: { dir: string; models: CloudModel[]; written: ExportedModel[]; missing: string[] } | undefined;

/** The catalog exported as a Triton repository once (weights linked); models without their files left out. */
export function tritonExport() {
  if (!triton) {
    const all = cloudModels(config(), manifests());
    const models = all.filter(hasFiles);
    const dir = mkdtempSync(join(tmpdir(), 'triton-export-'));
    // Shared by every export test of the run (the unit tier shares its module cache): removed when it ends.
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const written = writeTritonRepository({ out: dir, config: config(), models, modelsDir: MODELS_DIR, variants: 'served', weights: 'link', cpus: 2 });
    triton = { dir, models, written, missing: all.filter((m) => !hasFiles(m)).map((m) => m.manifest.name) };
  }
  return triton;
}
