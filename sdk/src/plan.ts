/**
 * Fetches device plans and keeps each for its `Cache-Control: max-age` (a default when the gateway gives
 * none; never with `no-store`). An expired plan is kept too: when the network is gone, the last plan is
 * better than none, and the caller says it used a stale one.
 */
import { GatewayError } from './v2.js';
import type { DevicePlan } from './types.js';

interface Entry {
  plan: DevicePlan;
  expires: number;
}

export interface PlanLookup {
  plan: DevicePlan;
  /** Fetched for this call (false: from the SDK's cache). */
  fetched: boolean;
  /** Why a stale plan was used (the fetch error), when it was. */
  stale?: string;
}

/** max-age in ms from a Cache-Control header; 0 for no-store/no-cache; undefined when it says nothing. */
export function maxAgeMs(cacheControl: string | null): number | undefined {
  if (!cacheControl) return undefined;
  if (/\b(no-store|no-cache)\b/i.test(cacheControl)) return 0;
  const m = /\bmax-age\s*=\s*"?(\d+)"?/i.exec(cacheControl);
  return m ? Number(m[1]) * 1000 : undefined;
}

export class PlanCache {
  /** By plan URL: the URL carries everything the answer depends on (hints, SLO, cached variants). */
  private readonly entries = new Map<string, Entry>();
  private readonly latest = new Map<string, DevicePlan>();

  constructor(
    private readonly fetcher: typeof fetch,
    private readonly defaultTtlMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** The plan for `model` at `url` (the plan route with its query). */
  async get(model: string, url: string, headers: Record<string, string>, signal?: AbortSignal): Promise<PlanLookup> {
    const entry = this.entries.get(url);
    if (entry && entry.expires > this.now()) return { plan: entry.plan, fetched: false };
    const held = entry?.plan ?? this.latest.get(model);
    let res: Response;
    try {
      res = await this.fetcher(url, { headers: { accept: 'application/json', ...headers }, ...(signal ? { signal } : {}) });
    } catch (e) {
      if (signal?.aborted || !held) throw e;
      return { plan: held, fetched: false, stale: (e as Error).message };
    }
    const text = await res.text();
    if (!res.ok) {
      let message = text.slice(0, 200);
      try {
        message = String((JSON.parse(text) as { error?: unknown }).error ?? message);
      } catch {
        // not JSON
      }
      throw new GatewayError(res.status, `device plan for ${model}: ${res.status} ${message}`);
    }
    const plan = checkPlan(JSON.parse(text), model);
    const ttl = maxAgeMs(res.headers.get('cache-control')) ?? this.defaultTtlMs;
    if (ttl > 0) this.entries.set(url, { plan, expires: this.now() + ttl });
    else this.entries.delete(url);
    this.latest.set(model, plan);
    return { plan, fetched: true };
  }
}

function checkPlan(x: unknown, model: string): DevicePlan {
  const p = x as DevicePlan;
  const bad = (why: string): never => {
    throw new Error(`device plan for ${model} is malformed: ${why}`);
  };
  if (!p || typeof p !== 'object') bad('not an object');
  if (p.target !== 'device' && p.target !== 'edge') bad(`target ${JSON.stringify(p.target)}`);
  if (p.target === 'device') {
    const a = p.artifact;
    if (!a || typeof a.url !== 'string' || typeof a.sha256 !== 'string' || !/^[0-9a-f]{64}$/i.test(a.sha256) || typeof p.variant !== 'string') bad('a device plan needs variant and artifact {url, bytes, sha256}');
  }
  if (typeof p.reason !== 'string') bad('no reason');
  p.expected_ms ??= { device: null, download: null, device_run: null, edge: null };
  return p;
}
