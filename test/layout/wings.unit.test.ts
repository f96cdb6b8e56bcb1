/**
 * The two wings of the house (README "Layout"): the Worker's wing (src/, routes/, and tail/, the feedback
 * Tail Worker on the core's lower layers) never imports the tools
 * wing, the origin, bench or tests, nor Node built-ins; the tools wing imports the core and its own lower
 * layers only (lib < onnx < measure < compress passes, readers and choices < prune, train < compress CLI and
 * pipeline < models < setup, docs, export); nothing in the repository forms a cycle.
 * The Worker's own layers are checked in more detail by layers.unit.test.ts, the compressor's folders by
 * compress.unit.test.ts.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph, type ImportEdge } from './imports.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Layers from the bottom up; a file may import its own layer's files or lower ones. The request path reads
 * upwards: routes -> data plane -> engine | origin -> select -> latency -> registry -> protocol.
 */
const LAYERS: [number, RegExp][] = [
  [0, /^src\/(errors|lib\/)/],
  [1, /^src\/protocol\//],
  [2, /^src\/registry\//],
  [3, /^src\/(backend|metrics)\.ts$/],
  // The learning loop and the fidelity monitor: below the selector and the config (which holds their schemas).
  [4, /^src\/(latency|monitor)\//],
  [5, /^src\/config\.ts$|^src\/(config|select)\//],
  [6, /^src\/(engine|origin)\/|^src\/policy-source\.ts$/],
  [7, /^src\/dataplane/],
  [8, /^routes\//],
  [9, /^src\/worker\.ts$/],
  // The feedback Tail Worker: its own Worker and composition root, on the core's lower layers.
  [10, /^tail\//],
  [11, /^tools\/lib\//],
  [12, /^tools\/onnx\//],
  [13, /^tools\/measure\//],
  // The compressor's passes, readers and choices; then the pruner and its trainer (TensorFlow.js), which
  // read samples and quantize with them; then the compressor's CLI and pipeline, which call the pruner.
  [14, /^tools\/compress\/(passes|source|data|choose)\/|^tools\/compress\/(failure|progress)\.ts$/],
  [15, /^tools\/(prune|train)\//],
  [16, /^tools\/compress\//],
  [17, /^tools\/models\//],
  [18, /^tools\/(setup|docs|export)\//],
  [19, /^origin\//],
  [20, /^bench\//],
];

function layer(path: string): number | undefined {
  return LAYERS.find(([, re]) => re.test(path))?.[0];
}

const graph = importGraph(ROOT, ['src', 'routes', 'tail', 'tools', 'origin', 'bench', 'test']);
const internal = (e: ImportEdge) => /^(src|routes|tail|tools|origin|bench|test|models|node_modules)\//.test(e.to);

describe('the wings of the import graph', () => {
  it('places every module of src/, routes/, tail/ and tools/ in a layer', () => {
    const files = new Set(graph.map((e) => e.from).filter((f) => /^(src|routes|tail|tools)\//.test(f)));
    expect([...files].filter((f) => layer(f) === undefined)).toEqual([]);
  });

  it('has no import from a lower layer to a higher one', () => {
    const upward = graph
      .filter((e) => internal(e) && layer(e.from) !== undefined && layer(e.to) !== undefined)
      .filter((e) => layer(e.to)! > layer(e.from)!)
      .map((e) => `${e.from} -> ${e.to}`);
    expect(upward).toEqual([]);
  });

  it('keeps the Worker wing (and the Tail Worker) free of Node built-ins and of the tools, origin, bench and tests', () => {
    const bad = graph
      .filter((e) => /^(src|routes|tail)\//.test(e.from))
      .filter((e) => /^node:/.test(e.to) || /^(tools|origin|bench|test)\//.test(e.to))
      .map((e) => `${e.from} -> ${e.to}`);
    expect(bad).toEqual([]);
  });

  it('keeps the tools off the HTTP layer and the Worker entry', () => {
    const bad = graph.filter((e) => /^tools\//.test(e.from) && /^(routes\/|src\/worker|src\/dataplane|tail\/|origin\/|bench\/)/.test(e.to));
    expect(bad.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('has no cycle', () => {
    expect(cycles(graph.filter(internal))).toEqual([]);
  });

  it('finds real edges (the reader works)', () => {
    expect(graph.some((e) => e.from === 'src/worker.ts' && e.to.startsWith('routes/'))).toBe(true);
    expect(graph.some((e) => e.from.startsWith('tools/compress/') && e.to.startsWith('tools/onnx/'))).toBe(true);
    expect(graph.some((e) => e.from === 'tail/collector.ts' && e.to.startsWith('src/'))).toBe(true);
  });
});
