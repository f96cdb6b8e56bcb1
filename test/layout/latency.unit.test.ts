/**
 * One room for the learning loop: the online estimator, the per-isolate learner, the frozen-clock guard, the
 * feedback wrapper around the backends and the schema of the profiles the Tail Worker publishes live in
 * src/latency/ and nowhere else, so whoever carries the loop on finds it in one folder. It spread over five
 * folders once (select/, dataplane/, registry/, tail/) and the fleet's profile came to be applied twice.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** The loop's own names: each is defined once, in src/latency/. */
const NAMES = ['LatencyEstimator', 'LatencyLearner', 'ClockGuard', 'Feedback', 'LearnedProfiles', 'LearnedFit', 'LatencyLine', 'RequestLogLine', 'fleetPrior', 'learnedFit'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.d.ts') ? [relative(ROOT, path)] : [];
  });
}

const files = ['src', 'routes', 'tail', 'tools', 'origin', 'bench'].flatMap((d) => sources(join(ROOT, d)));
const defines = (text: string, name: string) => new RegExp(`(?:class|interface|type|const|let|function)\\s+${name}\\b`).test(text);

describe('the learning loop', () => {
  it.each(NAMES)('defines %s in src/latency/ and nowhere else', (name) => {
    const where = files.filter((f) => defines(readFileSync(join(ROOT, f), 'utf8'), name));
    expect(where.length, `${name} is defined in: ${where.join(', ') || 'nothing'}`).toBeGreaterThan(0);
    expect(where.filter((f) => !f.startsWith('src/latency/'))).toEqual([]);
  });
});
