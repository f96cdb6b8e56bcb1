/**
 * The cloud tier on KServe: an InferenceService (modelFormat onnx, protocol v2, runtime kserve-tritonserver)
 * whose storageUri holds the repository `npm run export:triton` wrote, and the namespaced ServingRuntime of that
 * name it runs on. KServe installs a ClusterServingRuntime `kserve-tritonserver` too; the namespaced one wins in
 * its namespace, and carries what the exported repository needs: Triton started on the strict config it was
 * written with (no auto-complete), the replica size and probes of this catalog, metrics on 8002. Standard
 * (raw Deployment) mode with KEDA scaling on queue time, as in autoscale.ts.
 */
import type { Probes, ReplicaSize } from './sizing.js';
import { probes, resources } from './sizing.js';
import type { ScalingOptions } from './autoscale.js';
import { kserveMetrics } from './autoscale.js';
import type { CloudTargets } from '../slo.js';

export const RUNTIME = 'kserve-tritonserver';
/** KServe's ports for a v2 runtime: HTTP on 8080 (what its Service targets), gRPC on 9000. */
const HTTP_PORT = 8080;

export interface KServeOptions extends ScalingOptions {
  name: string;
  storageUri: string;
  tritonImage: string;
  size: ReplicaSize;
}

/** Triton's arguments, shared with the plain Deployment: the repository as written, nothing guessed. */
export function tritonArgs(repository: string, ports: { http: number; grpc: number; metrics: number }): string[] {
  return [
    'tritonserver',
    `--model-repository=${repository}`,
    `--http-port=${ports.http}`,
    `--grpc-port=${ports.grpc}`,
    `--metrics-port=${ports.metrics}`,
    // The exported config.pbtxt is complete and checked against the graph: Triton must not fill gaps itself.
    '--disable-auto-complete-config',
    '--model-control-mode=none',
    // A model that fails to load fails the pod, which the startup probe then reports, instead of a half-served catalog.
    '--exit-on-error=true',
    '--strict-readiness=true',
  ];
}

/** Triton's container security settings: the image's user 1000, nothing else (KServe's own runtime does the same). */
export const TRITON_SECURITY = { runAsUser: 1000, runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, capabilities: { drop: ['ALL'] } };

export function servingRuntime(o: KServeOptions): Record<string, unknown> {
  const p: Probes = probes(HTTP_PORT, o.size);
  return {
    apiVersion: 'serving.kserve.io/v1alpha1',
    kind: 'ServingRuntime',
    metadata: { name: RUNTIME, namespace: o.namespace, annotations: { 'serving.kserve.io/server-type': 'tritonserver' } },
    spec: {
      annotations: { 'prometheus.kserve.io/port': '8002', 'prometheus.kserve.io/path': '/metrics' },
      supportedModelFormats: [{ name: 'onnx', version: '1', autoSelect: true, priority: 1 }],
      protocolVersions: ['v2', 'grpc-v2'],
      containers: [
        {
          name: 'kserve-container',
          image: o.tritonImage,
          args: tritonArgs('/mnt/models', { http: HTTP_PORT, grpc: 9000, metrics: 8002 }),
          securityContext: TRITON_SECURITY,
          resources: resources(o.size),
          ...p,
        },
      ],
    },
  };
}

export function inferenceService(o: KServeOptions, targets: CloudTargets[]): Record<string, unknown> {
  return {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      annotations: { 'serving.kserve.io/deploymentMode': 'Standard', 'serving.kserve.io/autoscalerClass': 'keda' },
    },
    spec: {
      predictor: {
        minReplicas: o.minReplicas,
        maxReplicas: o.maxReplicas,
        autoScaling: { metrics: kserveMetrics(targets, o) },
        model: {
          modelFormat: { name: 'onnx' },
          protocolVersion: 'v2',
          runtime: RUNTIME,
          storageUri: o.storageUri,
          resources: resources(o.size),
        },
      },
    },
  };
}
