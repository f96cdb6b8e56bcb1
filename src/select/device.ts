/**
 * The device tier of the routing decision (issue 13): whether a client should download a variant and run it
 * itself, or call the gateway. Pure, like `selectRoute`, whose decision for the same client is the edge
 * alternative it is weighed against: the device candidates are predicted from the same variant facts and
 * profile fit (`computeMs`), over the same network profile (Client Hints), and ranked by the same rule
 * (`mostFaithful`: best fidelity, ties within the tolerance to the faster).
 *
 * A variant runs on the device when it is allowed, its file fits the download budget (smaller under
 * Save-Data), the device has the memory, its first call (download unless cached, session creation, run)
 * meets the SLO, and each later call (the run alone) is not slower than the edge's per-call prediction times
 * `max_slowdown`. Among those, the most faithful wins, fidelities within `fidelity_slack` counting as ties
 * that go to the fastest first call. Otherwise the plan says edge, with the reason of every variant.
 */
import type { VariantName } from '../registry/manifest.js';
import type { VariantFacts } from './facts.js';
import { computeMs } from './facts.js';
import type { NetworkProfile } from './hints.js';
import { mostFaithful } from './ranking.js';
import type { RouteDecision, Target } from './select.js';
import { inListOrder } from '../lib/variant-list.js';

/** The device policy of one model, as the selector reads it (src/config/device.ts resolves it). */
export interface DevicePolicy {
  enabled: boolean;
  allow: boolean;
  max_download_bytes: number;
  save_data_max_download_bytes: number;
  min_memory_gb: number;
  max_memory_fraction: number;
  speed_factor: number;
  mobile_speed_factor: number;
  variants: readonly VariantName[];
  max_slowdown: number;
  fidelity_slack: number;
  /** From the routing policy: the floor and the fidelity resolution apply on devices too. */
  accuracy_floor: number;
  fidelity_tolerance: number;
}

export interface DeviceSelectionInput {
  variants: readonly VariantFacts[];
  items: number;
  network: NetworkProfile;
  policy: DevicePolicy;
  slo_ms: number;
  /** Variants the client already holds: no download. */
  cached: ReadonlySet<VariantName>;
  /** Variants whose file this gateway can hand out (in its assets or R2); the others live only at the origin. */
  downloadable: ReadonlySet<VariantName>;
  /** `selectRoute`'s decision for the same client: the edge (or origin) alternative. */
  edge: RouteDecision;
  /** The gateway's own time per request (the edge decision's budget already took it out). */
  request_overhead_ms: number;
}

export interface DeviceCandidate {
  variant: VariantName;
  fidelity: number;
  bytes: number;
  cached: boolean;
  /** Round trip + bytes over the downlink; 0 when cached. */
  download_ms: number;
  /** Session creation + one run on the device (the first call after the download). */
  run_ms: number;
  /** One run alone: what every later call costs. */
  per_call_ms: number;
  /** download + run: the first call. */
  device_ms: number;
  /** Whether the device may run it at all (policy, budget, memory, a file to download), SLO aside. */
  runnable: boolean;
  kept: boolean;
  why: string;
}

export interface DeviceDecision {
  target: 'device' | 'edge';
  /** The device variant (target device). */
  variant?: VariantName;
  /** What the gateway would do: its target and variant ('none': nothing can serve there now). */
  edge_target: Target | 'none';
  edge_variant?: VariantName;
  expected: { device: number | null; download: number | null; device_run: number | null; edge: number | null };
  /** The download budget that applied (bytes) and the speed factor used for the device. */
  download_budget_bytes: number;
  speed_factor: number;
  reason: string;
  candidates: DeviceCandidate[];
}

const round = (x: number) => Math.round(x * 10) / 10;
const mb = (bytes: number) => `${Math.round(bytes / 10_000) / 100} MB`;

/** What the edge alternative costs the client per call: network + gateway + the decision's prediction. */
function edgeMs(d: RouteDecision, overhead: number): number | null {
  const kept = d.candidates.filter((c) => c.kept);
  if (d.target === 'none' && kept.length === 0) return null;
  const predicted = d.target === 'none' ? Math.min(...kept.map((c) => c.predicted_ms)) : d.predicted_ms;
  return round(d.network_ms + overhead + predicted);
}

function candidate(v: VariantFacts, input: DeviceSelectionInput, budget: number, speed: number, edge: number | null): DeviceCandidate {
  const { policy, network } = input;
  const bytes = v.bytes ?? 0;
  const cached = input.cached.has(v.name);
  const download = cached ? 0 : network.rtt_ms + (bytes * 8) / (network.downlink_mbps * 1000);
  // p95 fits may have a negative intercept: a run never takes less than nothing.
  const perCall = Math.max(0, computeMs(v, input.items, speed));
  const run = perCall + v.load_ms * speed;
  const base = { variant: v.name, fidelity: v.fidelity, bytes, cached, download_ms: round(download), run_ms: round(run), per_call_ms: round(perCall), device_ms: round(download + run) };
  const memory = network.device_memory_gb;
  const drop = (why: string, runnable = false) => ({ ...base, runnable, kept: false, why });
  if (v.accuracy < policy.accuracy_floor) return drop(`accuracy ${v.accuracy} below floor ${policy.accuracy_floor}`);
  if (!cached && bytes > budget) return drop(`${mb(bytes)} download over the ${mb(budget)} budget${network.save_data ? ' (save-data)' : ''}`);
  if (!cached && !input.downloadable.has(v.name)) return drop('no file to download: served only at the origin');
  if (memory !== undefined && v.edge_memory_bytes > memory * 2 ** 30 * policy.max_memory_fraction) {
    return drop(`needs ${mb(v.edge_memory_bytes)} of memory, more than ${policy.max_memory_fraction} of the device's ${memory} GB`);
  }
  if (base.device_ms > input.slo_ms) return drop(`first call ${base.device_ms} ms (download ${base.download_ms} + run ${base.run_ms}) > ${round(input.slo_ms)} ms SLO`, true);
  if (edge !== null && base.per_call_ms > edge * policy.max_slowdown) return drop(`${base.per_call_ms} ms per call, slower than the edge's ${edge} ms`, true);
  return { ...base, runnable: true, kept: true, why: `first call ${base.device_ms} ms (download ${base.download_ms} + run ${base.run_ms}), then ${base.per_call_ms} ms per call` };
}

/** Where a client should run `variants`' model: on the device (which variant) or through the gateway. Pure. */
export function selectDevice(input: DeviceSelectionInput): DeviceDecision {
  const { policy, network, edge: d } = input;
  const edge = edgeMs(d, input.request_overhead_ms);
  const speed = network.mobile ? policy.mobile_speed_factor : policy.speed_factor;
  const budget = network.save_data ? Math.min(policy.save_data_max_download_bytes, policy.max_download_bytes) : policy.max_download_bytes;
  const allowed = inListOrder(policy.variants, input.variants.map((v) => v.name)).map((name) => input.variants.find((v) => v.name === name)!);
  const candidates = allowed.map((v) => candidate(v, input, budget, speed, edge));
  const edgeSide = {
    edge_target: d.target,
    ...(d.target === 'edge' && d.variant ? { edge_variant: d.variant } : {}),
    download_budget_bytes: budget,
    speed_factor: speed,
    candidates,
  };
  const edgeText = edge === null ? 'the gateway cannot serve it now either' : `${d.variant && d.target !== 'none' ? `${d.variant} at ${d.target}` : 'the gateway'} predicted ${edge} ms per call`;
  const atEdge = (why: string, runnable: readonly DeviceCandidate[] = []): DeviceDecision => {
    // What the device would take with the fastest variant it may run (missing the SLO, or slower than the edge).
    const fastest = runnable.length ? runnable.reduce((a, b) => (b.device_ms < a.device_ms ? b : a)) : undefined;
    const expected = { device: fastest?.device_ms ?? null, download: fastest?.download_ms ?? null, device_run: fastest?.run_ms ?? null, edge };
    return { target: 'edge', ...edgeSide, expected, reason: `edge: ${why}; ${edgeText}` };
  };
  if (!policy.enabled) return atEdge('the device tier is disabled (device.enabled = false)');
  if (!policy.allow) return atEdge('device download of this model is forbidden by policy (device.allow = false)');
  const memory = network.device_memory_gb;
  if (memory !== undefined && memory < policy.min_memory_gb) return atEdge(`low memory: the device has ${memory} GB, devices need ${policy.min_memory_gb} GB (device.min_memory_gb)`);
  if (candidates.length === 0) return atEdge(`no variant of the model is allowed on devices (device.variants: ${policy.variants.join(', ')})`);
  const kept = candidates.filter((c) => c.kept);
  if (kept.length === 0) return atEdge(candidates.map((c) => `${c.variant}: ${c.why}`).join('; '), candidates.filter((c) => c.runnable));
  // The gateway's ranking, with the device's wider slack: most faithful, near-ties to the fastest first call.
  const ranked = kept.map((c) => ({ ...c, target: 'edge' as const, predicted_ms: c.device_ms }));
  const chosen = mostFaithful(ranked, Math.max(policy.fidelity_tolerance, policy.fidelity_slack));
  const expected = { device: chosen.device_ms, download: chosen.download_ms, device_run: chosen.run_ms, edge };
  const reason = `${chosen.variant} on device: ${chosen.cached ? 'cached, ' : ''}${chosen.why}, within ${round(input.slo_ms)} ms SLO; ${edgeText}`;
  return { target: 'device', variant: chosen.variant, ...edgeSide, expected, reason };
}
