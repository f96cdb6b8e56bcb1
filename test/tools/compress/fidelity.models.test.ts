/**
 * The compressor measures every output by the metric that fits its kind, in onnxruntime-web, and never
 * writes a variant below its floor there: a scalar output scored by absolute and relative error on samples
 * from a .npy file, a stateful model's drift with the state fed back, and a variant that misses its floor
 * (or would quantize nothing) dropped from the manifest and the folder, with the reason in the provenance,
 * while the variants that keep it are written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelManifest } from '../../../src/registry/manifest.js';
import { compress, type CompressOptions } from '../../../tools/compress/pipeline.js';
import { encodeModel } from '../../../tools/onnx/io.js';
import { Prng } from '../../../tools/lib/prng.js';
import { int8GridNet, melNet, scalarNet, stateNet } from './kind-graphs.js';
import { npy } from './npy-writer.js';
import { serveEachVariant } from './serve-check.js';
import { randomFeeds } from '../../../tools/compress/data/feeds.js';
import { resolveShapes } from '../../../tools/compress/data/shapes.js';

let dir: string;

const options = (file: string, name: string, extra: Partial<CompressOptions> = {}): CompressOptions => ({
  input: file, name, modelsDir: join(dir, 'models'), exclude: [], autoExclude: true, maxExclude: 4, forms: ['dynamic-matmul'], shapes: {},
  batches: [1], samples: 32, seed: 7, task: 'auto', intHigh: 2, inputRange: [-1, 1], runs: 3, warmup: 1, budgetMs: 200, ignoreWeights: false, command: 'test', ...extra,
});
const write = (name: string, bytes: Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
};
const onDisk = (name: string) => ModelManifest.parse(JSON.parse(readFileSync(join(dir, 'models', name, 'manifest.json'), 'utf8')));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'compress-fidelity-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fidelity by output kind, measured in onnxruntime-web', () => {
  it('scores a scalar output by absolute and relative error on .npy samples, and marks the set as data', async () => {
    const prng = new Prng(21);
    const samples = write('x.npy', npy('<f4', [40, 8], prng.fillUniform(new Float32Array(320), 2)));
    await compress(options(write('scalar.onnx', encodeModel(scalarNet())), 'scalar', { eval: [samples] }));
    const m = onDisk('scalar');
    for (const [name, v] of Object.entries(m.variants)) {
      const p = v.fidelity.outputs!['p']!;
      expect(p.kind).toBe('scalar');
      expect(p.cosine).toBeUndefined();
      expect(p.mean_rel_err).toBeGreaterThanOrEqual(0);
      expect(p.max_rel_err).toBeGreaterThanOrEqual(p.mean_rel_err!);
      expect(p.max_abs_err).toBeGreaterThanOrEqual(p.mean_abs_err);
      if (name === 'fp32') expect(p).toMatchObject({ max_abs_err: 0, mean_rel_err: 0 });
      else expect(p.mean_rel_err!).toBeLessThanOrEqual(0.05);
      expect(v.fidelity).toMatchObject({ eval_set_kind: 'data', samples: 40, runtime: expect.stringMatching(/^onnxruntime-web /) });
      expect(v.fidelity.eval_set).toMatch(/40 samples from 1 \.npy file/);
    }
    expect(m.provenance['fidelity_floors']).toEqual({ p: { kind: 'scalar', floors: ['rel=0.05'] } });
  }, 240_000);

  it('measures a stateful model\'s drift after 8 steps with each variant fed back its own state, and marks random inputs unverified', async () => {
    await compress(options(write('state.onnx', encodeModel(stateNet())), 'state'));
    const m = onDisk('state');
    const int8 = m.variants.int8!.fidelity;
    expect(int8.outputs!['stateN']).toMatchObject({ kind: 'state', steps: 8 });
    expect(int8.outputs!['stateN']!.drift).toBeGreaterThan(0);
    expect(int8.outputs!['stateN']!.drift).toBeLessThanOrEqual(0.05);
    expect(int8.outputs!['y']).toMatchObject({ kind: 'regression' });
    expect(int8.outputs!['y']!.snr_db).toBeGreaterThan(10);
    expect(m.variants.fp32!.fidelity.outputs!['stateN']!.drift).toBe(0);
    expect(int8.eval_set_kind).toBe('random');
    expect(int8.eval_set).toMatch(/fidelity unverified/);
  }, 240_000);

  it('does not write a variant that misses its floor in onnxruntime-web, nor an int8 that quantizes nothing, and writes the rest', async () => {
    // snr=100 (added to the default cosine): int8w holds the grid weights exactly; fp16 cannot; dynamic int8
    // gets there only by keeping its one MatMul fp32, which leaves nothing quantized.
    const { manifest, dropped } = await compress(options(write('grid.onnx', encodeModel(int8GridNet())), 'grid', { fidelityFloor: 'snr=100' }));
    expect(dropped.map((d) => d.variant).sort()).toEqual(['fp16', 'int8']);
    const fp16 = dropped.find((d) => d.variant === 'fp16')!;
    expect(fp16).toMatchObject({ runtime: expect.stringMatching(/^onnxruntime-web /), failures: [expect.stringMatching(/^'y' snr \d+(\.\d+)? < 100$/)] });
    expect(dropped.find((d) => d.variant === 'int8')).toMatchObject({ runtime: 'onnxruntime-node', failures: [expect.stringMatching(/dynamic-matmul: quantizes nothing/)] });
    const m = onDisk('grid');
    expect(Object.keys(m.variants).sort()).toEqual(['fp32', 'int8w']);
    expect(manifest.variants.fp16).toBeUndefined();
    for (const file of ['fp16.onnx', 'int8.onnx']) expect(existsSync(join(dir, 'models', 'grid', file))).toBe(false);
    expect(m.provenance['dropped_variants']).toEqual(JSON.parse(JSON.stringify(dropped)));
    expect(m.provenance['recipe']).not.toHaveProperty('int8');
    expect(m.variants.int8w!.fidelity.outputs!['y']!.snr_db).toBeGreaterThan(100);
  }, 240_000);

  it('writes nothing when every compressed variant is dropped, and says why for each', async () => {
    await expect(compress(options(write('mel.onnx', encodeModel(melNet())), 'mel', { fidelityFloor: 'snr=200' }))).rejects.toThrow(/^no variant meets the fidelity floors, nothing written: int8: .*quantizes nothing.*; int8w: quantizes nothing.*; fp16: 'log_mel' snr [\d.]+ < 200 \(--only fp32 writes the reference alone\)$/);
    expect(existsSync(join(dir, 'models', 'mel'))).toBe(false);
  }, 240_000);

  it('serves the scalar, stateful and grid models it wrote through the gateway app, every variant close to fp32', async () => {
    for (const name of ['scalar', 'state', 'grid']) {
      const m = onDisk(name);
      const feeds = randomFeeds(m.inputs, resolveShapes(m.inputs, {}, 3), 11, { lo: -1, hi: 1 });
      const served = await serveEachVariant(join(dir, 'models'), m, feeds);
      const ref = served['fp32']!.first!;
      for (const variant of Object.keys(m.variants)) {
        const s = served[variant]!;
        expect(s.status, `${name}/${variant}: ${JSON.stringify(s.body).slice(0, 300)}`).toBe(200);
        expect(s.servedVariant).toBe(variant);
        expect(s.first!.every(Number.isFinite)).toBe(true);
        // Within the worst relative error any written variant may have (the floors are rel 0.05, cosine 0.99).
        const scale = Math.max(...ref.map(Math.abs), 1e-6);
        s.first!.forEach((x, i) => expect(Math.abs(x - ref[i]!) / scale, `${name}/${variant}[${i}]`).toBeLessThanOrEqual(0.1));
      }
    }
  }, 120_000);
});
