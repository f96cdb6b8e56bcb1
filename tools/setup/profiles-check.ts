/**
 * `npm run profiles:check [models-dir] [--strict]`: the latency profile consistency report for every
 * manifest (tools/measure/consistency.ts). Exits 0 with warnings, unless --strict (for a pipeline that
 * must not ship an inconsistent profile).
 */
import { report } from '../measure/consistency.js';
import { readManifests } from '../lib/manifests.js';

const args = process.argv.slice(2);
const dir = args.find((a) => !a.startsWith('--')) ?? 'models';
const { warnings, lines } = report(readManifests(dir));
for (const line of lines) console.log(line);
if (warnings.length && args.includes('--strict')) process.exit(1);
