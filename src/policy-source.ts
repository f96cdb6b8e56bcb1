/**
 * Hot-reloadable routing policy. The base config comes from the deployment (wrangler vars); ops can
 * override its routing sections (`policy`, `models`) in the POLICY KV namespace under the key `policy`,
 * re-read at most every `policy_ttl_ms`. Invalid KV content is rejected: the last good config stays in
 * force and the error is kept for /admin/config. The origin URL, limits and auth never come from KV, so
 * no KV write can steer traffic to another host.
 */
import type { GatewayConfig } from './config.js';
import { parseConfig } from './config.js';

export const POLICY_KEY = 'policy';

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
  private pending: Promise<void> | undefined;

  constructor(
    private readonly rawBase: Record<string, unknown>,
    private readonly originUrl: string | undefined,
    private readonly kv: KVNamespace | undefined,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.current = parseConfig(rawBase, { originUrl });
    this.status = { source: 'deployment', ttl_ms: this.current.policy_ttl_ms };
  }

  /** The config in force, re-reading KV first when the TTL has passed (one read at a time). */
  async get(): Promise<GatewayConfig> {
    if (this.kv && this.now() - this.readAt >= this.current.policy_ttl_ms) {
      this.pending ??= this.reload().finally(() => (this.pending = undefined));
      await this.pending;
    }
    return this.current;
  }

  private async reload(): Promise<void> {
    this.readAt = this.now();
    let raw: string | null;
    try {
      raw = await this.kv!.get(POLICY_KEY);
    } catch (e) {
      this.fail(`could not read KV: ${(e as Error).message}`);
      return;
    }
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
      const extra = Object.keys(overlay).filter((k) => k !== 'policy' && k !== 'models');
      if (extra.length) throw new Error(`KV policy may only set "policy" and "models", not ${extra.map((k) => `"${k}"`).join(', ')}`);
      const o = overlay as { policy?: Record<string, unknown>; models?: Record<string, unknown> };
      const merged = {
        ...this.rawBase,
        policy: { ...((this.rawBase.policy as object) ?? {}), ...(o.policy ?? {}) },
        models: { ...((this.rawBase.models as object) ?? {}), ...(o.models ?? {}) },
      };
      this.current = parseConfig(merged, { originUrl: this.originUrl });
      this.overlay = o;
      this.status = { ...this.status, source: 'kv', last_error: undefined, ttl_ms: this.current.policy_ttl_ms };
    } catch (e) {
      this.fail(`rejected KV policy, keeping the last good one: ${(e as Error).message}`);
    }
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
