/**
 * The origin's model store: variant files read from the models/ folder on disk.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelStore } from '../src/engine/model-store.js';
import { variantKey } from '../src/engine/model-store.js';
import type { ModelManifest, VariantName } from '../src/registry/manifest.js';

export class FsStore implements ModelStore {
  constructor(private readonly modelsDir: string) {}
  async get(model: ModelManifest, variant: VariantName): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(join(this.modelsDir, variantKey(model, variant))));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }
}
