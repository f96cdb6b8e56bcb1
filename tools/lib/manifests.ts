/**
 * Reads and validates every model manifest under a models folder (Node only): the catalog builder, the
 * origin server and the tests share this one reader, so a bad manifest fails the same way everywhere.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { zodMessage } from '../../src/lib/zod-message.js';
import { ModelManifest } from '../../src/registry/manifest.js';

/** Every `<dir>/<name>/manifest.json`, sorted by name; throws naming the file and field of the first bad one. */
export function readManifests(modelsDir: string): ModelManifest[] {
  const out: ModelManifest[] = [];
  for (const name of readdirSync(modelsDir).sort()) {
    const file = join(modelsDir, name, 'manifest.json');
    if (!existsSync(file)) continue;
    const parsed = ModelManifest.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file}: ${zodMessage(parsed.error, { first: true })}`);
    if (parsed.data.name !== name) throw new Error(`${file}: name '${parsed.data.name}' does not match its folder '${name}'`);
    out.push(parsed.data);
  }
  return out;
}
