/**
 * The drift bench's model folder, written to a temporary directory: mnist's reference (fp32), `int8s`, a
 * static INT8 (QDQ) calibrated min-max on 100 clean digits by the compressor's own passes, which is what a
 * shift away from calibration hurts (pixels outside the calibrated [0, 1] clip at its quantized input), and
 * `broken`, the reference with its weights shuffled, for the canary that must be rolled back. int8s's
 * fidelity is measured here on 1,000 clean test digits, as the compressor would; `broken` keeps fp32's
 * figures, as a bad export would. Latency profiles are the bundled int8's and fp32's (the selector's prior).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ModelManifest } from '../../src/registry/manifest.js';
import { calibrate } from '../../tools/compress/choose/calibrate.js';
import { toStaticInt8 } from '../../tools/compress/passes/int8-static.js';
import { sha256 } from '../../tools/lib/sha256.js';
import { compareOutputs } from '../../tools/measure/stats.js';
import { encodeModel, readModel } from '../../tools/onnx/io.js';
import { shuffleWeights } from '../../test/monitor/broken-variant.js';
import type { DigitSet } from '../../tools/lib/digits.js';
import { ROOT } from '../lib/stack.js';

const MNIST = join(ROOT, 'models/mnist');

/** Logits of `rows` digits (784 pixels each) from a variant file. */
export async function logits(session: ort.InferenceSession, pixels: Float32Array): Promise<Float32Array> {
  const out = await session.run({ input: new ort.Tensor('float32', pixels, [pixels.length / 784, 784]) });
  return out.logits!.data as Float32Array;
}

export interface DriftFolder {
  dir: string;
  manifest: ModelManifest;
  sessions: { fp32: ort.InferenceSession; int8s: ort.InferenceSession };
}

/** Writes the folder; `clean` are held-out digits the offline fidelity is measured on. */
export async function driftFolder(clean: DigitSet): Promise<DriftFolder> {
  const dir = mkdtempSync(join(tmpdir(), 'drift-models-'));
  const out = join(dir, 'mnist');
  mkdirSync(out);
  copyFileSync(join(MNIST, 'fp32.onnx'), join(out, 'fp32.onnx'));
  const fp32 = readModel(join(MNIST, 'fp32.onnx'));
  const calibration = (JSON.parse(readFileSync(join(MNIST, 'samples.json'), 'utf8')) as { inputs: number[][] }).inputs.slice(0, 100);
  const { minmax } = await calibrate(fp32, { input: { type: 'float32', dims: [calibration.length, 784], data: Float32Array.from(calibration.flat()) } });
  const int8s = encodeModel(toStaticInt8(fp32, minmax).model);
  writeFileSync(join(out, 'int8s.onnx'), int8s);
  const broken = shuffleWeights(new Uint8Array(readFileSync(join(MNIST, 'fp32.onnx'))));
  writeFileSync(join(out, 'broken.onnx'), broken);

  const sessions = { fp32: await ort.InferenceSession.create(join(out, 'fp32.onnx')), int8s: await ort.InferenceSession.create(int8s) };
  const ref = await logits(sessions.fp32, clean.pixels);
  const act = await logits(sessions.int8s, clean.pixels);
  const measured = compareOutputs(ref, act, 10, clean.labels);
  const base = JSON.parse(readFileSync(join(MNIST, 'manifest.json'), 'utf8')) as ModelManifest;
  const { int8, fp32: reference } = base.variants as Record<string, ModelManifest['variants'][string]>;
  const manifest: ModelManifest = {
    ...base,
    variants: {
      fp32: reference!,
      int8s: {
        ...int8!,
        file: 'int8s.onnx',
        bytes: int8s.byteLength,
        sha256: sha256(int8s),
        method: 'static int8 (QDQ), min-max calibrated on 100 clean digits (bench/drift/folder.ts)',
        made: { precision: 'int8', base: 'fp32' },
        fidelity: { eval_set: `mnist, ${clean.count} clean digits`, eval_set_kind: 'data', ...measured },
      },
      broken: { ...reference!, file: 'broken.onnx', bytes: broken.byteLength, sha256: sha256(broken), method: 'fp32 with its weights shuffled: a broken export that kept fp32\'s figures' },
    },
  };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return { dir, manifest, sessions };
}
