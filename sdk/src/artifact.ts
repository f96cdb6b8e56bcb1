/**
 * Gets a variant's bytes onto the device: from the cache when there, else downloaded once (concurrent
 * callers share the download). A download is hashed as it streams in (sha256.ts) into a buffer of the plan's
 * `bytes`, and stopped the moment it would pass them: a wrong or hostile answer never costs more memory than
 * the plan said, nor a second pass over a large file. Bytes are checked against the plan's sha256 before they
 * are cached or used; a mismatch is never run, and whatever the cache held under that URL is evicted.
 */
import type { ArtifactCache } from './artifact-cache.js';
import { Sha256 } from './sha256.js';

/** A file that is not the one the plan names: another sha256, or another size. */
export class IntegrityError extends Error {
  constructor(readonly url: string, readonly expected: string, readonly actual: string, message?: string) {
    super(message ?? `sha256 mismatch for ${url}: expected ${expected.slice(0, 12)}…, got ${actual.slice(0, 12)}…`);
    this.name = 'IntegrityError';
  }
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** What the plan says the file is. */
export interface Expected {
  sha256: string;
  bytes: number;
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

  /**
   * Verified bytes of `url`: `expected` is the plan's (offline, with none, only the cache answers, checked
   * against the entry's own sha256). `headers` go with a download (the caller decides who gets credentials).
   */
  get(url: string, expected: Expected | undefined, headers: Record<string, string>): Promise<Artifact> {
    let p = this.downloads.get(url);
    if (!p) {
      p = this.load(url, expected, headers).finally(() => this.downloads.delete(url));
      this.downloads.set(url, p);
    }
    return p;
  }

  private async load(url: string, plan: Expected | undefined, headers: Record<string, string>): Promise<Artifact> {
    const held = await this.cache.get(url);
    if (held) {
      const expected = (plan?.sha256 ?? held.sha256).toLowerCase();
      const actual = await sha256Hex(held.bytes);
      if (actual === expected) return { bytes: held.bytes, cached: true };
      await this.evict(url);
      if (!plan) throw new IntegrityError(url, expected, actual);
    }
    if (!plan) throw new Error(`${url} is not cached and there is no plan to verify a download against`);
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
    let bytes: Uint8Array;
    let actual: string;
    try {
      ({ bytes, sha256: actual } = await readExactly(url, res, plan.bytes));
    } catch (e) {
      await this.evict(url);
      throw e;
    }
    if (actual !== plan.sha256.toLowerCase()) {
      await this.evict(url);
      throw new IntegrityError(url, plan.sha256.toLowerCase(), actual);
    }
    await this.cache.put(url, { bytes, sha256: actual });
    (await this.known)?.add(url);
    return { bytes, cached: false };
  }
}

/**
 * The body of `res`, which must be `size` bytes: read into one buffer of that size and hashed chunk by chunk;
 * a Content-Length or a stream that says more is cancelled at once, one that ends short is refused.
 */
async function readExactly(url: string, res: Response, size: number): Promise<{ bytes: Uint8Array; sha256: string }> {
  const tooBig = (sent: string) => new IntegrityError(url, `${size} bytes`, sent, `size mismatch for ${url}: the plan says ${size} bytes, the download ${sent}; stopped`);
  const declared = res.headers.get('content-length');
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > size) {
    await res.body?.cancel().catch(() => undefined);
    throw tooBig(`declares ${declared}`);
  }
  const bytes = new Uint8Array(size);
  const hash = new Sha256();
  let at = 0;
  const reader = res.body?.getReader();
  for (;;) {
    const next = reader ? await reader.read() : { done: true as const, value: undefined };
    if (next.done) break;
    const chunk = next.value;
    if (at + chunk.byteLength > size) {
      await reader!.cancel().catch(() => undefined);
      throw tooBig('sends more');
    }
    bytes.set(chunk, at);
    hash.update(chunk);
    at += chunk.byteLength;
  }
  if (at !== size) throw new IntegrityError(url, `${size} bytes`, `${at} bytes`, `size mismatch for ${url}: the plan says ${size} bytes, the download ended after ${at}`);
  return { bytes, sha256: hash.hex() };
}
