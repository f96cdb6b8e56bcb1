/**
 * The SDK stands alone: its browser files import only each other and onnxruntime-web (loaded on demand),
 * never the Worker's code (which needs workerd, zod and the rest of the gateway); only the Node cache may
 * use Node built-ins, and nothing in the gateway imports the SDK.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph } from '../layout/imports.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

describe('the SDK in the import graph', () => {
  const sdk = importGraph(ROOT, ['sdk/src']);

  it('imports only its own files and onnxruntime-web (Node built-ins only in node-cache.ts)', () => {
    const outside = sdk.filter((e) => !e.to.startsWith('sdk/src/') && e.to !== 'onnxruntime-web' && !(e.from === 'sdk/src/node-cache.ts' && e.to.startsWith('node:')));
    expect(outside.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });

  it('has no cycle', () => {
    expect(cycles(sdk)).toEqual([]);
  });

  it('is not imported by the gateway, the origin or the tools', () => {
    const into = importGraph(ROOT, ['src', 'routes', 'tail', 'tools', 'origin']).filter((e) => e.to.startsWith('sdk/'));
    expect(into.map((e) => `${e.from} -> ${e.to}`)).toEqual([]);
  });
});
