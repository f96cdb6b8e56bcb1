/**
 * End to end on a real model: the PaddleOCR direction classifier compressed into a temp models dir with a
 * short configuration; the manifest must validate and describe files that exist and run, and setup's replay
 * of the recorded recipe must rebuild byte-identical variants.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelManifest } from '../../../src/registry/manifest.js';
import { sha256 } from '../../../tools/lib/sha256.js';
import { compress } from '../../../tools/compress/pipeline.js';
import { replayCompressed } from '../../../tools/setup/replay.js';
import { ocrOptions } from '../../../tools/models/ocr/build.js';
import { textImages } from '../../../tools/models/ocr/data.js';
import { runOnnx } from './graphs.js';

let dir: string;
let manifest: ModelManifest;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'compress-it-'));
  const options = ocrOptions('cls', dir, dir, true);
  // One int8 form: with two, the faster one in WASM wins, and which is faster depends on the machine's load
  // at that moment, so the bytes (and how close they stay to fp32) changed from run to run (0.127 apart on a
  // busy machine). This test checks what a fixed recipe produces.
  ({ manifest } = await compress({ ...options, forms: ['dynamic-matmul'], maxExclude: 2, batches: [1, 4] }));
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compressing PaddleOCR cls', () => {
  it('writes a manifest the gateway accepts, with four measured variants', () => {
    const onDisk = ModelManifest.parse(JSON.parse(readFileSync(join(dir, 'ppocr-cls', 'manifest.json'), 'utf8')));
    expect(onDisk.name).toBe('ppocr-cls');
    expect(Object.keys(onDisk.variants).sort()).toEqual(['fp16', 'fp32', 'int8', 'int8w']);
    const fp32 = onDisk.variants.fp32!;
    expect(onDisk.variants.fp16!.bytes / fp32.bytes).toBeLessThan(0.55);
    // Weight-only int8 of this small MobileNetV3 (depthwise 3x3 convs carry a scale per 9 weights): about a third.
    expect(onDisk.variants.int8w!.bytes / fp32.bytes).toBeLessThan(0.35);
    expect(onDisk.variants.int8w!.load).toEqual({ fold_dequantize: true });
    expect(onDisk.provenance['int8w']).toMatchObject({ status: 'served', check: expect.stringMatching(/ top1 /) });
    for (const v of Object.values(onDisk.variants)) {
      expect(v.latency.points.map((p) => p.items)).toEqual([1, 4]);
      expect(v.latency.runtime).toMatch(/onnxruntime-web .* 1 thread.*items = batch size/);
      expect(v.edge_memory_bytes).toBeGreaterThan(fp32.bytes / 2);
      expect(v.fidelity.eval_set).toMatch(/synthetic text images/);
      expect(v.fidelity.top1_agreement).toBeGreaterThanOrEqual(0.9);
      expect(sha256(readFileSync(join(dir, 'ppocr-cls', v.file)))).toBe(v.sha256);
    }
    expect(onDisk.provenance['generator']).toBe('compress');
  });

  it('produces variants that run in onnxruntime-node and agree with fp32 on text images', async () => {
    const feeds = { x: { type: 'float32' as const, dims: [4, 3, 48, 192], data: textImages(4, 48, 192, 99, { rotate: true }) } };
    const outs = await Promise.all(['fp32', 'fp16', 'int8', 'int8w'].map((v) => runOnnx(readFileSync(join(dir, 'ppocr-cls', `${v}.onnx`)), feeds)));
    for (const out of outs) {
      expect(out.length).toBe(8);
      for (let r = 0; r < 4; r++) expect(out[2 * r]! + out[2 * r + 1]!).toBeCloseTo(1, 3);
    }
    for (const out of outs.slice(1)) for (let i = 0; i < 8; i++) expect(Math.abs(out[i]! - outs[0]![i]!)).toBeLessThan(0.1);
  });

  it('rebuilds byte-identical variants from the recorded recipe, as setup does', () => {
    const replayDir = mkdtempSync(join(dir, 'replay-'));
    rmSync(replayDir, { recursive: true });
    const written = replayCompressed(join(dir, 'ppocr-cls'), manifest, ['fp16', 'int8', 'int8w']);
    expect(written['fp16']!.sha256).toBe(manifest.variants.fp16!.sha256);
    expect(written['int8']!.sha256).toBe(manifest.variants.int8!.sha256);
    expect(written['int8w']!.sha256).toBe(manifest.variants.int8w!.sha256);
  });
});
