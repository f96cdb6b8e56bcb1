/**
 * A file-system artifact cache for Node (not in the browser bundle): one file per URL under `dir`, named
 * by the URL's SHA-256, plus an index of URLs and their verified digests.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactCache } from './artifact-cache.js';

export function fsCache(dir: string): ArtifactCache {
  const index = join(dir, 'index.json');
  const file = (url: string) => join(dir, createHash('sha256').update(url).digest('hex'));
  const read = async (): Promise<Record<string, string>> => JSON.parse(await readFile(index, 'utf8').catch(() => '{}')) as Record<string, string>;
  return {
    async get(url) {
      const sha256 = (await read())[url];
      if (!sha256) return undefined;
      const bytes = await readFile(file(url)).catch(() => undefined);
      return bytes ? { bytes: new Uint8Array(bytes), sha256 } : undefined;
    },
    async put(url, a) {
      await mkdir(dir, { recursive: true });
      await writeFile(file(url), a.bytes);
      await writeFile(index, JSON.stringify({ ...(await read()), [url]: a.sha256 }));
    },
    async delete(url) {
      const all = await read();
      delete all[url];
      await rm(file(url), { force: true });
      await mkdir(dir, { recursive: true });
      await writeFile(index, JSON.stringify(all));
    },
    urls: async () => Object.keys(await read()),
  };
}
