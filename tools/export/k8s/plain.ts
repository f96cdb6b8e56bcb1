/**
 * The cloud tier without KServe: a Deployment, a Service and a KEDA ScaledObject, either for Triton (reading
 * the exported repository from a read-only volume) or for our own origin (origin/Dockerfile's image, its
 * models inside the image, read-only). Both expose the v2 health routes the probes call and Triton's queue
 * metrics the scaler reads. The origin's policy comes from the same gateway config, its per-model batching
 * window replaced by the one derived from the SLO (../slo.ts), so both tiers batch alike.
 */
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import type { GatewayConfig } from '../../../src/config.js';
import type { CloudTargets } from '../slo.js';
import type { ScalingOptions } from './autoscale.js';
import { scaledObject } from './autoscale.js';
import { tritonArgs, TRITON_SECURITY } from './kserve.js';
import type { ReplicaSize } from './sizing.js';
import { probes, resources } from './sizing.js';

export interface PlainOptions extends ScalingOptions {
  name: string;
  image: string;
  size: ReplicaSize;
}

const scrape = (port: number) => ({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(port), 'prometheus.io/path': '/metrics' });

function service(o: PlainOptions, ports: { name: string; port: number }[]): Service {
  return new Service({
    metadata: { name: o.name, namespace: o.namespace, labels: { app: o.name } },
    spec: { selector: { app: o.name }, ports: ports.map((p) => ({ name: p.name, port: p.port, targetPort: p.name, protocol: 'TCP' })) },
  });
}

/** Triton serving the exported repository from the read-only claim `repositoryClaim`. */
export function tritonDeployment(o: PlainOptions & { repositoryClaim: string }, targets: CloudTargets[]): object[] {
  const deployment = new Deployment({
    metadata: { name: o.name, namespace: o.namespace, labels: { app: o.name } },
    spec: {
      replicas: o.minReplicas,
      selector: { matchLabels: { app: o.name } },
      template: {
        metadata: { labels: { app: o.name }, annotations: scrape(8002) },
        spec: {
          securityContext: { runAsUser: 1000, runAsNonRoot: true, fsGroup: 1000 },
          containers: [
            {
              name: 'triton',
              image: o.image,
              args: tritonArgs('/models', { http: 8000, grpc: 8001, metrics: 8002 }),
              ports: [
                { name: 'http', containerPort: 8000 },
                { name: 'grpc', containerPort: 8001 },
                { name: 'metrics', containerPort: 8002 },
              ],
              resources: resources(o.size),
              ...probes('http', o.size),
              securityContext: TRITON_SECURITY,
              volumeMounts: [{ name: 'models', mountPath: '/models', readOnly: true }],
            },
          ],
          volumes: [{ name: 'models', persistentVolumeClaim: { claimName: o.repositoryClaim, readOnly: true } }],
        },
      },
    },
  });
  const svc = service(o, [
    { name: 'http', port: 8000 },
    { name: 'metrics', port: 8002 },
  ]);
  return [deployment, svc, new ScaledObject(scaledObject(o.name, o.name, targets, o))];
}

/**
 * The origin's own config (GATEWAY_CONFIG's schema, read by origin/server.ts --config): the gateway's policy,
 * limits and origin limits, each model's batching window derived from its SLO.
 */
export function originPolicy(config: GatewayConfig, targets: CloudTargets[]): Record<string, unknown> {
  const models: Record<string, Record<string, unknown>> = {};
  for (const [name, policy] of Object.entries(config.models)) models[name] = { ...policy };
  for (const t of targets) models[t.model] = { ...models[t.model], max_queue_delay_ms: t.max_queue_delay_us / 1000 };
  return { policy: config.policy, models, limits: config.limits, origin_limits: config.origin_limits, origin: { timeout_ms: config.origin.timeout_ms, variant: config.origin.variant } };
}

/** Our origin (origin/Dockerfile's image): tokens from the Secret `<name>-tokens`, its config from a ConfigMap. */
export function originDeployment(o: PlainOptions, config: GatewayConfig, targets: CloudTargets[]): object[] {
  const configMap = new ConfigMap({
    metadata: { name: `${o.name}-config`, namespace: o.namespace },
    data: { 'config.json': JSON.stringify(originPolicy(config, targets), null, 1) + '\n' },
  });
  const secret = (key: string) => ({ secretKeyRef: { name: `${o.name}-tokens`, key } });
  const deployment = new Deployment({
    metadata: { name: o.name, namespace: o.namespace, labels: { app: o.name } },
    spec: {
      replicas: o.minReplicas,
      selector: { matchLabels: { app: o.name } },
      template: {
        metadata: { labels: { app: o.name }, annotations: scrape(8788) },
        spec: {
          // The image's `node` user; its files (the models among them) belong to root and are read-only to it.
          securityContext: { runAsUser: 1000, runAsGroup: 1000, runAsNonRoot: true },
          containers: [
            {
              name: 'origin',
              image: o.image,
              args: ['node', 'origin.mjs', '--host', '0.0.0.0', '--port', '8788', '--models', '/app/models', '--config', '/etc/origin/config.json'],
              env: [
                { name: 'ORIGIN_TOKEN', valueFrom: secret('token') },
                // /metrics takes its own token: Prometheus scrapes with it (docs/deployment.md).
                { name: 'ORIGIN_ADMIN_TOKEN', valueFrom: secret('admin-token') },
              ],
              ports: [{ name: 'http', containerPort: 8788 }],
              resources: resources(o.size),
              ...probes('http', o.size),
              securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
              volumeMounts: [
                { name: 'config', mountPath: '/etc/origin', readOnly: true },
                { name: 'tmp', mountPath: '/tmp' },
              ],
            },
          ],
          volumes: [
            { name: 'config', configMap: { name: `${o.name}-config` } },
            { name: 'tmp', emptyDir: {} },
          ],
        },
      },
    },
  });
  return [configMap, deployment, service(o, [{ name: 'http', port: 8788 }]), new ScaledObject(scaledObject(o.name, o.name, targets, o))];
}
