/**
 * The candidates of a decision: each edge variant and the origin, with what they are predicted to take
 * (learned compute, else the manifest's, with the load, the queue ahead and the wait for batch company) and
 * whether they are kept, with the reason when dropped. select.ts chooses among the kept ones.
 */
import { estimateMs } from '../latency/estimator.js';
import { listsVariant } from '../lib/variant-list.js';
import type { VariantFacts } from './facts.js';
import { computeMs, fitsEdge } from './facts.js';
import type { Candidate, SelectionInput, Target } from './route-types.js';

const round = (x: number) => Math.round(x * 10) / 10;

const round3 = (x: number) => Math.round(x * 1000) / 1000;

/** A run's compute on one target: learned when there is an estimate, else the manifest's p95 fit x speed. */
function compute(v: VariantFacts, input: SelectionInput, target: Target, speedFactor: number) {
  const manifest = computeMs(v, input.items, speedFactor);
  const learned = input.estimates?.[target]?.[v.name];
  if (!learned) return { mean: manifest, margined: manifest, manifest, observations: 0 };
  const mean = estimateMs(learned, input.items);
  return { mean, margined: estimateMs(learned, input.items, input.estimates?.tail_weight ?? 0), manifest, observations: Math.round(learned.observations * 10) / 10 };
}

export function edgeCandidate(v: VariantFacts, input: SelectionInput, budget: number): Candidate {
  const { policy, live } = input;
  const c = compute(v, input, 'edge', policy.edge_speed_factor);
  const load = live.loaded_variants.has(v.name) ? 0 : (v.load_ms + (live.edge_runtime_init_ms ?? 0)) * policy.edge_speed_factor;
  const ahead = c.margined + load + live.edge_queue_ms;
  // An idle engine waits for company up to the batch delay (less what the queue already made it wait), never past the slack.
  const wait = Math.max(0, Math.min((policy.batch_wait_ms ?? 0) - live.edge_queue_ms, budget - ahead));
  const predicted = ahead + wait;
  const base = { target: 'edge' as const, variant: v.name, fidelity: v.fidelity, verified: v.verified !== false, predicted_ms: round(predicted), compute_ms: round3(c.mean), manifest_ms: round3(c.manifest), observations: c.observations };
  const pinned = input.pinned === v.name;
  if (input.pinned && !pinned) return { ...base, kept: false, why: `not the pinned variant ${input.pinned}` };
  if (!fitsEdge(v, policy.edge_memory_budget_bytes)) {
    return { ...base, kept: false, why: `needs ${mb(v.edge_memory_bytes)} MB, edge budget is ${mb(policy.edge_memory_budget_bytes)} MB` };
  }
  if (live.unhealthy_variants.has(v.name)) return { ...base, kept: false, why: 'failed at the edge recently' };
  const held = live.held_variants?.get(v.name);
  if (held && !pinned) return { ...base, kept: false, why: held };
  if (!pinned && !listsVariant(policy.variants, v.name)) return { ...base, kept: false, why: 'not in the allowed variants' };
  if (!pinned && v.accuracy < policy.accuracy_floor) return { ...base, kept: false, why: `accuracy ${v.accuracy} below floor ${policy.accuracy_floor}` };
  if (!pinned && !base.verified && policy.unverified_fidelity === 'refuse') return { ...base, kept: false, why: 'fidelity unverified (measured on random inputs); policy refuses it' };
  return { ...base, kept: true, why: load ? `includes ${round(load)} ms to load` : 'loaded' };
}

export function originCandidate(input: SelectionInput): Candidate | undefined {
  const { policy, live } = input;
  const variant = input.pinned ?? policy.origin_variant;
  const v = input.variants.find((x) => x.name === variant);
  if (!v || !live.origin_configured) return undefined;
  const c = compute(v, input, 'origin', policy.origin_speed_factor);
  const queued = live.origin_queue_ms ?? 0;
  const predicted = live.origin_rtt_ms + c.margined + queued;
  const base = { target: 'origin' as const, variant, fidelity: v.fidelity, verified: v.verified !== false, predicted_ms: round(predicted), compute_ms: round3(c.mean), manifest_ms: round3(c.manifest), observations: c.observations };
  if (!policy.origin_enabled) return { ...base, kept: false, why: 'origin disabled for this model' };
  if (!live.origin_healthy) return { ...base, kept: false, why: 'origin unhealthy' };
  return { ...base, kept: true, why: `~${round(live.origin_rtt_ms)} ms round trip${queued > 0 ? `, ~${round(queued)} ms behind calls in flight` : ''}` };
}

const mb = (bytes: number) => Math.round(bytes / 1048576);

