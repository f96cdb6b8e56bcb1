/**
 * A dual-rate voice-activity detector shaped like Silero VAD's export (test/tools/compress/vad-graphs.ts)
 * through the whole compressor: its probability output is not fed back as audio, only its state is; its
 * int64 sample rate gets the values the user states in evaluation, calibration and the latency probes; a
 * failing run names what each input was fed; and when no INT8 form keeps the floors, fp16 and int8w are
 * still written.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelManifest } from '../../../src/registry/manifest.js';
import { compress, type CompressOptions } from '../../../tools/compress/pipeline.js';
import { Prng } from '../../../tools/lib/prng.js';
import { encodeModel } from '../../../tools/onnx/io.js';
import { npy } from './npy-writer.js';
import { vadNet } from './vad-graphs.js';

let dir: string;
let model: string;
let audio: string;

const options = (name: string, extra: Partial<CompressOptions> = {}): CompressOptions => ({
  input: model, name, modelsDir: join(dir, 'models'), eval: [`input=${audio}`], shapes: { input: [1, 64] }, exclude: [], autoExclude: true, maxExclude: 4,
  forms: ['dynamic-matmul'], batches: [1], samples: 32, seed: 7, task: 'auto', intHigh: 2, inputRange: [0, 1], runs: 3, warmup: 1, budgetMs: 200, ignoreWeights: false, command: 'test', ...extra,
});
const onDisk = (name: string) => ModelManifest.parse(JSON.parse(readFileSync(join(dir, 'models', name, 'manifest.json'), 'utf8')));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'compress-vad-'));
  model = join(dir, 'vad.onnx');
  writeFileSync(model, encodeModel(vadNet()));
  // 32 frames of 64 samples of "audio" in [-0.8, 0.8].
  audio = join(dir, 'audio.npy');
  writeFileSync(audio, npy('<f4', [32, 64], new Prng(5).fillUniform(new Float32Array(32 * 64), 0.8)));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a streaming voice-activity detector', () => {
  it('feeds back its state only, at the sample rates --input-values lists, and measures every variant', async () => {
    await compress(options('vad', { inputValues: { sr: [8000, 16000] } }));
    const m = onDisk('vad');
    expect(m.provenance['state_pairs']).toEqual([{ input: 'state', output: 'stateN' }]);
    expect(m.provenance['input_domains']).toEqual({ sr: { values: [8000, 16000] } });
    expect(Object.keys(m.variants).sort()).toEqual(['fp16', 'fp32', 'int8', 'int8w']);
    for (const v of Object.values(m.variants)) {
      expect(v.fidelity.outputs!['output']!.kind).toBe('scalar');
      expect(v.fidelity.outputs!['stateN']).toMatchObject({ kind: 'state', steps: 8 });
      // The latency probes ran the model too: a sample rate other than 8000 or 16000 fails its Gather.
      expect(v.latency.points[0]!.p50_ms).toBeGreaterThan(0);
    }
  }, 180_000);

  it('runs the dual-rate model on --input-range sr=8000,16000: a rank-0 integer input gets the range\'s ends', async () => {
    const { manifest } = await compress(options('vad-range', { inputRanges: { sr: [8000, 16000] }, only: ['fp32', 'fp16'] }));
    expect(Object.keys(manifest.variants)).toEqual(['fp32', 'fp16']);
    expect(manifest.provenance['input_domains']).toEqual({ sr: { range: [8000, 16000] } });
  }, 180_000);

  it('names what each input was fed, and from where, when the model refuses a value', async () => {
    const run = compress(options('vad-bad', { inputRanges: { sr: [8000, 12000] }, only: ['fp32'] }));
    await expect(run).rejects.toThrow(/^onnxruntime-node cannot run .*vad\.onnx on the evaluation set: .*Gather.*; step 1 of sequence 2 was fed 'state' float32 \[2,1,8\] \(zeros, then fed back from output 'stateN'\), 'sr' int64 \[\] \(8000 and 12000 in turn \(the range's ends\)\), 'input' float32 \[1,64\] \(evaluation samples input=.*audio\.npy\); state pairs are named with --state in=out/);
  }, 180_000);

  it('writes fp16 and int8w when no INT8 form keeps the floors, and records why int8 is missing', async () => {
    // drift=0.02 (added to the defaults): int8 drifts about 0.045 over 8 steps, int8w about 0.01, fp16 less.
    const { manifest, dropped } = await compress(options('vad-no-int8', { inputValues: { sr: [8000, 16000] }, fidelityFloor: 'drift=0.02', autoExclude: false, forms: ['dynamic-matmul', 'qdq-minmax'] }));
    expect(Object.keys(manifest.variants).sort()).toEqual(['fp16', 'fp32', 'int8w']);
    expect(dropped).toEqual([{ variant: 'int8', runtime: 'onnxruntime-node', failures: [expect.stringMatching(/^no INT8 form meets the fidelity floors in onnxruntime-node: dynamic-matmul: 'stateN' drift [\d.]+ > 0\.02; qdq-minmax: .*drift/)] }]);
    const m = onDisk('vad-no-int8');
    expect(m.provenance['dropped_variants']).toEqual(JSON.parse(JSON.stringify(dropped)));
    expect((m.provenance['int8_candidates'] as { status: string }[]).map((c) => c.status)).toEqual(['below floor', 'below floor']);
    expect(m.provenance['recipe']).toHaveProperty('int8w');
  }, 180_000);
});
