/**
 * The Kubernetes manifests the export writes: every document of every file validates against its schema
 * (built-ins and KEDA through kubernetes-models, KServe's kinds through their CRDs' OpenAPI schemas), and says
 * what the cloud tier needs: KServe's onnx/v2/kserve-tritonserver with the storageUri given, the v2 health
 * probes with a startup allowance from the models' load times, memory from their measured figures, the
 * origin's config in the gateway's own schema, and a wrangler snippet that routes the gateway there.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { replicaSize } from '../../tools/export/k8s/sizing.js';
import { closeObjects, validateDocument } from '../../tools/export/k8s/validate.js';
import { cloudModels } from '../../tools/export/policy.js';
import { config, K8S, k8sExport, manifests, yamlDocuments } from './fixtures.js';

const { dir, files } = k8sExport();
const docs = (rel: string) => yamlDocuments(join(dir, rel));
const kinds = (rel: string) => docs(rel).map((d) => d['kind']);

describe('the exported Kubernetes manifests', () => {
  it('writes KServe, plain Triton, our origin and the gateway snippet', () => {
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['kserve/inferenceservice.yaml', 'kserve/servingruntime.yaml', 'origin/deployment.yaml', 'triton/deployment.yaml', 'wrangler-origin.toml']);
    expect(kinds('triton/deployment.yaml')).toEqual(['Deployment', 'Service', 'ScaledObject']);
    expect(kinds('origin/deployment.yaml')).toEqual(['ConfigMap', 'Deployment', 'Service', 'ScaledObject']);
  });

  it.each(['kserve/inferenceservice.yaml', 'kserve/servingruntime.yaml', 'triton/deployment.yaml', 'origin/deployment.yaml'])('%s: every document validates against its schema', (rel) => {
    for (const [i, doc] of docs(rel).entries()) expect(() => validateDocument(doc, `${rel} #${i + 1}`)).not.toThrow();
  });

  it('runs the InferenceService as onnx on kserve-tritonserver over v2, from the storageUri it was given', () => {
    const [isvc] = docs('kserve/inferenceservice.yaml');
    const [runtime] = docs('kserve/servingruntime.yaml');
    expect(isvc!['spec'].predictor.model).toMatchObject({ modelFormat: { name: 'onnx' }, protocolVersion: 'v2', runtime: 'kserve-tritonserver', storageUri: K8S.storageUri });
    expect(runtime!['metadata'].name).toBe('kserve-tritonserver');
    expect(runtime!['spec'].supportedModelFormats).toContainEqual(expect.objectContaining({ name: 'onnx' }));
    expect(runtime!['spec'].containers[0].args).toEqual(expect.arrayContaining(['--model-repository=/mnt/models', '--disable-auto-complete-config']));
  });

  it('probes the v2 health routes, with a startup allowance sized to the models\' measured load times', () => {
    const size = replicaSize(cloudModels(config(), manifests()), 2);
    const [deployment] = docs('triton/deployment.yaml');
    const c = deployment!['spec'].template.spec.containers[0];
    expect([c.livenessProbe.httpGet.path, c.readinessProbe.httpGet.path, c.startupProbe.httpGet.path]).toEqual(['/v2/health/live', '/v2/health/ready', '/v2/health/ready']);
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBe(size.startupAllowanceS);
    const loadS = cloudModels(config(), manifests()).reduce((s, m) => s + m.manifest.variants[m.variant]!.latency.load_ms / 1000, 0);
    expect(size.startupAllowanceS).toBeGreaterThan(loadS);
    expect(c.resources.requests).toEqual(c.resources.limits);
    expect(c.resources.requests.memory).toBe(`${size.memoryBytes / 1024 / 1024}Mi`);
    expect(c.volumeMounts).toContainEqual({ name: 'models', mountPath: '/models', readOnly: true });
  });

  it('gives our origin a config the gateway\'s schema accepts, its tokens from a Secret, a read-only root', () => {
    const [configMap, deployment] = docs('origin/deployment.yaml');
    const originConfig = parseConfig(configMap!['data']['config.json']);
    expect(originConfig.models['mnist']?.slo_ms).toBe(config().models['mnist']?.slo_ms);
    const c = deployment!['spec'].template.spec.containers[0];
    expect(c.env.map((e: { name: string }) => e.name)).toEqual(['ORIGIN_TOKEN', 'ORIGIN_ADMIN_TOKEN']);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(deployment!['spec'].template.spec.securityContext.runAsNonRoot).toBe(true);
  });

  it('writes a wrangler snippet that, merged into wrangler.toml, routes the gateway to the tier', () => {
    const snippet = parseToml(readFileSync(join(dir, 'wrangler-origin.toml'), 'utf8')) as { vars: { ORIGIN_URL: string; GATEWAY_CONFIG: { origin: Record<string, unknown> } } };
    const deployed = parseToml(readFileSync('wrangler.toml', 'utf8')) as { vars: { GATEWAY_CONFIG: { origin: Record<string, unknown> } } };
    const merged = { ...deployed.vars.GATEWAY_CONFIG, origin: { ...deployed.vars.GATEWAY_CONFIG.origin, ...snippet.vars.GATEWAY_CONFIG.origin } };
    const gateway = parseConfig(merged, { originUrl: snippet.vars.ORIGIN_URL });
    expect(gateway.origin).toMatchObject({ url: K8S.publicUrl, binary: true, variant: config().origin.variant });
  });
});

describe('validation', () => {
  const isvc = () => structuredClone(docs('kserve/inferenceservice.yaml')[0]!);

  it('refuses a KServe field the CRD does not have, as Kubernetes would silently prune it', () => {
    const doc = isvc();
    doc['spec'].predictor.model.protocolVersions = 'v2';
    expect(() => validateDocument(doc)).toThrow(/protocolVersions/);
  });

  it.each([
    ['a wrong type', (d: Record<string, any>) => (d['spec'].predictor.minReplicas = 'one'), /minReplicas/],
    ['a value outside an enum', (d: Record<string, any>) => (d['spec'].predictor.autoScaling.metrics[0].external.target.type = 'Average'), /target\/type/],
  ])('refuses %s in an InferenceService', (_what, change, error) => {
    const doc = isvc();
    change(doc);
    expect(() => validateDocument(doc)).toThrow(error);
  });

  it('refuses a built-in missing what its schema requires, and a kind it has no schema for', () => {
    const [deployment] = docs('triton/deployment.yaml');
    delete deployment!['spec'].selector;
    expect(() => validateDocument(deployment)).toThrow(/selector/);
    expect(() => validateDocument({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toThrow(/no schema for example.com\/v1\/Widget/);
  });

  it('leaves open what the CRD leaves open', () => {
    expect(closeObjects({ type: 'object', properties: { a: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { b: {} } } } })).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: { a: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { b: {} } } },
    });
  });
});
