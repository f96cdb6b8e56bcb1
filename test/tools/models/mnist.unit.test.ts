/** The committed MNIST model: manifest valid, files match it, fixture usable, fp32 accuracy as stated. */
import { readFileSync, statSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ModelManifest } from '../../../src/registry/manifest.js';
import { sessionOptionsFor } from '../../../src/engine/ort-session.js';
import { sha256 } from '../../../tools/lib/sha256.js';

const dir = 'models/mnist';
const manifest = ModelManifest.parse(JSON.parse(readFileSync(`${dir}/manifest.json`, 'utf8')));
const samples = JSON.parse(readFileSync(`${dir}/samples.json`, 'utf8')) as { inputs: number[][]; labels: number[] };

describe('mnist model files', () => {
  it('has a manifest with fp32, fp16, int8 and int8w variants and a test accuracy of at least 93%', () => {
    expect(Object.keys(manifest.variants).sort()).toEqual(['fp16', 'fp32', 'int8', 'int8w']);
    expect(manifest.test_accuracy).toBeGreaterThanOrEqual(0.93);
    expect(manifest.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 784] }]);
    expect(manifest.outputs).toEqual([{ name: 'logits', datatype: 'FP32', shape: [-1, 10], labels: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] }]);
  });

  it.each(['fp32', 'fp16', 'int8', 'int8w'] as const)('%s file matches its manifest size and sha256', (name) => {
    const v = manifest.variants[name]!;
    const bytes = readFileSync(`${dir}/${v.file}`);
    expect(statSync(`${dir}/${v.file}`).size).toBe(v.bytes);
    expect(sha256(bytes)).toBe(v.sha256);
  });

  it('compressed variants are smaller than fp32', () => {
    expect(manifest.variants.fp16!.bytes).toBeLessThan(manifest.variants.fp32!.bytes * 0.55);
    expect(manifest.variants.int8!.bytes).toBeLessThan(manifest.variants.fp32!.bytes * 0.3);
    expect(manifest.variants.int8w!.bytes).toBeLessThan(manifest.variants.fp32!.bytes * 0.3);
  });

  it('ships 200 labelled test digits of 784 pixels in 0..1', () => {
    expect(samples.inputs).toHaveLength(200);
    expect(samples.labels).toHaveLength(200);
    expect(samples.inputs.every((row) => row.length === 784 && row.every((p) => p >= 0 && p <= 1))).toBe(true);
    expect(new Set(samples.labels).size).toBe(10);
  });

  it.each(['fp32', 'fp16', 'int8', 'int8w'] as const)('%s classifies the sample digits with at least 93%% accuracy', async (name) => {
    const session = await ort.InferenceSession.create(`${dir}/${manifest.variants[name]!.file}`, sessionOptionsFor(manifest.variants[name]!.load));
    const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(samples.inputs.flat()), [200, 784]) });
    const logits = out['logits']!.data as Float32Array;
    let correct = 0;
    for (let i = 0; i < 200; i++) {
      const row = Array.from(logits.subarray(i * 10, i * 10 + 10));
      if (row.indexOf(Math.max(...row)) === samples.labels[i]) correct++;
    }
    expect(correct / 200).toBeGreaterThanOrEqual(0.93);
  });
});
