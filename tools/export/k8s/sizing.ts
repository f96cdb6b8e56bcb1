/**
 * What one replica of the cloud tier needs, from the manifests' measured figures: memory from the variants'
 * `edge_memory_bytes` (measured at batch 1), CPU from the replica size ops choose, and probes whose startup
 * allowance follows the measured load times of the models it must load before it answers ready (Triton and
 * our origin both load every served variant first). Triton's own Helm chart allows a fixed 300 s
 * (deploy/k8s-onprem: 30 x 10 s); this catalog needs far less, and a larger one gets more.
 */
import type { IProbe } from 'kubernetes-models/v1/Probe';
import type { CloudModel } from '../policy.js';

const MiB = 1024 * 1024;
/** A server process with no model loaded (Triton with its ONNX Runtime backend, or Node with onnxruntime-node). */
export const BASE_MEMORY_BYTES = 512 * MiB;
/** Room over the batch-1 figure for batched activations and the allocator's arena. */
export const MEMORY_HEADROOM = 2;
/** Process start before any model loads, and the factor over the measured load times (profiles come from a
 * bench box with the files in its page cache; a pod reads them cold from a volume). */
const STARTUP_BASE_S = 30;
const LOAD_HEADROOM = 5;
const STARTUP_PERIOD_S = 10;

export interface ReplicaSize {
  memoryBytes: number;
  cpus: number;
  /** What the startup probe allows before the container counts as failed (s). */
  startupAllowanceS: number;
}

/** Memory and startup allowance for a replica serving `models` (their served variants), `atLeastBytes` of models held. */
export function replicaSize(models: CloudModel[], cpus: number, atLeastBytes = 0): ReplicaSize {
  const served = models.map((m) => m.manifest.variants[m.variant]!);
  const modelBytes = Math.max(MEMORY_HEADROOM * served.reduce((n, v) => n + v.edge_memory_bytes, 0), atLeastBytes);
  const loadS = served.reduce((s, v) => s + v.latency.load_ms, 0) / 1000;
  return {
    memoryBytes: Math.ceil((BASE_MEMORY_BYTES + modelBytes) / (64 * MiB)) * 64 * MiB,
    cpus,
    startupAllowanceS: Math.ceil((STARTUP_BASE_S + LOAD_HEADROOM * loadS) / STARTUP_PERIOD_S) * STARTUP_PERIOD_S,
  };
}

/** Kubernetes quantities for a size: requests equal limits, so the pod is Guaranteed and never OOM-killed first. */
export function resources(size: ReplicaSize) {
  const amounts = { cpu: String(size.cpus), memory: `${Math.round(size.memoryBytes / MiB)}Mi` };
  return { requests: { ...amounts }, limits: { ...amounts } };
}

export interface Probes {
  startupProbe: IProbe;
  livenessProbe: IProbe;
  readinessProbe: IProbe;
}

/**
 * The v2 health routes, Triton's and ours alike: live once the process serves HTTP, ready once every model is
 * loaded (Triton answers 400 until then, our origin does not listen until then). The startup probe holds the
 * other two off for the replica's allowance.
 */
export function probes(port: number | string, size: ReplicaSize): Probes {
  const get = (path: string) => ({ httpGet: { path, port } });
  return {
    startupProbe: { ...get('/v2/health/ready'), periodSeconds: STARTUP_PERIOD_S, failureThreshold: size.startupAllowanceS / STARTUP_PERIOD_S, timeoutSeconds: 2 },
    livenessProbe: { ...get('/v2/health/live'), periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
    readinessProbe: { ...get('/v2/health/ready'), periodSeconds: 5, failureThreshold: 3, timeoutSeconds: 2 },
  };
}
