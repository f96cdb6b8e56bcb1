/**
 * Where variant bytes come from: files bundled with the Worker (static assets binding) for small models,
 * an R2 bucket for the rest, the file system at the origin. The store checks size and sha256 so a
 * truncated or stale object never becomes a session.
 */
import { InvalidInput } from '../errors.js';
import { sha256Hex } from '../lib/sha256.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';

export interface ModelStore {
  /** The variant's ONNX bytes, or undefined when this store does not have them. */
  get(model: ModelManifest, variant: VariantName): Promise<Uint8Array | undefined>;
  /**
   * The variant's file, for a native runtime that can open it itself (the origin's file system), so its bytes
   * are never held in JS, where they stayed beside the session until a GC; undefined when this store does not
   * have it. Preferred to `get` when a store has both.
   */
  path?(model: ModelManifest, variant: VariantName): Promise<string | undefined>;
}

/**
 * Object key of a variant file, the same in every store: `<model>/<file>`. A variant the model does not
 * have is the caller's mistake (400), as the origin answers it too (the backend contract holds both to it).
 */
export function variantKey(model: ModelManifest, variant: VariantName): string {
  const v = model.variants[variant];
  if (!v) throw new InvalidInput(`model '${model.name}' has no variant '${variant}'`);
  return `${model.name}/${v.file}`;
}

/** Bundled static assets (wrangler `[assets]` with binding); never served publicly (run_worker_first). */
export class AssetStore implements ModelStore {
  constructor(private readonly assets: Fetcher) {}
  async get(model: ModelManifest, variant: VariantName): Promise<Uint8Array | undefined> {
    const res = await this.assets.fetch(`https://assets.local/${variantKey(model, variant)}`);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) throw new Error(`asset store answered ${res.status} for ${variantKey(model, variant)}`);
    return new Uint8Array(await res.arrayBuffer());
  }
}

/** An R2 bucket holding `<model>/<file>` objects (seeded by the start command, or by ops with wrangler). */
export class R2Store implements ModelStore {
  constructor(private readonly bucket: R2Bucket) {}
  async get(model: ModelManifest, variant: VariantName): Promise<Uint8Array | undefined> {
    const obj = await this.bucket.get(variantKey(model, variant));
    if (!obj) return undefined;
    return new Uint8Array(await obj.arrayBuffer());
  }
}

/** Tries stores in order; verifies the bytes against the manifest. */
export class VerifyingStore implements ModelStore {
  constructor(private readonly stores: ModelStore[]) {}
  async get(model: ModelManifest, variant: VariantName): Promise<Uint8Array | undefined> {
    const v = model.variants[variant]!;
    for (const store of this.stores) {
      const bytes = await store.get(model, variant);
      if (!bytes) continue;
      if (bytes.byteLength !== v.bytes) throw new Error(`${variantKey(model, variant)}: ${bytes.byteLength} bytes, manifest says ${v.bytes}`);
      const hex = await sha256Hex(bytes);
      if (hex !== v.sha256) throw new Error(`${variantKey(model, variant)}: sha256 ${hex} does not match the manifest`);
      return bytes;
    }
    return undefined;
  }
}

/** Part of a file: `length` bytes from `offset`. */
export interface ByteRange {
  offset: number;
  length: number;
}

/**
 * Where a variant's file is read to hand it to a client (device artifacts): the same objects the engine
 * loads, streamed as stored. Not verified here (the client checks the sha256 the manifest promised); only
 * the size is compared, so a stale object is never served under the manifest's ETag.
 */
export interface ArtifactStore {
  /** The stored file's size, or undefined when this store does not hold it. */
  size(model: ModelManifest, variant: VariantName): Promise<number | undefined>;
  /** The file's bytes (or `range` of them), or undefined when this store does not hold it. */
  read(model: ModelManifest, variant: VariantName, range?: ByteRange): Promise<ReadableStream<Uint8Array> | undefined>;
}

/** Bundled assets as an artifact store. Assets are small (Workers caps a file at 25 MiB): a range is cut from the whole. */
export class AssetArtifacts implements ArtifactStore {
  constructor(private readonly assets: Fetcher) {}
  private async fetch(model: ModelManifest, variant: VariantName): Promise<Response | undefined> {
    const res = await this.assets.fetch(`https://assets.local/${variantKey(model, variant)}`);
    if (res.status === 404) {
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) throw new Error(`asset store answered ${res.status} for ${variantKey(model, variant)}`);
    return res;
  }
  async size(model: ModelManifest, variant: VariantName): Promise<number | undefined> {
    const res = await this.fetch(model, variant);
    if (!res) return undefined;
    const length = res.headers.get('content-length');
    if (length !== null) {
      await res.body?.cancel();
      return Number(length);
    }
    return (await res.arrayBuffer()).byteLength;
  }
  async read(model: ModelManifest, variant: VariantName, range?: ByteRange): Promise<ReadableStream<Uint8Array> | undefined> {
    const res = await this.fetch(model, variant);
    if (!res || !range) return res?.body ?? undefined;
    const part = new Uint8Array(await res.arrayBuffer()).slice(range.offset, range.offset + range.length);
    return new Blob([part]).stream();
  }
}

/** An R2 bucket as an artifact store: sizes from `head`, ranges read by R2 itself. */
export class R2Artifacts implements ArtifactStore {
  constructor(private readonly bucket: R2Bucket) {}
  async size(model: ModelManifest, variant: VariantName): Promise<number | undefined> {
    return (await this.bucket.head(variantKey(model, variant)))?.size;
  }
  async read(model: ModelManifest, variant: VariantName, range?: ByteRange): Promise<ReadableStream<Uint8Array> | undefined> {
    const obj = await this.bucket.get(variantKey(model, variant), range ? { range } : {});
    return obj?.body;
  }
}
