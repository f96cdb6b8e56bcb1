/** Writing a model folder all or nothing: staged, described, swapped in; the old folder survives failures. */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelManifest } from '../../../src/registry/manifest.js';
import { writeModelFolder } from '../../../tools/compress/model-folder.js';

const manifest = (name: string) => ({ name, version: '1' }) as unknown as ModelManifest;
const bytes = (n: number) => new Uint8Array(n).fill(7);

function modelsDir(): string {
  return mkdtempSync(join(tmpdir(), 'model-folder-'));
}

describe('writeModelFolder', () => {
  it('writes the files, then the manifest the describe step made from the staged files', async () => {
    const dir = modelsDir();
    let seen: string[] = [];
    const written = await writeModelFolder({ modelsDir: dir, name: 'm', files: { 'fp32.onnx': bytes(3), 'calibration-ranges.json': '{}\n' }, ignoreWeights: true }, (stage) => {
      seen = readdirSync(stage).sort();
      return manifest('m');
    });
    expect(seen).toEqual(['calibration-ranges.json', 'fp32.onnx']);
    expect(written).toEqual(manifest('m'));
    expect(readdirSync(join(dir, 'm')).sort()).toEqual(['.gitignore', 'calibration-ranges.json', 'fp32.onnx', 'manifest.json']);
    expect(JSON.parse(readFileSync(join(dir, 'm', 'manifest.json'), 'utf8'))).toEqual(manifest('m'));
    expect(readFileSync(join(dir, 'm', '.gitignore'), 'utf8')).toBe('*.onnx\n*.onnx.tmp-*\n');
    expect(readdirSync(dir)).toEqual(['m']);
  });

  it('replaces a rebuilt folder, keeping the files a rebuild does not make and dropping stale variants', async () => {
    const dir = modelsDir();
    mkdirSync(join(dir, 'm'));
    for (const [f, text] of [['samples.json', 'S'], ['training.json', 'T'], ['int8.onnx', 'old'], ['calibration-ranges.json', 'old'], ['.gitignore', 'old'], ['manifest.json', 'old']]) writeFileSync(join(dir, 'm', f!), text!);
    await writeModelFolder({ modelsDir: dir, name: 'm', files: { 'fp32.onnx': bytes(2) }, ignoreWeights: false }, () => manifest('m'));
    expect(readdirSync(join(dir, 'm')).sort()).toEqual(['fp32.onnx', 'manifest.json', 'samples.json', 'training.json']);
    expect(readFileSync(join(dir, 'm', 'samples.json'), 'utf8')).toBe('S');
    expect(readdirSync(dir)).toEqual(['m']);
  });

  it('leaves the old folder untouched and no stage behind when describing fails', async () => {
    const dir = modelsDir();
    mkdirSync(join(dir, 'm'));
    writeFileSync(join(dir, 'm', 'manifest.json'), 'old');
    await expect(writeModelFolder({ modelsDir: dir, name: 'm', files: { 'fp32.onnx': bytes(2) }, ignoreWeights: false }, () => {
      throw new Error('measurement failed');
    })).rejects.toThrow('measurement failed');
    expect(readdirSync(dir)).toEqual(['m']);
    expect(readdirSync(join(dir, 'm'))).toEqual(['manifest.json']);
    expect(readFileSync(join(dir, 'm', 'manifest.json'), 'utf8')).toBe('old');
    expect(existsSync(join(dir, `.m.tmp-${process.pid}`))).toBe(false);
  });
});
