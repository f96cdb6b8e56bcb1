/** Writes one entry's results as JSON under bench/results/ (with when, where and how it ran). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { ROOT } from './stack.js';

export const RESULTS_DIR = process.env.BENCH_RESULTS_DIR ?? resolve(ROOT, 'bench/results');

export function machine() {
  return { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', platform: process.platform };
}

export function writeResult(name: string, data: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = resolve(RESULTS_DIR, `${name}.json`);
  writeFileSync(path, JSON.stringify({ bench: name, measured_at: new Date().toISOString(), machine: machine(), ...data }, null, 1) + '\n');
  console.log(`\nwrote ${path}`);
  return path;
}
