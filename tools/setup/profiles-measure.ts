/**
 * `npm run profiles:measure -- <model> [<model>...] [--runs N] [--batches 1,2,4] [--warmup N] [--budget-ms N]
 * [--int-high N] [--models-dir models]`: re-measures the latency of models' existing variant files and
 * rewrites only their profiles (tools/measure/reprofile.ts), then prints the consistency check for them, so
 * a point still hit by outside load shows at once and the model can be measured again.
 */
import { parseArgs } from 'node:util';
import { checkProfiles } from '../measure/consistency.js';
import { reprofile, type ReprofileOptions } from '../measure/reprofile.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    runs: { type: 'string' }, batches: { type: 'string' }, warmup: { type: 'string' }, 'budget-ms': { type: 'string' },
    'int-high': { type: 'string' }, 'models-dir': { type: 'string', default: 'models' },
  },
});
const count = (flag: string, v: string | undefined) => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} ${v}: a positive integer`);
  return n;
};

try {
  if (!positionals.length) throw new Error('name at least one model: npm run profiles:measure -- <model> [<model>...]');
  const o: ReprofileOptions = {
    runs: count('runs', values.runs),
    batches: values.batches?.split(',').map((b) => count('batches', b)!),
    warmup: count('warmup', values.warmup),
    budgetMs: count('budget-ms', values['budget-ms']),
    intHigh: count('int-high', values['int-high']),
  };
  for (const name of positionals) {
    const started = performance.now();
    const manifest = reprofile(values['models-dir'], name, o, (line) => console.log(line));
    const warnings = checkProfiles(manifest);
    console.log(`${name}: profiles written in ${Math.round((performance.now() - started) / 1000)}s; ${warnings.length ? `${warnings.length} warning(s), measure it again:` : 'consistent'}`);
    for (const w of warnings) console.log(`  [${w.check}] ${w.message}`);
  }
} catch (err) {
  console.error(`profiles:measure: ${(err as Error).message}`);
  process.exit(1);
}
