/**
 * The compressor's own layout (tools/compress/README.md): a small top level (the CLI, the pipeline and what
 * they share) over four folders by concern, one level deep, importing downward only. So adding a variant kind
 * has one obvious place per step, and the folder cannot quietly grow back into the flat heap of ~29 files it
 * was (issue 20).
 *
 *   failure.ts, progress.ts < passes/ < source/, data/ < choose/ < cli.ts, pipeline.ts, add-int8w.ts, model-folder.ts
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importGraph } from './imports.js';

const ROOT = resolve(import.meta.dirname, '../..');
const COMPRESS = join(ROOT, 'tools/compress');

/** The folders by concern; a new one is a decision for the README's folder map, not a side effect. */
const FOLDERS = ['choose', 'data', 'passes', 'source'];

/** Modules allowed at the top level (6 today): the CLI and the pipeline, and only what they share. */
const MAX_TOP_MODULES = 7;

/** Layers from the bottom up; a module imports its own layer's modules or lower ones. */
const LAYERS: [string, RegExp][] = [
  ['failures and progress', /^tools\/compress\/(failure|progress)\.ts$/],
  ['passes/', /^tools\/compress\/passes\//],
  ['source/ and data/', /^tools\/compress\/(source|data)\//],
  ['choose/', /^tools\/compress\/choose\//],
  ['the CLI and the pipeline', /^tools\/compress\/[^/]+\.ts$/],
];

const layer = (path: string) => LAYERS.findIndex(([, re]) => re.test(path));
const edges = importGraph(ROOT, ['tools/compress']).filter((e) => e.to.startsWith('tools/compress/'));

describe('the compressor folder', () => {
  it('has a small top level: the four folders by concern, at most 7 modules and its README', () => {
    const entries = readdirSync(COMPRESS);
    const folders = entries.filter((e) => statSync(join(COMPRESS, e)).isDirectory()).sort();
    const modules = entries.filter((e) => e.endsWith('.ts'));
    const other = entries.filter((e) => !folders.includes(e) && !modules.includes(e));
    expect(folders).toEqual(FOLDERS);
    expect(modules.length, `top-level modules: ${modules.join(', ')}`).toBeLessThanOrEqual(MAX_TOP_MODULES);
    expect(other).toEqual(['README.md']);
  });

  it('keeps each folder flat: modules only, no folder inside', () => {
    const nested = FOLDERS.flatMap((f) => readdirSync(join(COMPRESS, f)).filter((e) => !e.endsWith('.ts')).map((e) => `${f}/${e}`));
    expect(nested).toEqual([]);
  });

  it('imports only downward between its layers', () => {
    const upward = edges.filter((e) => layer(e.to) > layer(e.from)).map((e) => `${e.from} -> ${e.to}`);
    expect(upward).toEqual([]);
  });

  it('places every module in a layer, and the reader sees its imports', () => {
    expect(edges.filter((e) => layer(e.from) < 0 || layer(e.to) < 0)).toEqual([]);
    expect(edges.some((e) => e.from === 'tools/compress/pipeline.ts' && e.to.startsWith('tools/compress/choose/'))).toBe(true);
  });
});
