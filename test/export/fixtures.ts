/**
 * One export of the catalog per test run, shared by the export tests: the Triton repository (weights linked)
 * and the Kubernetes manifests, both from the deployment's own wrangler.toml. On a fresh clone only the
 * committed variant files exist until `npm run models` (npm test runs it before the unit tier's second pass):
 * models whose files are missing are left out and listed in `missing`, so a test can say so.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { readManifests } from '../../tools/lib/manifests.js';
import type { CloudModel } from '../../tools/export/policy.js';
import { cloudModels, readGatewayConfig } from '../../tools/export/policy.js';
import type { ExportedModel } from '../../tools/export/triton/repository.js';
import { writeTritonRepository } from '../../tools/export/triton/repository.js';
import { writeK8sManifests } from '../../tools/export/k8s/manifests.js';

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

export const K8S = { namespace: 'inference', name: 'cloud-tier', storageUri: 's3://models-bucket/triton', publicUrl: 'https://origin.example.net' };

let k8s: { dir: string; files: string[] } | undefined;

/** The catalog's Kubernetes manifests, written once (they read manifests only: every model is there). */
export function k8sExport() {
  if (!k8s) {
    const dir = mkdtempSync(join(tmpdir(), 'k8s-export-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const { files } = writeK8sManifests({
      out: dir,
      config: config(),
      models: cloudModels(config(), manifests()),
      ...K8S,
      repositoryClaim: 'triton-repository',
      tritonImage: 'nvcr.io/nvidia/tritonserver:26.07-py3',
      originImage: 'edge-gateway-origin:test',
      prometheus: 'http://prometheus:9090',
      minReplicas: 1,
      maxReplicas: 4,
      cpus: 2,
    });
    k8s = { dir, files };
  }
  return k8s;
}

/** Every YAML document of an exported file, as plain objects. */
export function yamlDocuments(path: string): Record<string, any>[] {
  return parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as Record<string, any>);
}
