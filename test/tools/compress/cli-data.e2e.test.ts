/**
 * `npm run compress` with samples from files: a directory of PNG images as the evaluation set gives a
 * fidelity marked as measured on data; without samples the CLI warns and the manifest says `random`; bad
 * sample files, unknown outputs and floors that fit no output are refused with exit 2 and nothing written.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelManifest } from '../../../src/registry/manifest.js';
import { encodeModel } from '../../../tools/onnx/io.js';
import { Prng } from '../../../tools/lib/prng.js';
import { convNet } from './graphs.js';

const CLI = 'tools/compress/cli.ts';
let dir: string;
const QUICK = ['--int8-forms', 'dynamic-matmul', '--batches', '1', '--runs', '3', '--warmup', '1', '--budget-ms', '200', '--quiet'];

function compress(args: string[], models: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, join(dir, 'conv.onnx'), ...args, '--models-dir', models, ...QUICK], { encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'compress-cli-data-'));
  writeFileSync(join(dir, 'conv.onnx'), encodeModel(convNet()));
  mkdirSync(join(dir, 'images'));
  const prng = new Prng(4);
  for (let i = 0; i < 12; i++) {
    const p = new PNG({ width: 16, height: 12 });
    for (let k = 0; k < p.data.length; k++) p.data[k] = k % 4 === 3 ? 255 : Math.floor(prng.next() * 256);
    writeFileSync(join(dir, 'images', `img${String(i).padStart(2, '0')}.png`), PNG.sync.write(p));
  }
  writeFileSync(join(dir, 'bad.npy'), 'not numpy at all');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run compress with sample files', () => {
  it('evaluates on a directory of PNG images resized to the input, and says the fidelity is measured on data', () => {
    const models = join(dir, 'm1');
    const r = compress(['--name', 'conv', '--eval', join(dir, 'images'), '--input-range', 'x=-1,1'], models);
    expect(r.stderr).not.toMatch(/WARNING: fidelity measured on random inputs/);
    expect(r.status).toBe(0);
    const m = ModelManifest.parse(JSON.parse(readFileSync(join(models, 'conv', 'manifest.json'), 'utf8')));
    for (const v of Object.values(m.variants)) {
      expect(v.fidelity).toMatchObject({ eval_set_kind: 'data', samples: 12 });
      expect(v.fidelity.eval_set).toMatch(/12 images resized bilinearly to \[3,8,8\], pixels mapped to \[-1, 1\]/);
      expect(v.fidelity.outputs!['probs']!.kind).toBe('classification');
    }
  }, 240_000);

  it('warns loudly and marks the manifest when it only had random inputs', () => {
    const models = join(dir, 'm2');
    const r = compress(['--name', 'conv'], models);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/WARNING: fidelity measured on random inputs only \(unverified\)/);
    const m = ModelManifest.parse(JSON.parse(readFileSync(join(models, 'conv', 'manifest.json'), 'utf8')));
    expect(m.variants.int8!.fidelity.eval_set_kind).toBe('random');
  }, 240_000);

  const bad: { name: string; args: string[]; error: RegExp }[] = [
    { name: 'an unreadable .npy file', args: ['--eval', `x=${'BAD'}`], error: /evaluation: x=.*bad\.npy: .*bad\.npy: not a \.npy file/ },
    { name: 'a --task for an output the model does not have', args: ['--task', 'logits=scalar'], error: /--task: no output named 'logits'; outputs are 'probs'/ },
    { name: 'a floor that fits no output', args: ['--fidelity-floor', 'drift=0.1'], error: /--fidelity-floor drift: applies to no output \(outputs: 'probs' classification/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with exit 2 and nothing written`, () => {
      const models = join(dir, 'bad');
      const r = compress(['--name', 'conv', ...c.args.map((a) => a.replace('BAD', join(dir, 'bad.npy')))], models);
      expect(r.stderr).toMatch(c.error);
      expect(r.status).toBe(2);
      expect(existsSync(join(models, 'conv'))).toBe(false);
    }, 120_000);
  }

  it('names the problem with a malformed --input-range (commander exits non-zero before anything runs)', () => {
    const r = compress(['--name', 'conv', '--input-range', 'x=1'], join(dir, 'bad'));
    expect(r.stderr).toMatch(/expected lo,hi or name=lo,hi/);
    expect(r.status).not.toBe(0);
  });
});
