/** Runs a bench entry as a script: always stops what it started, exits non-zero on failure. */
import { pathToFileURL } from 'node:url';
import { closeAgent } from './http.js';
import { stopAll } from './stack.js';

/** True when `moduleUrl` is the script node was started with. */
export function isMain(moduleUrl: string): boolean {
  return !!process.argv[1] && moduleUrl === pathToFileURL(process.argv[1]).href;
}

export async function runEntry(name: string, fn: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  try {
    await fn();
    console.log(`\n${name}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    console.error(`\n${name}: failed: ${(e as Error).stack ?? e}`);
    process.exitCode = 1;
  } finally {
    await stopAll();
    closeAgent();
  }
}

/** Loops `fn` at most `count` times and at most `seconds` long. */
export async function bounded(count: number, seconds: number, fn: (i: number) => Promise<void>): Promise<number> {
  const deadline = performance.now() + seconds * 1000;
  let i = 0;
  for (; i < count && performance.now() < deadline; i++) await fn(i);
  return i;
}
