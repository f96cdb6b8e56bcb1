/**
 * `npm run compress` holding variants to the decisions their users make: a detector's int8w that keeps the
 * cosine over every raw score but moves its near-threshold anchors is not written under --task detection;
 * a front-end's int8w that keeps its own floors is not written when the wake-word decision of the model it
 * feeds (--downstream) flips; each is written when judged as before. Bad decision options exit 2.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelManifest } from '../../../src/registry/manifest.js';
import * as ort from 'onnxruntime-node';
import { sessionOptionsFor } from '../../../src/engine/ort-session.js';
import { INT8W_LOAD } from '../../../tools/compress/passes/recipe.js';
import { toWeightOnlyInt8 } from '../../../tools/compress/passes/int8-weight-only.js';
import { readSource } from '../../../tools/compress/source/read.js';
import { Prng } from '../../../tools/lib/prng.js';
import { encodeModel } from '../../../tools/onnx/io.js';
import { DETECTOR, detectorNet, frontEndNet, wakeWordNet } from './decision-graphs.js';
import { npy } from './npy-writer.js';

const CLI = 'tools/compress/cli.ts';
const QUICK = ['--only', 'fp32,fp16,int8w', '--no-auto-exclude', '--batches', '1', '--runs', '3', '--warmup', '1', '--budget-ms', '200', '--quiet'];
let dir: string;

function compress(model: string, name: string, args: string[]) {
  const models = join(dir, `models-${name}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, join(dir, model), '--name', name, '--models-dir', models, ...QUICK, ...args], { encoding: 'utf8', timeout: 240_000 });
  const file = join(models, name, 'manifest.json');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, manifest: existsSync(file) ? ModelManifest.parse(JSON.parse(readFileSync(file, 'utf8'))) : undefined };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'compress-decisions-'));
  const F = DETECTOR.features;
  writeFileSync(join(dir, 'detector.onnx'), encodeModel(detectorNet({ deadOutlier: true })));
  // Input 0 is the detector's dead channel: always 0 in the data.
  writeFileSync(join(dir, 'x.npy'), npy('<f4', [16, F], new Prng(3).fillUniform(new Float32Array(16 * F), 1).map((v, i) => (i % F === 0 ? 0 : v))));

  const frames = new Prng(9).fillUniform(new Float32Array(48 * 32), 1).map((v) => v * 20);
  writeFileSync(join(dir, 'mel.onnx'), encodeModel(frontEndNet()));
  writeFileSync(join(dir, 'frames.npy'), npy('<f4', [48, 32], frames));
  // The wake-word threshold sits between fp32's and int8w's score of the window int8w moves most, int8w opened
  // as it is served (its weights folded to fp32 at load: onnxruntime's QDQ kernels would compute otherwise).
  const logMel = async (bytes: Uint8Array, load?: typeof INT8W_LOAD) => {
    const session = await ort.InferenceSession.create(bytes, sessionOptionsFor(load, { intraOpNumThreads: 1 }));
    const out = (await session.run({ frames: new ort.Tensor('float32', frames, [48, 32]) }))['log_mel']!.data as Float32Array;
    await session.release();
    return out;
  };
  const fp32 = await logMel(readSource(join(dir, 'mel.onnx')).bytes);
  const int8w = await logMel(encodeModel(toWeightOnlyInt8(readSource(join(dir, 'mel.onnx')).model).model), INT8W_LOAD);
  const mean = (o: Float32Array, s: number) => o.slice(s * 40, s * 40 + 40).reduce((a, b) => a + b, 0) / 40;
  const moved = Array.from({ length: 48 }, (_, s) => s).reduce((a, s) => (Math.abs(mean(int8w, s) - mean(fp32, s)) > Math.abs(mean(int8w, a) - mean(fp32, a)) ? s : a));
  writeFileSync(join(dir, 'kws.onnx'), encodeModel(wakeWordNet((mean(fp32, moved) + mean(int8w, moved)) / 2, 400)));
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run compress judging a detector by its detections', () => {
  it('does not write an int8w whose near-threshold anchors move, and records the detection fidelity and floors', () => {
    const r = compress('detector.onnx', 'det', ['--eval', join(dir, 'x.npy'), '--task', 'scores=detection', '--task', 'boxes=boxes:scores', '--decision', 'scores=0.5']);
    // fp16 keeps the floors and is written; int8w is dropped with a one-line warning, and the run succeeds.
    expect(r.stderr).toMatch(/int8w/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/det\/int8w: NOT WRITTEN \(onnxruntime-web[^)]*\): .*'scores' near 0\.\d+ > 0\.1/);
    const m = r.manifest!;
    expect(Object.keys(m.variants)).toEqual(['fp32', 'fp16']);
    const fp32 = m.variants.fp32!.fidelity.outputs!;
    expect(fp32['scores']).toMatchObject({ kind: 'detection', detection: { threshold: 0.5, anchors: DETECTOR.anchors, flips: 0, near_err_max: 0 } });
    expect(fp32['scores']!.detection!.detections).toBeGreaterThan(16 * DETECTOR.faces - 1);
    expect(fp32['boxes']).toMatchObject({ kind: 'boxes', boxes: { scores: 'scores', format: 'xyxy', iou_mean: 1, iou_worst: 1 } });
    expect(m.provenance['fidelity_floors']).toEqual({
      scores: { kind: 'detection', threshold: 0.5, floors: ['flips=0.05', 'near=0.1'] },
      boxes: { kind: 'boxes', boxes_of: 'scores', format: 'xyxy', floors: ['iou=0.9', 'iou_worst=0.5'] },
    });
    expect(m.provenance['dropped_variants']).toEqual([expect.objectContaining({ variant: 'int8w', failures: expect.arrayContaining([expect.stringMatching(/^'scores' near/)]) })]);
  }, 240_000);

  it('writes the same int8w when every raw score is judged by its cosine, as before', () => {
    const r = compress('detector.onnx', 'det-cosine', ['--eval', join(dir, 'x.npy'), '--task', 'regression']);
    expect(r.status).toBe(0);
    expect(Object.keys(r.manifest!.variants)).toEqual(['fp32', 'fp16', 'int8w']);
    expect(r.manifest!.variants.int8w!.fidelity.outputs!['scores']!.cosine!).toBeGreaterThan(0.99);
  }, 240_000);
});

describe('npm run compress judging a front-end by the model it feeds', () => {
  it('does not write an int8w that keeps its own floors when the downstream wake-word decision flips, and records both', () => {
    const r = compress('mel.onnx', 'mel', ['--eval', join(dir, 'frames.npy'), '--downstream', `${join(dir, 'kws.onnx')}:log_mel=features`, '--downstream-decision', 'score=0.5']);
    expect(r.status).toBe(0);
    const dropped = r.stdout.split('\n').find((l) => l.includes('NOT WRITTEN'));
    expect(dropped).toMatch(/^mel\/int8w: NOT WRITTEN \(onnxruntime-web[^)]*\): .*downstream 'score' flips 0\.\d+ > 0\.01/);
    expect(dropped).not.toMatch(/'log_mel'/);
    const m = r.manifest!;
    expect(Object.keys(m.variants)).toEqual(['fp32', 'fp16']);
    expect(m.variants.fp32!.fidelity.downstream).toMatchObject({ model: 'kws.onnx', inputs: { features: 'log_mel' }, samples: 48, outputs: { score: { kind: 'scalar', decision: { threshold: 0.5, flips: 0, decisions: 48 } } } });
    expect(m.provenance['downstream']).toEqual({ model: 'kws.onnx', inputs: { features: 'log_mel' }, fidelity_floors: { score: { kind: 'scalar', threshold: 0.5, floors: ['rel=0.05', 'flips=0.01'] } } });
  }, 240_000);

  it('writes the same int8w without --downstream: its log-mel alone passes, worst window included', () => {
    const r = compress('mel.onnx', 'mel-alone', ['--eval', join(dir, 'frames.npy')]);
    expect(r.status).toBe(0);
    const mel = r.manifest!.variants.int8w!.fidelity.outputs!['log_mel']!;
    expect(mel.cosine_worst!).toBeGreaterThan(0.95);
    expect(mel.worst_sample!['cosine']).toEqual(expect.any(Number));
  }, 240_000);
});

describe('npm run compress refusing bad decision options', () => {
  const cases: { name: string; args: () => string[]; error: RegExp }[] = [
    { name: 'a downstream floor without --downstream', args: () => ['--downstream-floor', 'flips=0.01'], error: /--downstream-floor without --downstream/ },
    { name: 'a decision on an unknown output', args: () => ['--decision', 'nope=0.5'], error: /--decision: no output named 'nope'/ },
    { name: 'boxes naming no output', args: () => ['--task', 'boxes=boxes:nope'], error: /--task: boxes name no output 'nope'/ },
    { name: 'a flips floor without a decision', args: () => ['--task', 'regression', '--fidelity-floor', 'flips=0.01'], error: /--fidelity-floor flips: applies to no output/ },
    { name: 'a downstream model nothing feeds', args: () => ['--downstream', `${join(dir, 'kws.onnx')}:scores=frames`], error: /--downstream: the downstream model has no input 'frames'/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} with exit 2 and nothing written`, () => {
      const r = compress('detector.onnx', 'bad', ['--eval', join(dir, 'x.npy'), ...c.args()]);
      expect(r.stderr).toMatch(c.error);
      expect(r.status).toBe(2);
      expect(r.manifest).toBeUndefined();
    }, 120_000);
  }

  it('documents the decision options in --help', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, '--help'], { encoding: 'utf8' });
    for (const opt of ['--decision', '--downstream ', '--downstream-task', '--downstream-decision', '--downstream-floor', 'cosine_worst', 'boxes=boxes:scores', 'flips=0.01']) expect(r.stdout).toContain(opt);
  });
});
