/**
 * Gets a variant's bytes onto the device: from the cache when there, else downloaded once (concurrent
 * callers share the download). Bytes are checked against the plan's sha256 with Web Crypto before they are
 * cached or used; a mismatch is never run, and whatever the cache held under that URL is evicted.
 */
import type { ArtifactCache } from './artifact-cache.js';

export class IntegrityError extends Error {
  constructor(readonly url: string, readonly expected: string, readonly actual: string) {
    super(`sha256 mismatch for ${url}: expected ${expected.slice(0, 12)}…, got ${actual.slice(0, 12)}…`);
    this.name = 'IntegrityError';
  }
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export interface Artifact {
  bytes: Uint8Array;
  /** Came from the cache (no download). */
  cached: boolean;
}

export class ArtifactStore {
  private readonly downloads = new Map<string, Promise<Artifact>>();

  constructor(
    readonly cache: ArtifactCache,
    private readonly fetcher: typeof fetch,
  ) {}

  /** The cache's URLs, read once and then kept up to date by this store (every call asks, so no I/O each time). */
  private known: Promise<Set<string>> | undefined;

  /** Every cached URL. */
  async urls(): Promise<string[]> {
    return [...(await (this.known ??= this.cache.urls().then((u) => new Set(u))))];
  }

  /** Whether `url` is in the cache (not verified: get() verifies). */
  async has(url: string): Promise<boolean> {
    return (await this.urls()).includes(url);
  }

  private async evict(url: string): Promise<void> {
    await this.cache.delete(url);
    (await this.known)?.delete(url);
  }

  /** Verified bytes of `url`; `sha256` is the plan's (or, offline, the cache entry's own). */
  get(url: string, sha256: string | undefined, headers: Record<string, string>): Promise<Artifact> {
    let p = this.downloads.get(url);
    if (!p) {
      p = this.load(url, sha256, headers).finally(() => this.downloads.delete(url));
      this.downloads.set(url, p);
    }
    return p;
  }

  private async load(url: string, sha256: string | undefined, headers: Record<string, string>): Promise<Artifact> {
    const held = await this.cache.get(url);
    if (held) {
      const expected = (sha256 ?? held.sha256).toLowerCase();
      const actual = await sha256Hex(held.bytes);
      if (actual === expected) return { bytes: held.bytes, cached: true };
      await this.evict(url);
      if (!sha256) throw new IntegrityError(url, expected, actual);
    }
    if (!sha256) throw new Error(`${url} is not cached and there is no plan to verify a download against`);
    const res = await this.fetcher(url, { headers });
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      let why = text.slice(0, 160);
      try {
        why = String((JSON.parse(text) as { error?: unknown }).error ?? why);
      } catch {
        // not JSON
      }
      throw new Error(`artifact download ${res.status}${why ? `: ${why}` : ''}`);
    }
    const bytes = new Uint8Array(await res.arrayBuffer());
    const actual = await sha256Hex(bytes);
    if (actual !== sha256.toLowerCase()) {
      await this.evict(url);
      throw new IntegrityError(url, sha256.toLowerCase(), actual);
    }
    await this.cache.put(url, { bytes, sha256: actual });
    (await this.known)?.add(url);
    return { bytes, cached: false };
  }
}
