/**
 * What the feedback Tail Worker (worker.ts) does with each batch of trace events: turns them into
 * observations (events.ts), keeps a bounded window per (model, variant, colo) in the POLICY KV (key
 * `feedback-state`), and at most every FLUSH_INTERVAL_MS publishes the fitted profiles (publish.ts) as
 * `learned` in the same KV's `policy` key, which every gateway isolate re-reads within `policy_ttl_ms`.
 * The gateway's shadow lines go the same way into `fidelity` (fidelity.ts, window under `fidelity-state`).
 * Ops' sections of that key (`policy`, `models`) are written back as read.
 *
 * Several Tail Worker isolates may flush at once; KV has no compare-and-swap, so one may overwrite the
 * other's window: samples are lost, never invented, and the next flush carries on.
 */
import catalog from '../models/catalog.json';
import { scaled } from '../src/latency/line.js';
import { LearnedProfiles } from '../src/latency/profiles.js';
import type { ModelManifest, VariantName } from '../src/registry/manifest.js';
import { POLICY_KEY } from '../src/policy-source.js';
import type { FeedbackState } from './aggregate.js';
import { emptyState, merge, record } from './aggregate.js';
import type { TraceEvent } from './events.js';
import { MAX_BODY_RATIO, observer } from './events.js';
import { publish } from './publish.js';
import type { FidelityState } from './fidelity.js';
import { clearsOf, emptyFidelity, FIDELITY_STATE_KEY, mergeFidelity, publishFidelity, recordShadows } from './fidelity.js';

export const STATE_KEY = 'feedback-state';

/** The Tail Worker's bindings and vars (tail/wrangler.toml). */
export interface FeedbackEnv {
  POLICY: KVNamespace;
  /** Only events of this script are read (the gateway's name); unset: any, and local runs name none. */
  GATEWAY_SCRIPT?: string;
  MIN_SAMPLES?: string;
  MAX_CHANGE?: string;
  /** Largest factor a published fit may stand from the manifest's at EDGE_SPEED_FACTOR (default 4). */
  MAX_DRIFT?: string;
  /** A body larger than its tensors' bytes times this (plus 4 KB) is not learned from (default 8). */
  MAX_BODY_RATIO?: string;
  FLUSH_INTERVAL_MS?: string;
  /** The gateway's `edge.speed_factor`: the first publish is capped relative to manifest x this. */
  EDGE_SPEED_FACTOR?: string;
}

const num = (v: string | undefined, fallback: number) => (v !== undefined && Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : fallback);

/** Collects observations in the isolate and flushes them to KV; one per isolate, made on first use. */
export class FeedbackCollector {
  private pending: FeedbackState;
  private fidelity: FidelityState = emptyFidelity();
  private flushedAt = -Infinity;

  constructor(
    private readonly env: FeedbackEnv,
    private readonly now: () => number = () => Date.now(),
    private readonly manifests: readonly ModelManifest[] = catalog.models as unknown as ModelManifest[],
  ) {
    this.pending = emptyState(new Date(this.now()).toISOString());
  }

  /** Reads a batch of trace events; flushes when the interval has passed. Returns the publish report, if any. */
  async take(events: readonly TraceEvent[]): Promise<string[] | undefined> {
    const mine = events.filter((e) => !this.env.GATEWAY_SCRIPT || e.scriptName === null || e.scriptName === this.env.GATEWAY_SCRIPT);
    record(this.pending, mine.map(observer({ maxBodyRatio: num(this.env.MAX_BODY_RATIO, MAX_BODY_RATIO) })), new Date(this.now()).toISOString());
    recordShadows(this.fidelity, mine, this.now());
    if (this.now() - this.flushedAt < num(this.env.FLUSH_INTERVAL_MS, 60_000)) return undefined;
    return this.flush();
  }

  /** Merges what this isolate saw into KV's window and publishes the fits that changed. */
  async flush(): Promise<string[]> {
    this.flushedAt = this.now();
    const kv = this.env.POLICY;
    const stored = parseJson<FeedbackState>(await kv.get(STATE_KEY));
    const state = merge(stored?.version === 1 ? stored : emptyState(this.pending.updated_at), this.pending);
    this.pending = emptyState(state.updated_at);
    await kv.put(STATE_KEY, JSON.stringify(state));
    const overlay = parseJson<Record<string, unknown>>(await kv.get(POLICY_KEY)) ?? {};
    const previous = LearnedProfiles.safeParse(overlay.learned);
    const speed = num(this.env.EDGE_SPEED_FACTOR, 1);
    const report = publish(state, previous.success ? previous.data : undefined, {
      minSamples: num(this.env.MIN_SAMPLES, 30),
      maxChange: Math.max(1.01, num(this.env.MAX_CHANGE, 2)),
      maxDrift: Math.max(1.01, num(this.env.MAX_DRIFT, 4)),
      now: new Date(this.now()).toISOString(),
      source: `tail:${this.env.GATEWAY_SCRIPT ?? 'gateway'}`,
      prior: (model: string, variant: VariantName) => {
        const fit = this.manifests.find((m) => m.name === model)?.variants[variant]?.latency.fit;
        return fit ? scaled({ fixed_ms: Math.max(0, fit.fixed_ms), per_item_ms: fit.per_item_ms }, speed) : undefined;
      },
    });
    const shadows = this.fidelity.lines;
    let fidelity: unknown = overlay.fidelity;
    if (shadows > 0) {
      const merged = mergeFidelity(parseJson<FidelityState>(await kv.get(FIDELITY_STATE_KEY)), this.fidelity);
      this.fidelity = emptyFidelity();
      await kv.put(FIDELITY_STATE_KEY, JSON.stringify(merged));
      fidelity = publishFidelity(merged, clearsOf(overlay), new Date(this.now()).toISOString(), `tail:${this.env.GATEWAY_SCRIPT ?? 'gateway'}`);
    }
    if (report.changed || shadows > 0) await kv.put(POLICY_KEY, JSON.stringify({ ...overlay, ...(report.changed ? { learned: report.learned } : {}), ...(fidelity !== undefined ? { fidelity } : {}) }));
    const skipped = Object.entries(state.skipped).map(([k, n]) => `${k} ${n}`).join(', ');
    console.log(JSON.stringify({ event: 'feedback_flush', seen: state.seen, used: state.used, skipped, published: report.changed, lines: report.lines, shadow_lines: shadows }));
    return report.lines;
  }
}

function parseJson<T>(raw: string | null): T | undefined {
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return undefined;
  }
}
