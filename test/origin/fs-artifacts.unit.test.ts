/**
 * The models folder as the origin's stores (origin/fs-store.ts): the engine's (a file onnxruntime-node opens
 * itself, else bytes) and the device artifacts' (sizes, whole files, ranges, absences).
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsArtifacts, FsStore } from '../../origin/fs-store.js';
import type { OrtModule } from '../../src/engine/ort-session.js';
import { openSession } from '../../src/engine/ort-session.js';
import { Registry } from '../../src/registry/registry.js';
import { readManifests } from '../../tools/lib/manifests.js';

const mnist = new Registry(readManifests('models')).get('mnist');
const file = readFileSync(join('models/mnist', mnist.variants.int8!.file));
const all = async (s: ReadableStream<Uint8Array> | undefined) => Buffer.from(await new Response(s).arrayBuffer());

describe('FsArtifacts', () => {
  const store = new FsArtifacts('models');

  it('reports the size of a variant file and streams all of it', async () => {
    expect(await store.size(mnist, 'int8')).toBe(mnist.variants.int8!.bytes);
    expect((await all(await store.read(mnist, 'int8'))).equals(file)).toBe(true);
  });

  it('streams one range of the file', async () => {
    expect((await all(await store.read(mnist, 'int8', { offset: 100, length: 16 }))).equals(file.subarray(100, 116))).toBe(true);
  });

  it('holds nothing where the file is missing', async () => {
    const none = new FsArtifacts(join(tmpdir(), `no-models-${process.pid}`));
    expect(await none.size(mnist, 'int8')).toBeUndefined();
    expect(await none.read(mnist, 'int8')).toBeUndefined();
  });
});

describe('FsStore', () => {
  it('hands onnxruntime the variant\'s file to open, never its bytes, and the bytes only to a runtime that asks', async () => {
    const store = new FsStore('models');
    const opened: unknown[] = [];
    const ort = { InferenceSession: { create: async (source: unknown) => (opened.push(source), {}) } } as unknown as OrtModule;
    await openSession(ort, store, mnist, 'int8');
    expect(opened).toEqual([join('models', 'mnist', mnist.variants.int8!.file)]);
    expect(Buffer.from((await store.get(mnist, 'int8'))!).equals(file)).toBe(true);
  });

  it('names no file, and no bytes, where the file is missing', async () => {
    const none = new FsStore(join(tmpdir(), `no-models-${process.pid}`));
    expect(await none.path(mnist, 'int8')).toBeUndefined();
    expect(await none.get(mnist, 'int8')).toBeUndefined();
  });
});
