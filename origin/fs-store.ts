/**
 * The models folder on disk as the Node stores: FsStore hands the engine a variant's file to open, or its
 * bytes (the origin's model store), FsArtifacts hands a device client its file (the device routes' artifact store, as
 * AssetArtifacts and R2Artifacts are in the Worker), streamed, a range read from the file itself.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ArtifactStore, ByteRange, ModelStore } from '../src/engine/model-store.js';
import { variantKey } from '../src/engine/model-store.js';
import type { ModelManifest, VariantName } from '../src/registry/manifest.js';

const missing = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * onnxruntime-node opens a variant from its path: measured on transformer-large fp32 (415 MB), the process
 * peaked at 532 MiB over idle while the session was built and held 445 MiB after, where from bytes read into
 * JS it peaked at 948 and held 860 until a GC freed the file's copy (fp16: 570 and 403 against 778 and 611).
 */
export class FsStore implements ModelStore {
  constructor(private readonly modelsDir: string) {}
  async path(model: ModelManifest, variant: VariantName): Promise<string | undefined> {
    const file = join(this.modelsDir, variantKey(model, variant));
    try {
      await stat(file);
      return file;
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  }
  async get(model: ModelManifest, variant: VariantName): Promise<Uint8Array | undefined> {
    try {
      // The Buffer itself, a Uint8Array over its own memory (`new Uint8Array(buffer)` would copy it).
      return await readFile(join(this.modelsDir, variantKey(model, variant)));
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  }
}

export class FsArtifacts implements ArtifactStore {
  constructor(private readonly modelsDir: string) {}
  async size(model: ModelManifest, variant: VariantName): Promise<number | undefined> {
    try {
      return (await stat(join(this.modelsDir, variantKey(model, variant)))).size;
    } catch (e) {
      if (missing(e)) return undefined;
      throw e;
    }
  }
  async read(model: ModelManifest, variant: VariantName, range?: ByteRange): Promise<ReadableStream<Uint8Array> | undefined> {
    if ((await this.size(model, variant)) === undefined) return undefined;
    const file = createReadStream(join(this.modelsDir, variantKey(model, variant)), range ? { start: range.offset, end: range.offset + range.length - 1 } : {});
    return Readable.toWeb(file) as unknown as ReadableStream<Uint8Array>;
  }
}
