/**
 * Pruned and distilled variants through the compressor on a real model (the bundled mnist MLP, real digits):
 * written with their facts (how they were made, multiply-adds), measured and judged like every variant on
 * held-out digits, and rebuilt byte for byte by setup from the recorded recipe. A graph the pruner cannot take,
 * and training data that is the evaluation set, are refused with one line before anything is written.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelManifest } from '../../../src/registry/manifest.js';
import { compress, type CompressOptions } from '../../../tools/compress/pipeline.js';
import { CompressInputError } from '../../../tools/compress/failure.js';
import type { StructuredRecipe } from '../../../tools/prune/variants.js';
import { replayStructured } from '../../../tools/setup/replay.js';
import { loadAllDigits, MNIST_SPLIT, splitDigits } from '../../../tools/lib/digits.js';
import { sha256 } from '../../../tools/lib/sha256.js';

let dir: string;
let manifest: ModelManifest;
const recipe: StructuredRecipe = {
  train: 'mnist', seed: 3, epochs: 1, batch: 64, lr: 1e-3, alpha: 0, temperature: 4,
  prune: { ratio: 0.5, residual: 'joint', importance_rows: 256, precisions: ['int8'], int8_form: 'dynamic' },
  distill: { student: 'mlp:784-32-10', alpha: 0.5 },
};

function options(name: string, extra: Partial<CompressOptions> = {}): CompressOptions {
  return {
    input: 'models/mnist/fp32.onnx', name, modelsDir: dir, only: ['fp32'],
    eval: join(dir, 'eval.json'), labels: join(dir, 'labels.json'), evalSetName: 'mnist test split (first 400 digits)',
    exclude: [], autoExclude: false, maxExclude: 0, forms: [], shapes: {}, batches: [1, 8], samples: 32, seed: 7,
    task: ['classifier'], intHigh: 1, inputRange: [0, 1], runs: 20, warmup: 3, budgetMs: 1500,
    ignoreWeights: true, command: 'test', structured: recipe, maxAccuracyDrop: 5, ...extra,
  };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'structured-'));
  const test = splitDigits(loadAllDigits(), MNIST_SPLIT.trainCount, MNIST_SPLIT.seed).test;
  writeFileSync(join(dir, 'eval.json'), JSON.stringify({ input: { dims: [400, 784], data: Array.from(test.pixels.subarray(0, 400 * 784)) } }));
  writeFileSync(join(dir, 'labels.json'), JSON.stringify(Array.from(test.labels.slice(0, 400))));
  ({ manifest } = await compress(options('digits')));
}, 300_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compress --prune --distill', () => {
  it('writes pruned, pruned int8 and distilled variants with how they were made', () => {
    const onDisk = ModelManifest.parse(JSON.parse(readFileSync(join(dir, 'digits', 'manifest.json'), 'utf8')));
    const dropped = (onDisk.provenance['dropped_variants'] ?? []) as { variant: string }[];
    expect([...Object.keys(onDisk.variants), ...dropped.map((d) => d.variant)].sort()).toEqual(['distilled', 'fp32', 'pruned50', 'pruned50-int8']);
    expect(onDisk.variants.pruned50, JSON.stringify(dropped)).toBeDefined();
    const pruned = onDisk.variants.pruned50!;
    expect(pruned.made).toMatchObject({ precision: 'fp32', base: 'fp32', pruning: { ratio: 0.5, units: expect.stringMatching(/hidden neurons/) } });
    // 784-128-64-10 with half of 128 and of 64 removed: 784*64 + 64*32 + 32*10 of 784*128 + 128*64 + 64*10.
    expect(pruned.made!.pruning!.removed).toBe(96);
    expect(pruned.made!.macs_ratio).toBeCloseTo((784 * 64 + 64 * 32 + 32 * 10) / (784 * 128 + 128 * 64 + 64 * 10), 2);
    expect(pruned.bytes).toBeLessThan(onDisk.variants.fp32!.bytes * 0.6);
    if (onDisk.variants['pruned50-int8']) expect(onDisk.variants['pruned50-int8'].made).toMatchObject({ precision: 'int8', base: 'pruned50' });
    if (onDisk.variants.distilled) expect(onDisk.variants.distilled.made).toMatchObject({ student: 'mlp:784-32-10', base: 'fp32' });
    for (const [name, v] of Object.entries(onDisk.variants)) {
      expect(v.latency.points.map((p) => p.items), name).toEqual([1, 8]);
      expect(v.fidelity.eval_set).toBe('mnist test split (first 400 digits)');
      expect(v.fidelity.accuracy, name).toBeGreaterThan(0.8);
      expect(sha256(readFileSync(join(dir, 'digits', v.file)))).toBe(v.sha256);
    }
    expect(onDisk.provenance['recipe']).toMatchObject({ structured: recipe });
    expect(onDisk.provenance['structured']).toMatchObject({ train_rows: expect.stringMatching(/mnist train split/), pruning: { epoch_loss: [expect.any(Number)] } });
  });

  it('is rebuilt byte for byte from the recorded recipe, as setup does', async () => {
    const names = Object.keys(manifest.variants).filter((v) => v !== 'fp32');
    for (const v of names) rmSync(join(dir, 'digits', manifest.variants[v]!.file));
    const written = await replayStructured(join(dir, 'digits'), manifest, names);
    for (const v of names) expect(written[v]?.sha256, v).toBe(manifest.variants[v]!.sha256);
  }, 120_000);

  it('refuses training on the evaluation set, in one line, writing nothing', async () => {
    const err = await compress(options('same', { structured: { ...recipe, train: join(dir, 'eval.json') } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompressInputError);
    expect((err as Error).message).toMatch(/--train .*eval\.json is also the evaluation set/);
    expect(existsSync(join(dir, 'same'))).toBe(false);
  });

  it('names the op a graph has that the pruner cannot take', async () => {
    const err = await compress(options('tf', { input: 'models/transformer-small/fp32.onnx' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CompressInputError);
    expect((err as Error).message).toMatch(/op '\w+' \(node '[^']+'\) is not supported by the pruner/);
    expect((err as Error).message.split('\n')).toHaveLength(1);
    expect(existsSync(join(dir, 'tf'))).toBe(false);
  }, 120_000);
});
