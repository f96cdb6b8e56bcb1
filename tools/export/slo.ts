/**
 * One SLO everywhere: the cloud tier's queueing numbers are derived from the gateway's per-model SLO (its
 * `slo_ms`, resolved by the gateway's own precedence rule), never written a second time. Both exports (the
 * Triton repository and the Kubernetes manifests) call `cloudTargets`, and test/export/slo.unit.test.ts reads
 * the exported files back and fails when any of them disagrees with it.
 *
 * The arithmetic, per model, all in ms until the last step:
 *   compute  = the origin's predicted run of the smallest request the profile measured (the manifest's p95
 *              fit at its first point's items, times `origin.speed_factor`, as the gateway predicts it)
 *   budget   = slo - edge.request_overhead_ms - origin.expected_rtt_ms: what the origin has for one call of a
 *              client whose own network costs nothing (every other client has less)
 *   slack    = budget - compute: how long a request may wait in the origin's queue and still meet the SLO
 *   queue timeout = min(origin.timeout_ms, slo - request_overhead_ms + origin.deadline_grace_ms)
 *              - expected_rtt_ms - compute: the gateway abandons a call at its budget plus the grace
 *              (src/config.ts `deadline_grace_ms`), so a request still queued past this has nobody waiting
 *              for it; Triton drops it (REJECT), and no 503 reaches a gateway that is still listening
 *   batching delay = min(policy.max_queue_delay_ms, slack / 10): the edge's own batching window, never more
 *              than a tenth of what the SLO leaves for queueing
 *   autoscaling target = slack / 4: the average queue time per request (Triton's nv_inference_queue_duration_us
 *              over nv_inference_request_success) above which the tier adds replicas; the average is kept
 *              well under the slack so the tail of the queue stays inside it
 * An SLO the origin cannot meet at all (slack <= 0) is reported, and its numbers floored at 1 ms, so the
 * tier still serves (the gateway's answer is then a flagged predicted miss, as at the edge).
 */
import type { GatewayConfig } from '../../src/config.js';
import { resolvePolicy } from '../../src/config.js';
import type { ModelManifest, VariantName } from '../../src/registry/manifest.js';

/** The share of the queueing slack dynamic batching may hold a request for. */
export const BATCHING_SHARE = 0.1;
/** The share of the queueing slack the average queue time is scaled at. */
export const SCALE_AT_SHARE = 0.25;
/** No derived duration goes below this (ms): Triton reads 0 as "no timeout" and "no delay". */
const FLOOR_MS = 1;

export interface CloudTargets {
  model: string;
  variant: VariantName;
  slo_ms: number;
  compute_ms: number;
  budget_ms: number;
  slack_ms: number;
  /** Triton's dynamic_batching.default_queue_policy.default_timeout_microseconds. */
  queue_timeout_us: number;
  /** Triton's dynamic_batching.max_queue_delay_microseconds; the origin's policy max_queue_delay_ms. */
  max_queue_delay_us: number;
  /** The autoscaler's target for the average queue time per request (µs). */
  queue_target_us: number;
  /** False when the origin cannot meet the SLO even with an empty queue. */
  attainable: boolean;
}

/** The origin's predicted p95 run of `items` items of `variant` (ms), as the gateway predicts it before learning. */
export function originComputeMs(config: GatewayConfig, model: ModelManifest, variant: VariantName): number {
  const v = model.variants[variant];
  if (!v) throw new Error(`${model.name} has no variant ${variant}`);
  const items = v.latency.points[0]!.items;
  return Math.max(0, v.latency.fit.fixed_ms + v.latency.fit.per_item_ms * items) * config.origin.speed_factor;
}

const us = (ms: number) => Math.round(Math.max(FLOOR_MS, ms) * 1000);

/** The cloud tier's queueing numbers of `model` served as `variant`, from the gateway's SLO for it. */
export function cloudTargets(config: GatewayConfig, model: ModelManifest, variant: VariantName): CloudTargets {
  const policy = resolvePolicy(config, model.name);
  const compute = originComputeMs(config, model, variant);
  const { request_overhead_ms: overhead } = config.edge;
  const { expected_rtt_ms: rtt, deadline_grace_ms: grace, timeout_ms: timeout } = config.origin;
  const budget = policy.slo_ms - overhead - rtt;
  const slack = budget - compute;
  const abandonedAfter = Math.min(timeout, policy.slo_ms - overhead + grace) - rtt;
  return {
    model: model.name,
    variant,
    slo_ms: policy.slo_ms,
    compute_ms: round3(compute),
    budget_ms: round3(budget),
    slack_ms: round3(slack),
    queue_timeout_us: us(abandonedAfter - compute),
    max_queue_delay_us: us(Math.min(policy.max_queue_delay_ms, slack * BATCHING_SHARE)),
    queue_target_us: us(slack * SCALE_AT_SHARE),
    attainable: slack > 0,
  };
}

/** One line per model saying where its numbers come from, for the export's output and its files' comments. */
export function explain(t: CloudTargets): string {
  const head = `${t.model}/${t.variant}: SLO ${t.slo_ms} ms, origin budget ${t.budget_ms} ms, predicted compute ${t.compute_ms} ms, queueing slack ${t.slack_ms} ms`;
  const derived = `queue timeout ${t.queue_timeout_us} us, batching delay ${t.max_queue_delay_us} us, scale at ${t.queue_target_us} us average queue time`;
  return `${head} -> ${derived}${t.attainable ? '' : ' (WARNING: the origin cannot meet this SLO even with an empty queue)'}`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
