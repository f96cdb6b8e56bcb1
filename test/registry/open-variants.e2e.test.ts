/**
 * A variant an ops team adds under a name of its own is served like any other, with no code change: a models
 * folder whose mnist gains `distilled-copy` (its own file, its facts stated in the manifest), behind the real
 * app on Node. It is pinnable under the default policy (`variants: ["*"]`), answers the right digits, names
 * itself in the answer and the metrics, and Triton's model config lists it.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import samples from '../../models/mnist/samples.json';
import { startGateway, type LocalGateway } from '../setup/gateway.js';

const digits = samples as { inputs: number[][]; labels: number[] };
const argmax = (row: number[]) => row.indexOf(Math.max(...row));
let dir: string;
let gateway: LocalGateway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'open-variants-'));
  const src = resolve('models/mnist');
  mkdirSync(join(dir, 'mnist'));
  for (const f of ['fp32.onnx', 'int8.onnx', 'samples.json']) symlinkSync(join(src, f), join(dir, 'mnist', f));
  copyFileSync(join(src, 'int8.onnx'), join(dir, 'mnist', 'distilled-copy.onnx'));
  const manifest = JSON.parse(readFileSync(join(src, 'manifest.json'), 'utf8'));
  const { fp32, int8 } = manifest.variants;
  manifest.variants = { fp32, int8, 'distilled-copy': { ...int8, file: 'distilled-copy.onnx', method: 'a copy of int8 under a name of its own', made: { precision: 'int8', base: 'fp32', student: 'same graph' } } };
  writeFileSync(join(dir, 'mnist', 'manifest.json'), JSON.stringify(manifest));
  gateway = await startGateway({ modelsDir: dir });
});

afterAll(async () => {
  await gateway?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a variant with a name of its own', () => {
  it('is served when pinned, with the right digits, and says so', async () => {
    const res = await fetch(`${gateway.url}/v2/models/mnist/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-model-variant': 'distilled-copy' },
      body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [4, 784], data: digits.inputs.slice(0, 4).flat() }] }),
    });
    const body = (await res.json()) as { outputs: { data: number[] }[] };
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(res.headers.get('x-model-variant')).toBe('distilled-copy');
    const logits = body.outputs[0]!.data;
    expect([0, 1, 2, 3].map((i) => argmax(logits.slice(i * 10, i * 10 + 10)))).toEqual(digits.labels.slice(0, 4));
  });

  it("is one of the variants Triton's model config lists, and a pin to a name the model lacks is a 400 naming its variants", async () => {
    const config = (await (await fetch(`${gateway.url}/v2/models/mnist/config`)).json()) as { parameters: { variants: { string_value: string } } };
    expect(config.parameters.variants.string_value.split(',')).toEqual(['fp32', 'int8', 'distilled-copy']);
    const res = await fetch(`${gateway.url}/v2/models/mnist/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-model-variant': 'pruned90' }, body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: digits.inputs[0] }] }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/pruned90.*fp32, int8, distilled-copy/);
  });
});
