/**
 * Production fidelity across the fleet, the Tail Worker's second job, pure: the gateway's `shadow` log lines
 * (one per comparison with the reference, src/monitor/published.ts) are summed per (model, variant) into
 * time buckets (`BUCKET_MS`), kept for a window (`WINDOW_BUCKETS`) in the POLICY KV under `fidelity-state`,
 * and published as `fidelity` in the `policy` key, where every isolate reads them back with its policy and
 * judges them next to its own evidence (src/monitor/monitor.ts). Buckets keep sums of per-sample scores, so
 * they add up across isolates and flushes without losing the confidence arithmetic; an isolate judges only
 * the buckets that begin after a variant's standing last changed. An operator's clear
 * (`models.<m>.monitoring.cleared`) drops the buckets that began before it.
 */
import type { FidelityBucket, FidelityProfiles, ShadowLine } from '../src/monitor/published.js';
import { addEvidence, parseShadowLine } from '../src/monitor/published.js';
import type { TraceEvent } from './events.js';

export const FIDELITY_STATE_KEY = 'fidelity-state';
/** Ten minutes: fine enough for "since the demotion", coarse enough that six hours fit one small KV value. */
export const BUCKET_MS = 600_000;
export const WINDOW_BUCKETS = 36;

export interface FidelityState {
  version: 1;
  bucket_ms: number;
  /** Key `model/variant` -> buckets, oldest first. */
  variants: Record<string, FidelityBucket[]>;
  /** Shadow lines read since the state began. */
  lines: number;
}

export function emptyFidelity(): FidelityState {
  return { version: 1, bucket_ms: BUCKET_MS, variants: {}, lines: 0 };
}

/** The shadow lines among one invocation's logs (its `waitUntil` work logs into the same trace event). */
export function shadowLines(logs: TraceEvent['logs']): ShadowLine[] {
  const out: ShadowLine[] = [];
  for (const log of logs) for (const part of Array.isArray(log.message) ? log.message : [log.message]) {
    const line = parseShadowLine(part);
    if (line) out.push(line);
  }
  return out;
}

/** Adds the shadow lines of a batch of trace events, read at `now` (ms), to the state in place; how many. */
export function recordShadows(state: FidelityState, events: readonly TraceEvent[], now: number): number {
  let n = 0;
  const t = Math.floor(now / state.bucket_ms) * state.bucket_ms;
  for (const e of events) {
    for (const line of shadowLines(e.logs)) {
      add(state, `${line.model}/${line.variant}`, { t, outputs: line.outputs });
      n++;
    }
  }
  state.lines += n;
  return n;
}

function add(state: FidelityState, key: string, b: FidelityBucket): void {
  const buckets = (state.variants[key] ??= []);
  const same = buckets.find((x) => x.t === b.t);
  if (same) same.outputs = addEvidence(same.outputs, b.outputs);
  else buckets.push({ t: b.t, outputs: addEvidence({}, b.outputs) });
  buckets.sort((x, y) => x.t - y.t);
  if (buckets.length > WINDOW_BUCKETS) buckets.splice(0, buckets.length - WINDOW_BUCKETS);
}

/** `pending` added into `stored` (a new state). */
export function mergeFidelity(stored: FidelityState | undefined, pending: FidelityState): FidelityState {
  const out: FidelityState = stored?.version === 1 && stored.bucket_ms === pending.bucket_ms ? structuredClone(stored) : emptyFidelity();
  for (const [key, buckets] of Object.entries(pending.variants)) for (const b of buckets) add(out, key, b);
  out.lines += pending.lines;
  return out;
}

/** The `fidelity` section to publish: every variant's buckets since its last clear (`cleared`: ms, per model and variant). */
export function publishFidelity(state: FidelityState, cleared: (model: string, variant: string) => number | undefined, now: string, source: string): FidelityProfiles {
  const models: FidelityProfiles['models'] = {};
  for (const [key, buckets] of Object.entries(state.variants)) {
    const slash = key.lastIndexOf('/');
    const [model, variant] = [key.slice(0, slash), key.slice(slash + 1)];
    const since = cleared(model, variant) ?? -Infinity;
    const kept = buckets.filter((b) => b.t >= since);
    if (kept.length) (models[model] ??= {})[variant] = { buckets: kept };
  }
  return { published_at: now, source, bucket_ms: state.bucket_ms, models };
}

/** The clears ops recorded in the policy overlay (`models.<m>.monitoring.cleared.<v>`, ISO times), as a lookup. */
export function clearsOf(overlay: Record<string, unknown>): (model: string, variant: string) => number | undefined {
  const models = (overlay.models ?? {}) as Record<string, { monitoring?: { cleared?: Record<string, string> } } | undefined>;
  return (model, variant) => {
    const at = models[model]?.monitoring?.cleared?.[variant];
    const ms = at === undefined ? NaN : Date.parse(at);
    return Number.isFinite(ms) ? ms : undefined;
  };
}
