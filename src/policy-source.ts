/**
 * Hot-reloadable routing policy. The base config comes from the deployment (wrangler vars); ops can
 * override its routing sections (`policy`, `models`) in the POLICY KV namespace under the key `policy`,
 * where the feedback Tail Worker also publishes learned latency profiles (`learned`) and production fidelity
 * evidence (`fidelity`),
 * re-read at most every `policy_ttl_ms`. Invalid KV content is rejected: the last good config stays in
 * force and the error is kept for /admin/config. The origin URL, limits and auth never come from KV, so
 * no KV write can steer traffic to another host.
 *
 * No request awaits another request's KV read (in workerd a promise created in a request that is then
 * cancelled may never settle for anyone else). The request that finds the TTL passed reads KV itself and
 * waits for its own read, so a change is seen by the next request after it is written; requests arriving
 * while that read is under way serve the last good config (stale-while-revalidate: it was current a TTL
 * ago). The read is handed to the caller's `waitUntil` so it completes even if its request is cancelled;
 * a read still unfinished after RELOAD_TIMEOUT_MS counts as lost and the next request reads again.
 */
import type { GatewayConfig } from './config.js';
import { parseConfig } from './config.js';

export const POLICY_KEY = 'policy';
/**
 * What the KV overlay may set: ops' routing sections, and `learned` (latency profiles the feedback Tail
 * Worker publishes, src/latency/profiles.ts). Writers of one section keep the others as they found them.
 */
export const OVERLAY_KEYS: readonly string[] = ['policy', 'models', 'learned', 'fidelity'];
/** After this long (ms) a KV read that has not finished is given up: its request may have been cancelled. */
export const RELOAD_TIMEOUT_MS = 10_000;

export interface PolicyStatus {
  source: 'deployment' | 'kv';
  last_read?: string;
  last_error?: string;
  ttl_ms: number;
}

export class PolicySource {
  private current: GatewayConfig;
  private overlay: Record<string, unknown> | undefined;
  private readAt = -Infinity;
  private lastRaw: string | null = null;
  private status: PolicyStatus;
  /** The KV read under way, by number: a read that was given up must not overwrite a newer one. */
  private reading: { id: number; startedAt: number } | undefined;
  private reads = 0;

  constructor(
    private readonly rawBase: Record<string, unknown>,
    private readonly originUrl: string | undefined,
    private readonly kv: KVNamespace | undefined,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.current = parseConfig(rawBase, { originUrl });
    this.status = { source: 'deployment', ttl_ms: this.current.policy_ttl_ms };
  }

  /**
   * The config in force. When the TTL has passed and no other request is reading KV, this request reads
   * it (one read at a time) and waits for its own read; otherwise it gets the last good config at once.
   * `waitUntil` (Workers' ctx.waitUntil) keeps the read alive if this request is cancelled.
   */
  async get(waitUntil?: (work: Promise<unknown>) => void): Promise<GatewayConfig> {
    if (!this.kv || !this.due()) return this.current;
    const read = this.reload(this.kv, ++this.reads);
    waitUntil?.(read);
    await read;
    return this.current;
  }

  private due(): boolean {
    const now = this.now();
    if (this.reading && now - this.reading.startedAt < RELOAD_TIMEOUT_MS) return false;
    return now - this.readAt >= this.current.policy_ttl_ms;
  }

  private async reload(kv: KVNamespace, id: number): Promise<void> {
    this.readAt = this.now();
    this.reading = { id, startedAt: this.readAt };
    let read: { raw: string | null } | { error: Error };
    try {
      read = { raw: await kv.get(POLICY_KEY) };
    } catch (error) {
      read = { error: error as Error };
    }
    // Given up meanwhile (RELOAD_TIMEOUT_MS): a newer read owns the state now.
    if (this.reading?.id !== id) return;
    this.reading = undefined;
    if ('error' in read) return this.fail(`could not read KV: ${read.error.message}`);
    this.apply(read.raw);
  }

  /** Applies what KV holds under the policy key (null: nothing, back to the deployment's config). */
  private apply(raw: string | null): void {
    this.status.last_read = new Date(this.now()).toISOString();
    if (raw === this.lastRaw) return;
    this.lastRaw = raw;
    if (raw === null) {
      this.overlay = undefined;
      this.current = parseConfig(this.rawBase, { originUrl: this.originUrl });
      this.status = { ...this.status, source: 'deployment', last_error: undefined };
      return;
    }
    try {
      const overlay = JSON.parse(raw) as unknown;
      if (typeof overlay !== 'object' || overlay === null || Array.isArray(overlay)) throw new Error('KV policy must be a JSON object');
      const extra = Object.keys(overlay).filter((k) => !OVERLAY_KEYS.includes(k));
      if (extra.length) throw new Error(`KV policy may only set "policy" and "models" (and "learned" and "fidelity", from the feedback path), not ${extra.map((k) => `"${k}"`).join(', ')}`);
      const o = overlay as { policy?: Record<string, unknown>; models?: Record<string, unknown>; learned?: unknown; fidelity?: unknown };
      const merged = {
        ...this.rawBase,
        policy: { ...((this.rawBase.policy as object) ?? {}), ...(o.policy ?? {}) },
        models: mergeModels((this.rawBase.models as Record<string, unknown>) ?? {}, o.models ?? {}),
        // Published whole by the feedback Tail Worker (tail/): replaces, never merges with, the deployment's.
        ...(o.learned !== undefined ? { learned: o.learned } : {}),
        ...(o.fidelity !== undefined ? { fidelity: o.fidelity } : {}),
      };
      this.current = parseConfig(merged, { originUrl: this.originUrl });
      this.overlay = o;
      this.status = { ...this.status, source: 'kv', last_error: undefined, ttl_ms: this.current.policy_ttl_ms };
    } catch (e) {
      this.fail(`rejected KV policy, keeping the last good one: ${(e as Error).message}`);
    }
  }

  /**
   * Records an operator's clear of `variant` in the KV overlay (`models.<model>.monitoring.cleared`), keeping
   * everything else the key holds, and applies it here at once; false without KV. Other isolates (and the
   * feedback Tail Worker) see it with their next read.
   */
  async recordClear(model: string, variant: string, at: string): Promise<boolean> {
    if (!this.kv) return false;
    type Entry = { monitoring?: { cleared?: Record<string, string> } };
    const raw = await this.kv.get(POLICY_KEY);
    const overlay = (raw ? JSON.parse(raw) : {}) as { models?: Record<string, Entry> };
    const models = (overlay.models ??= {});
    const entry = models[model] ?? {};
    models[model] = { ...entry, monitoring: { ...entry.monitoring, cleared: { ...entry.monitoring?.cleared, [variant]: at } } };
    const next = JSON.stringify(overlay);
    await this.kv.put(POLICY_KEY, next);
    this.apply(next);
    return true;
  }

  private fail(message: string): void {
    this.status.last_error = message;
    console.error(JSON.stringify({ event: 'policy_reload_failed', error: message }));
  }

  /** The effective config with where each routing value came from: kv, deployment or default. */
  describe(): { config: GatewayConfig; sources: Record<string, 'kv' | 'deployment' | 'default'>; status: PolicyStatus } {
    const sources: Record<string, 'kv' | 'deployment' | 'default'> = {};
    const has = (obj: unknown, path: string[]) => path.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj) !== undefined;
    const walk = (value: unknown, path: string[]) => {
      if (value && typeof value === 'object' && !Array.isArray(value)) {
        for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
        return;
      }
      sources[path.join('.')] = has(this.overlay, path) ? 'kv' : has(this.rawBase, path) ? 'deployment' : 'default';
    };
    walk(this.current, []);
    return { config: this.current, sources, status: { ...this.status } };
  }
}

/**
 * Per model, per field: a KV entry for one model overrides only the fields it names and keeps the
 * deployment's others (a KV `{"models":{"mnist":{"variants":["int8"]}}}` must not drop the deployed slo_ms);
 * within a model's sections (`device`, `monitoring`, `canary`) likewise only the knobs it names (an operator's
 * clear, `monitoring.cleared`, must not drop the deployed `monitoring.floor`).
 */
export function mergeModels(base: Record<string, unknown>, overlay: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [name, fields] of Object.entries(overlay)) out[name] = mergeFields(base[name], fields, 1);
  return out;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function mergeFields(deployed: unknown, fields: unknown, depth: number): unknown {
  if (!isObject(deployed) || !isObject(fields)) return fields;
  const out: Record<string, unknown> = { ...deployed };
  for (const [k, v] of Object.entries(fields)) out[k] = depth > 0 ? mergeFields(deployed[k], v, depth - 1) : v;
  return out;
}
