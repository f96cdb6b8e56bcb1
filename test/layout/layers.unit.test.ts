/**
 * The layering of the Worker's code, read from the import graph (test/layout/imports.ts): a module only
 * imports modules of lower layers (so the engine and the origin client, side by side, share the backend
 * interface instead of importing each other), nothing imports in a cycle, only the composition root
 * (src/worker.ts) knows the routes, and the core knows no Hono.
 *
 *   lib < errors < protocol < registry < {backend, metrics} < latency < monitor < {config, select}
 *          < {engine, origin, policy-source} < dataplane < routes/ < src/worker.ts
 *
 * The learning loop (src/latency/) sits below the selector, which reads its estimates, and below the config,
 * which holds the learned profiles' schema; it wraps backends and counts in metrics, both leaves beneath it.
 * The fidelity monitor (src/monitor/) sits above it and below the config too, which holds the schema of the
 * fleet's published evidence; the data plane runs its shadow checks and hands routing what it holds out.
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph } from './imports.js';

const ROOT = resolve(import.meta.dirname, '../..');
const edges = importGraph(ROOT, ['src', 'routes']);

const LAYERS: readonly (readonly string[])[] = [
  ['src/lib'],
  ['src/errors'],
  ['src/protocol'],
  ['src/registry'],
  ['src/backend', 'src/metrics'],
  ['src/latency'],
  ['src/monitor'],
  ['src/config', 'src/select'],
  ['src/engine', 'src/origin', 'src/policy-source'],
  ['src/dataplane'],
  ['routes'],
  ['src/worker'],
];

/** The module of a repository path: `src/<name>` (file or folder) or `routes`. */
const unit = (path: string) => (path.startsWith('routes/') ? 'routes' : path.split('/').slice(0, 2).join('/').replace(/\.tsx?$/, ''));

function layer(path: string): number | undefined {
  const i = LAYERS.findIndex((l) => l.includes(unit(path)));
  return i < 0 ? undefined : i;
}

describe('the layers of the Worker', () => {
  it('puts every file of src/ and routes/ in a layer', () => {
    const unplaced = [...new Set(edges.flatMap((e) => [e.from, e.to]).filter((p) => /^(src|routes)\//.test(p) && layer(p) === undefined))];
    expect(unplaced).toEqual([]);
  });

  it('imports only downward: never up, nor sideways to another module of its own layer', () => {
    const upward = edges
      .filter((e) => layer(e.from) !== undefined && layer(e.to) !== undefined && unit(e.from) !== unit(e.to) && layer(e.from)! <= layer(e.to)!)
      .map((e) => `${e.from} -> ${e.to}`);
    expect(upward).toEqual([]);
  });

  it('has no import cycles', () => {
    expect(cycles(edges)).toEqual([]);
  });

  it('keeps Hono out of the core: only routes/ import it', () => {
    const core = edges.filter((e) => e.from.startsWith('src/') && (e.to === 'hono' || e.to.startsWith('hono/') || e.to.startsWith('@hono/')));
    expect(core.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });
});
