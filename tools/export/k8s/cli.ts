/**
 * `npm run export:k8s -- --out <dir>`: Kubernetes manifests for the cloud tier (manifests.ts), from the
 * catalog and the gateway's policy. Options (defaults in brackets):
 *   --config <file>          the gateway policy to derive from [wrangler.toml]; a .json is GATEWAY_CONFIG itself
 *   --models-dir <dir>       [models]
 *   --namespace <ns>         [inference]
 *   --name <name>            the InferenceService; plain Deployments are <name>-triton, <name>-origin [cloud-tier]
 *   --storage-uri <uri>      where KServe finds the repository of export:triton [pvc://triton-repository]
 *   --repository-claim <pvc> the read-only claim holding it for plain Triton [triton-repository]
 *   --triton-image <image>   [nvcr.io/nvidia/tritonserver:26.07-py3]
 *   --origin-image <image>   origin/Dockerfile's image [edge-gateway-origin:latest]
 *   --prometheus <url>       where KEDA queries the queue metrics [http://prometheus-operated.monitoring.svc:9090]
 *   --public-url <url>       the gateway's ORIGIN_URL [https://origin.example.com]
 *   --min-replicas, --max-replicas [1, 4]   --cpus <n> cores per replica [2]
 *   --include-edge-only, --model <name> (repeatable): which models, as in export:triton
 */
import { parseArgs } from 'node:util';
import { readManifests } from '../../lib/manifests.js';
import { cloudModels, readGatewayConfig } from '../policy.js';
import { explain } from '../slo.js';
import { writeK8sManifests } from './manifests.js';

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: v } = parseArgs({
    options: {
      out: { type: 'string' },
      config: { type: 'string', default: 'wrangler.toml' },
      'models-dir': { type: 'string', default: 'models' },
      namespace: { type: 'string', default: 'inference' },
      name: { type: 'string', default: 'cloud-tier' },
      'storage-uri': { type: 'string', default: 'pvc://triton-repository' },
      'repository-claim': { type: 'string', default: 'triton-repository' },
      'triton-image': { type: 'string', default: 'nvcr.io/nvidia/tritonserver:26.07-py3' },
      'origin-image': { type: 'string', default: 'edge-gateway-origin:latest' },
      prometheus: { type: 'string', default: 'http://prometheus-operated.monitoring.svc:9090' },
      'public-url': { type: 'string', default: 'https://origin.example.com' },
      'min-replicas': { type: 'string', default: '1' },
      'max-replicas': { type: 'string', default: '4' },
      cpus: { type: 'string', default: '2' },
      'include-edge-only': { type: 'boolean', default: false },
      model: { type: 'string', multiple: true },
    },
  });
  if (!v.out) {
    console.error('usage: npm run export:k8s -- --out <dir> [--config wrangler.toml] [--storage-uri <uri>] [--namespace inference] [--public-url https://...] (see tools/export/k8s/cli.ts)');
    process.exit(2);
  }
  const config = readGatewayConfig(v.config!);
  const models = cloudModels(config, readManifests(v['models-dir']!), { includeEdgeOnly: v['include-edge-only'], only: v.model ?? [] });
  const { files, targets } = writeK8sManifests({
    out: v.out,
    config,
    models,
    namespace: v.namespace!,
    name: v.name!,
    storageUri: v['storage-uri']!,
    repositoryClaim: v['repository-claim']!,
    tritonImage: v['triton-image']!,
    originImage: v['origin-image']!,
    prometheus: v.prometheus!,
    publicUrl: v['public-url']!,
    minReplicas: Number(v['min-replicas']),
    maxReplicas: Number(v['max-replicas']),
    cpus: Number(v.cpus),
  });
  for (const t of targets) console.log(`  ${explain(t)}`);
  for (const f of files) console.log(f);
  console.log(`k8s: ${files.length} files in ${v.out} for ${models.length} models (from ${v.config})`);
}
