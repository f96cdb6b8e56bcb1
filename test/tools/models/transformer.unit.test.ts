/** The synthetic transformer generator: deterministic bytes, runnable in onnxruntime-node. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { TRANSFORMER_CONFIGS } from '../../../tools/models/transformer/config.js';
import { generateTransformer } from '../../../tools/models/transformer/generate.js';
import { compareOutputs } from '../../../tools/measure/stats.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'transformer-test-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const tiny = TRANSFORMER_CONFIGS.tiny;

async function encode(file: string, batch: number, seq: number): Promise<ort.Tensor> {
  const session = await ort.InferenceSession.create(file);
  const ids = BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt((i * 13) % tiny.vocab));
  const mask = BigInt64Array.from({ length: batch * seq }, (_, i) => (i % seq < seq - 2 ? 1n : 0n));
  const out = await session.run({ input_ids: new ort.Tensor('int64', ids, [batch, seq]), attention_mask: new ort.Tensor('int64', mask, [batch, seq]) });
  return out['last_hidden_state']!;
}

describe('synthetic transformer generation', () => {
  const first = tempDir();
  const a = generateTransformer(tiny, first);

  it('gives identical bytes for the same config and seed', () => {
    expect(generateTransformer(tiny, tempDir())).toEqual(a);
  });

  it('gives different weights for a different seed', () => {
    expect(generateTransformer({ ...tiny, seed: tiny.seed + 1 }, tempDir(), ['fp32']).fp32!.sha256).not.toBe(a.fp32!.sha256);
  });

  it('runs with dynamic batch and sequence and returns [batch, seq, hidden]', async () => {
    const out = await encode(join(first, 'fp32.onnx'), 3, 7);
    expect(out.dims).toEqual([3, 7, tiny.hidden]);
    expect(Array.from(out.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it.each(['fp16', 'int8'])('%s variant stays close to fp32', async (variant) => {
    const ref = (await encode(join(first, 'fp32.onnx'), 2, 8)).data as Float32Array;
    const got = (await encode(join(first, `${variant}.onnx`), 2, 8)).data as Float32Array;
    expect(compareOutputs(ref, got, tiny.hidden, undefined, false).cosine).toBeGreaterThan(0.999);
  });
});
