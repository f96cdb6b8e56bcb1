/**
 * Builds models/catalog.json (every manifest under models/, validated) that the Worker imports, and
 * models/.assetsignore so only small edge variants ship as Worker static assets; larger ones go to R2
 * (see seed-r2.ts) and origin-only ones stay at the origin. Run by `npm run catalog` (start and test run it),
 * which also prints the latency profile consistency report (tools/measure/consistency.ts).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelManifest } from '../../src/registry/manifest.js';
import { readManifests } from '../lib/manifests.js';
import { report } from '../measure/consistency.js';

/** Variant files up to this size ship with the Worker; Workers static assets allow 25 MiB per file. */
export const BUNDLE_MAX_BYTES = Number(process.env.BUNDLE_MAX_BYTES ?? 2 * 1024 * 1024);

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
  // Warnings only: setup goes on, and `npm run profiles:check` prints the same report on its own.
  for (const line of report(manifests).lines) console.log(line);
}
