/**
 * Every test file belongs to exactly one tier by its suffix (vitest.config.ts), and the unit tier keeps its
 * promise: pure and in-process, so `npm run test:unit` stays a loop of seconds. A unit test that starts a
 * process, a browser or a server belongs in e2e; one that compresses real models, in models.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const TEST = 'test';

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return testFiles(path);
    return /\.test\.tsx?$/.test(e.name) ? [relative('.', path)] : [];
  });
}

const files = testFiles(TEST);
const tierOf = (f: string) => /\.(unit|models|e2e)\.test\.tsx?$/.exec(f)?.[1] ?? 'workers';

/** What a unit test may not touch: each starts something outside the test's own process, or a port. */
const OUTSIDE = [
  { what: 'a subprocess', re: /from 'node:child_process'|require\('child_process'\)/ },
  { what: 'a browser', re: /from 'playwright-core'|chromium/i },
  { what: 'a server on a port', re: /from '@hono\/node-server'|startOrigin\(|\.listen\(|freePort\(/ },
  { what: 'wrangler', re: /from 'wrangler'|unstable_dev/ },
];

describe('test tiers', () => {
  it('names every test file for a tier: *.unit, *.models, *.e2e, or plain for workerd (no other suffix)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files.filter((f) => /\.[a-z]+\.test\.tsx?$/.test(f) && !/\.(unit|models|e2e)\.test\.tsx?$/.test(f))).toEqual([]);
  });

  it('keeps unit tests in their own process: no subprocess, browser, server or wrangler', () => {
    const breaking = files
      // This file names the patterns it looks for.
      .filter((f) => tierOf(f) === 'unit' && !f.endsWith('tiers.unit.test.ts'))
      .flatMap((f) => {
        const text = readFileSync(f, 'utf8');
        return OUTSIDE.filter(({ re }) => re.test(text)).map(({ what }) => `${f}: ${what}`);
      });
    expect(breaking).toEqual([]);
  });
});
