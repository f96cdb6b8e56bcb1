/**
 * Builds models/catalog.json (every manifest under models/, validated) that the Worker imports, and
 * models/.assetsignore so only small edge variants ship as Worker static assets; larger ones go to R2
 * (see seed-r2.ts) and origin-only ones stay at the origin. Run by `npm run catalog` (start and test run it).
 */
import { readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ModelManifest } from './manifest.js';

/** Variant files up to this size ship with the Worker; Workers static assets allow 25 MiB per file. */
export const BUNDLE_MAX_BYTES = Number(process.env.BUNDLE_MAX_BYTES ?? 2 * 1024 * 1024);

export function readManifests(modelsDir: string): ModelManifest[] {
  const out: ModelManifest[] = [];
  for (const name of readdirSync(modelsDir).sort()) {
    const file = join(modelsDir, name, 'manifest.json');
    if (!existsSync(file)) continue;
    const parsed = ModelManifest.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new Error(`${file}: ${issue.path.join('.')}: ${issue.message}`);
    }
    if (parsed.data.name !== name) throw new Error(`${file}: name '${parsed.data.name}' does not match its folder '${name}'`);
    out.push(parsed.data);
  }
  return out;
}

/** Files to keep out of the Worker's static assets (gitignore syntax, relative to models/). */
export function assetsIgnore(manifests: ModelManifest[]): string[] {
  const keep = new Set<string>();
  for (const m of manifests) for (const v of Object.values(m.variants)) if (v.bytes <= BUNDLE_MAX_BYTES) keep.add(`${m.name}/${v.file}`);
  return ['*', '!*/', ...[...keep].sort().map((k) => `!${k}`)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? 'models';
  const manifests = readManifests(dir);
  writeFileSync(join(dir, 'catalog.json'), JSON.stringify({ models: manifests }, null, 1) + '\n');
  writeFileSync(join(dir, '.assetsignore'), assetsIgnore(manifests).join('\n') + '\n');
  console.log(`catalog: ${manifests.length} models (${manifests.map((m) => m.name).join(', ')})`);
}
