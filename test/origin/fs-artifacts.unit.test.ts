/** The models folder as a device artifact store (origin/fs-store.ts): sizes, whole files, ranges, absences. */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FsArtifacts } from '../../origin/fs-store.js';
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
