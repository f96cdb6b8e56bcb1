/**
 * `npm run compress` as a user runs it, on what it writes: the same inputs twice give byte-identical variant
 * files (the INT8 form no longer flips with timing noise); variants that miss their floors are dropped with a
 * one-line warning and exit 0 while the others are written; and the new options (--state, --stateless,
 * --input-values, --only with --no-int8w) refuse what cannot work with exit 2 and one line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../tools/lib/sha256.js';
import { Prng } from '../../../tools/lib/prng.js';
import { encodeModel } from '../../../tools/onnx/io.js';
import { convNet } from './graphs.js';
import { int8GridNet } from './kind-graphs.js';
import { vadNet } from './vad-graphs.js';

const CLI = 'tools/compress/cli.ts';
const QUICK = ['--batches', '1', '--runs', '6', '--warmup', '1', '--budget-ms', '300'];
let dir: string;

function compress(args: string[], models: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--models-dir', models, ...QUICK], { encoding: 'utf8', timeout: 240_000 });
  const ours = r.stderr.split('\n').filter((l) => /^(compress|error):/.test(l));
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, ours };
}

/** sha256 of every file a run wrote except the manifest (which records when it was measured). */
const written = (folder: string) => Object.fromEntries(readdirSync(folder).filter((f) => f !== 'manifest.json').sort().map((f) => [f, sha256(readFileSync(join(folder, f)))]));

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'compress-written-'));
  writeFileSync(join(dir, 'conv.onnx'), encodeModel(convNet()));
  writeFileSync(join(dir, 'grid.onnx'), encodeModel(int8GridNet()));
  writeFileSync(join(dir, 'vad.onnx'), encodeModel(vadNet()));
  const x = new Prng(9).fillUniform(new Float32Array(24 * 16), 1);
  writeFileSync(join(dir, 'grid-eval.json'), JSON.stringify({ x: { dims: [24, 16], data: Array.from(x) } }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('what npm run compress writes', () => {
  it('writes byte-identical variant files when run twice on the same inputs, two INT8 forms competing', () => {
    const args = [join(dir, 'conv.onnx'), '--name', 'conv', '--int8-forms', 'dynamic,qdq-minmax', '--samples', '8', '--input-range', '-1,1', '--quiet'];
    const first = compress(args, join(dir, 'run1'));
    const second = compress(args, join(dir, 'run2'));
    expect(first.status, first.stderr).toBe(0);
    expect(second.status, second.stderr).toBe(0);
    const a = written(join(dir, 'run1', 'conv'));
    expect(Object.keys(a)).toEqual(expect.arrayContaining(['fp16.onnx', 'fp32.onnx', 'int8.onnx']));
    expect(written(join(dir, 'run2', 'conv'))).toEqual(a);
    const recipe = (run: string) => JSON.parse(readFileSync(join(dir, run, 'conv', 'manifest.json'), 'utf8')).provenance;
    expect(recipe('run2').recipe).toEqual(recipe('run1').recipe);
    // Two forms passed, so they were timed, and the noise that decided how much latency counts is recorded.
    expect(recipe('run1').int8_choice).toMatchObject({ noise_ms: expect.any(Number), margin_ms: expect.any(Number) });
  }, 480_000);

  it('writes the variants that keep their floors, drops the others, and exits 0 with one warning line', () => {
    const r = compress([join(dir, 'grid.onnx'), '--name', 'grid', '--eval', join(dir, 'grid-eval.json'), '--fidelity-floor', 'snr=100', '--int8-forms', 'dynamic-matmul', '--quiet'], join(dir, 'grid'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.ours).toEqual([expect.stringMatching(/^compress: WARNING: wrote fp32, int8w; dropped int8 \(.*quantizes nothing.*\), fp16 \('y' snr [\d.]+ < 100\); see provenance\.dropped_variants$/)]);
    expect(r.stdout).toMatch(/grid\/fp16: NOT WRITTEN \(onnxruntime-web [^)]*\): 'y' snr/);
    expect(readdirSync(join(dir, 'grid', 'grid')).sort()).toEqual(['fp32.onnx', 'int8w.onnx', 'manifest.json']);
  }, 240_000);

  const bad: { name: string; args: string[]; error: RegExp }[] = [
    { name: 'a --state naming no output', args: ['--state', 'state=probability'], error: /^compress: --state state=probability: no output named 'probability'; outputs are 'output', 'stateN'$/ },
    { name: 'a --state pair whose shapes cannot fit', args: ['--state', 'state=output'], error: /^compress: --state state=output: 'output' \[1,1\] does not fit 'state' \[2,1,8\]/ },
    { name: '--state with --stateless', args: ['--state', 'state=stateN', '--stateless'], error: /^compress: --state state=stateN and --stateless contradict each other: give one$/ },
    { name: '--input-values for an input the model lacks', args: ['--input-values', 'rate=8000,16000'], error: /^compress: --input-values rate=\.\.\.: no input named 'rate'; inputs are 'input' FP32, 'state' FP32, 'sr' INT64$/ },
    { name: '--only listing int8w with --no-int8w', args: ['--only', 'fp32,int8w', '--no-int8w'], error: /^compress: --only fp32,int8w asks for int8w and --no-int8w turns it off: give one$/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}: exit 2, one line, nothing written`, () => {
      const r = compress([join(dir, 'vad.onnx'), '--name', 'vad', '--shape', 'input=1,64', '--input-values', 'sr=8000,16000', ...c.args, '--quiet'], join(dir, 'bad'));
      expect(r.ours, r.stderr).toHaveLength(1);
      expect(r.ours[0]).toMatch(c.error);
      expect(r.status).toBe(2);
      expect(existsSync(join(dir, 'bad', 'vad'))).toBe(false);
    });
  }

  it('documents the options for state, input values and --only in --help', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const opt of ['--state <input=output>', '--stateless', '--input-values <input=v1,v2,...>', 'make exactly these variants', 'both ends included']) expect(r.stdout).toContain(opt);
  });
});
