/**
 * Scaling the cloud tier on queue time, the signal the SLO speaks about: per model, the average time a request
 * waited in the server's queue over the last minute, from Triton's counters (our origin exports the same
 * names): rate(nv_inference_queue_duration_us) / rate(nv_inference_request_success). Each model's target is
 * its own, derived from its SLO (../slo.ts `queue_target_us`), and the replica count is the largest any model
 * asks for.
 *
 * Mechanism: KEDA, a ScaledObject with one `prometheus` trigger per model (metricType Value: the HPA KEDA
 * makes scales replicas by current x observed / target). Chosen over an HPA fed by prometheus-adapter (what
 * Triton's own chart does) because the query and its threshold live together in one object, so the export
 * writes each model's pair from one derivation and no adapter rule can drift from the HPA that reads it; KServe
 * drives the same KEDA trigger from its own InferenceService (`autoScaling.metrics[].external`, autoscalerClass
 * keda). The HPA alternative is documented in docs/deployment.md.
 */
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import type { CloudTargets } from '../slo.js';

/** Where the queue metrics are scraped, and how many replicas the tier may have. */
export interface ScalingOptions {
  namespace: string;
  prometheus: string;
  minReplicas: number;
  maxReplicas: number;
}

const WINDOW = '1m';

/** PromQL for a model's average queue time per request (µs) over the window, 0 when idle. */
export function queueTimeQuery(model: string, namespace: string): string {
  const labels = `{namespace="${namespace}",model="${model}"}`;
  return `sum(rate(nv_inference_queue_duration_us${labels}[${WINDOW}])) / clamp_min(sum(rate(nv_inference_request_success${labels}[${WINDOW}])), 0.001)`;
}

/** The KEDA ScaledObject scaling `deployment` on every model's queue time, each against its SLO-derived target. */
export function scaledObject(name: string, deployment: string, targets: CloudTargets[], o: ScalingOptions): IScaledObject {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name, namespace: o.namespace, labels: { app: deployment } },
    spec: {
      scaleTargetRef: { name: deployment },
      minReplicaCount: o.minReplicas,
      maxReplicaCount: o.maxReplicas,
      // Scale in slowly: a replica that goes away takes its loaded models with it.
      cooldownPeriod: 300,
      triggers: targets.map((t) => ({
        type: 'prometheus',
        name: `queue-${t.model}`,
        metricType: 'Value',
        metadata: { serverAddress: o.prometheus, query: queueTimeQuery(t.model, o.namespace), threshold: String(t.queue_target_us) },
      })),
    },
  };
}

/** The same triggers in KServe's InferenceService form (predictor.autoScaling.metrics). */
export function kserveMetrics(targets: CloudTargets[], o: ScalingOptions) {
  return targets.map((t) => ({
    type: 'External',
    external: {
      metric: { backend: 'prometheus', serverAddress: o.prometheus, query: queueTimeQuery(t.model, o.namespace) },
      target: { type: 'Value', value: t.queue_target_us },
    },
  }));
}
