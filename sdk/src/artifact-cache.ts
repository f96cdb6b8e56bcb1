/**
 * Where downloaded variants live on the device, keyed by their versioned (immutable) URL. Browsers: Cache
 * Storage, so a variant survives reloads and works offline. Elsewhere: memory (sdk/src/node-cache.ts has a
 * file-system cache for Node). Entries carry the sha256 they were verified against; readers verify again
 * before use, since anything on disk can change under us.
 */

export interface CachedArtifact {
  bytes: Uint8Array;
  sha256: string;
}

export interface ArtifactCache {
  get(url: string): Promise<CachedArtifact | undefined>;
  put(url: string, artifact: CachedArtifact): Promise<void>;
  delete(url: string): Promise<void>;
  /** Every cached URL. */
  urls(): Promise<string[]>;
}

export function memoryCache(): ArtifactCache {
  const map = new Map<string, CachedArtifact>();
  return {
    get: async (url) => map.get(url),
    put: async (url, a) => void map.set(url, a),
    delete: async (url) => void map.delete(url),
    urls: async () => [...map.keys()],
  };
}

interface CacheLike {
  match(url: string): Promise<Response | undefined>;
  put(url: string, res: Response): Promise<void>;
  delete(url: string): Promise<boolean>;
  keys(): Promise<readonly { url: string }[]>;
}
interface CacheStorageLike {
  open(name: string): Promise<CacheLike>;
}

/** The Cache Storage of this origin, when the runtime has one (browsers, secure contexts). */
export function hasCacheStorage(): boolean {
  return typeof (globalThis as { caches?: { open?: unknown } }).caches?.open === 'function';
}

export const DEFAULT_CACHE_NAME = 'edge-infer-v1';

/** Cache Storage, one named cache; the verified sha256 rides along as the entry's strong ETag. */
export function cacheStorage(name = DEFAULT_CACHE_NAME): ArtifactCache {
  const storage = (globalThis as unknown as { caches: CacheStorageLike }).caches;
  let opened: Promise<CacheLike> | undefined;
  const cache = () => (opened ??= storage.open(name));
  return {
    async get(url) {
      const res = await (await cache()).match(url);
      if (!res) return undefined;
      const sha256 = (res.headers.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, '');
      return { bytes: new Uint8Array(await res.arrayBuffer()), sha256 };
    },
    async put(url, a) {
      const body = a.bytes.slice().buffer;
      await (await cache()).put(url, new Response(body, { headers: { 'content-type': 'application/octet-stream', etag: `"${a.sha256}"`, 'content-length': String(a.bytes.byteLength) } }));
    },
    async delete(url) {
      await (await cache()).delete(url);
    },
    async urls() {
      return (await (await cache()).keys()).map((r) => r.url);
    },
  };
}
