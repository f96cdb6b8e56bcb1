/**
 * The origin's allocator setting (tools/lib/allocator.ts) reaches every process that runs the origin: each
 * launcher sets it, and the origin can tell when it was started without it on glibc.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { allocatorUnset, ORIGIN_ALLOCATOR_ENV } from '../../tools/lib/allocator.js';

const glibc = !!(process.report.getReport() as { header?: { glibcVersionRuntime?: string } }).header?.glibcVersionRuntime;

describe("the origin's allocator setting", () => {
  it('is set by every launcher of the origin: npm run origin, npm start, the workers tests and bench', () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    const inline = Object.entries(ORIGIN_ALLOCATOR_ENV).map(([k, v]) => `${k}=${v}`).join(' ');
    expect(scripts['origin']).toBe(`${inline} tsx origin/server.ts`);
    for (const launcher of ['tools/setup/start.ts', 'test/setup/origin.ts', 'bench/lib/stack.ts']) {
      const text = readFileSync(launcher, 'utf8');
      expect(text, launcher).toContain("'origin/server.ts'");
      expect(text, launcher).toContain('...ORIGIN_ALLOCATOR_ENV');
    }
  });

  it.runIf(glibc)('is missed on glibc only when the variable is absent', () => {
    expect(allocatorUnset({})).toBe(true);
    expect(allocatorUnset({ ...ORIGIN_ALLOCATOR_ENV })).toBe(false);
    expect(allocatorUnset({ MALLOC_MMAP_THRESHOLD_: '262144' })).toBe(false);
  });
});
