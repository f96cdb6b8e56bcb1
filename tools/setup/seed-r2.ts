/**
 * Seeds the local R2 bucket (miniflare's, under .wrangler/state) with the variant files that are too
 * large to ship as Worker assets but may run at the edge. Skips objects already seeded with the same
 * sha256, so restarts are quick. In production ops upload the same keys with `wrangler r2 object put`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readManifests } from '../lib/manifests.js';
import { BUNDLE_MAX_BYTES } from './catalog.js';

const BUCKET = 'gateway-models';
/** Variants needing more memory than a Workers isolate has (128 MB) never run at the edge: not seeded. */
const ISOLATE_MEMORY_BYTES = 128 * 1024 * 1024;
const MARKER = '.wrangler/state/r2-seeded.json';

/** The `<model>/<file>` keys R2 should hold, with their local paths and digests. */
export function r2Objects(modelsDir: string) {
  const out: { key: string; path: string; sha256: string }[] = [];
  for (const m of readManifests(modelsDir)) {
    for (const v of Object.values(m.variants)) {
      if (v.bytes > BUNDLE_MAX_BYTES && v.edge_memory_bytes <= ISOLATE_MEMORY_BYTES) out.push({ key: `${m.name}/${v.file}`, path: join(modelsDir, m.name, v.file), sha256: v.sha256 });
    }
  }
  return out;
}

export async function seedR2(modelsDir: string): Promise<void> {
  const seeded: Record<string, string> = existsSync(MARKER) ? JSON.parse(readFileSync(MARKER, 'utf8')) : {};
  for (const obj of r2Objects(modelsDir)) {
    if (seeded[obj.key] === obj.sha256) continue;
    if (!existsSync(obj.path)) {
      console.log(`  r2: ${obj.key} missing locally, skipped`);
      continue;
    }
    const r = spawnSync('npx', ['wrangler', 'r2', 'object', 'put', `${BUCKET}/${obj.key}`, '--file', obj.path, '--local'], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    });
    if (r.status !== 0) throw new Error(`could not seed ${obj.key} into local R2`);
    seeded[obj.key] = obj.sha256;
    console.log(`  r2: ${obj.key}`);
  }
  mkdirSync('.wrangler/state', { recursive: true });
  writeFileSync(MARKER, JSON.stringify(seeded, null, 1));
}
