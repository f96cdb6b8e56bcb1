/**
 * Writes the cloud tier's Kubernetes manifests under one folder, each document validated first (validate.ts):
 *   kserve/   the InferenceService and its ServingRuntime (the repository of export:triton at --storage-uri)
 *   triton/   Deployment + Service + ScaledObject for Triton without KServe (repository on a read-only claim)
 *   origin/   ConfigMap + Deployment + Service + ScaledObject for our own origin (origin/Dockerfile's image)
 *   wrangler-origin.toml   the gateway's settings that route it to whichever of them is deployed
 * Each model's queue-time target comes from its SLO (../slo.ts), the replica size from the manifests (sizing.ts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { GatewayConfig } from '../../../src/config.js';
import type { CloudModel } from '../policy.js';
import type { CloudTargets } from '../slo.js';
import { cloudTargets } from '../slo.js';
import type { ScalingOptions } from './autoscale.js';
import { inferenceService, servingRuntime } from './kserve.js';
import { originDeployment, tritonDeployment } from './plain.js';
import { replicaSize } from './sizing.js';
import { validateDocument } from './validate.js';
import { wranglerSnippet } from './wrangler-snippet.js';

export interface K8sExportOptions extends ScalingOptions {
  out: string;
  config: GatewayConfig;
  models: CloudModel[];
  /** The InferenceService's name; the plain Deployments are `<name>-triton` and `<name>-origin`. */
  name: string;
  storageUri: string;
  tritonImage: string;
  originImage: string;
  repositoryClaim: string;
  publicUrl: string;
  cpus: number;
}

/** Plain JSON of a document (kubernetes-models instances carry their class). */
const plain = (doc: object): Record<string, unknown> => JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;

function writeDocuments(path: string, header: string[], docs: object[]): void {
  const texts = docs.map((d, i) => {
    const json = plain(d);
    validateDocument(json, `${path} #${i + 1}`);
    return stringify(json, { lineWidth: 0 });
  });
  writeFileSync(path, header.map((l) => `# ${l}`).join('\n') + '\n' + texts.join('---\n'));
}

/** Writes every manifest; answers the files written and the targets they scale on. */
export function writeK8sManifests(o: K8sExportOptions): { files: string[]; targets: CloudTargets[] } {
  const targets = o.models.map((m) => cloudTargets(o.config, m.manifest, m.variant));
  const tritonSize = replicaSize(o.models, o.cpus);
  // The origin may hold more than the served variants: pinned ones, up to its memory budget.
  const originSize = replicaSize(o.models, o.cpus, o.config.origin_limits.memory_budget_bytes);
  const names = { triton: `${o.name}-triton`, origin: `${o.name}-origin` };
  const scaling = { namespace: o.namespace, prometheus: o.prometheus, minReplicas: o.minReplicas, maxReplicas: o.maxReplicas };
  const models = o.models.map((m) => `${m.manifest.name}/${m.variant}`).join(', ');
  const header = (what: string) => [`${what}: written by \`npm run export:k8s\` for ${models}.`, 'Queue-time targets derive from the gateway SLOs; sizes from the manifests. Re-export instead of editing.'];
  const files: Record<string, [string[], object[]]> = {
    'kserve/servingruntime.yaml': [header('the ServingRuntime the InferenceService runs on'), [servingRuntime({ ...scaling, name: o.name, storageUri: o.storageUri, tritonImage: o.tritonImage, size: tritonSize })]],
    'kserve/inferenceservice.yaml': [header('the cloud tier on KServe'), [inferenceService({ ...scaling, name: o.name, storageUri: o.storageUri, tritonImage: o.tritonImage, size: tritonSize }, targets)]],
    'triton/deployment.yaml': [header('Triton without KServe'), tritonDeployment({ ...scaling, name: names.triton, image: o.tritonImage, size: tritonSize, repositoryClaim: o.repositoryClaim }, targets)],
    'origin/deployment.yaml': [header('our own origin (origin/Dockerfile)'), originDeployment({ ...scaling, name: names.origin, image: o.originImage, size: originSize }, o.config, targets)],
  };
  const written: string[] = [];
  for (const [rel, [head, docs]] of Object.entries(files)) {
    const path = join(o.out, rel);
    mkdirSync(join(path, '..'), { recursive: true });
    writeDocuments(path, head, docs);
    written.push(path);
  }
  const svc = (name: string, port: number) => `http://${name}.${o.namespace}.svc.cluster.local:${port}`;
  const snippet = join(o.out, 'wrangler-origin.toml');
  writeFileSync(
    snippet,
    wranglerSnippet(o.config, {
      publicUrl: o.publicUrl,
      services: { KServe: svc(`${o.name}-predictor`, 80), Triton: svc(names.triton, 8000), 'our origin': svc(names.origin, 8788) },
    }),
  );
  return { files: [...written, snippet], targets };
}
