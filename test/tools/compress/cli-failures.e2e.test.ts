/**
 * How `npm run compress` fails (issue #11): bad input exits 2 and an internal failure exits 1, each with
 * one whole line on stderr naming the problem or the failed step, never a stack trace. Covers operators
 * onnxruntime-web cannot run (refused by op and domain), a batch hidden in the graph, data that does not fit
 * a fixed batch, `--only` misuse, and a failure while writing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { floatTensor, int64Tensor, model, node, valueInfo } from '../../../tools/onnx/build.js';
import { encodeModel } from '../../../tools/onnx/io.js';
import { DataType } from '../../../tools/onnx/types.js';
import { convNet } from './graphs.js';
import { customOpNet, declaredDomainsNet, fixedBatchNet } from './hard-graphs.js';

const CLI = 'tools/compress/cli.ts';
let dir: string;

function compress(args: string[], modelsDir = join(dir, 'models')) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--models-dir', modelsDir, '--quiet'], { encoding: 'utf8', timeout: 120_000 });
  const lines = r.stderr.split('\n').filter((l) => l.trim());
  return { status: r.status, stderr: r.stderr, ours: lines.filter((l) => /^(compress|error):/.test(l)), stack: lines.filter((l) => /^\s+at /.test(l)) };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'compress-fail-'));
  writeFileSync(join(dir, 'custom.onnx'), encodeModel(customOpNet()));
  const unknown = declaredDomainsNet();
  unknown.graph.node[1]!.op_type = 'NoSuchGelu';
  unknown.graph.node[1]!.domain = '';
  writeFileSync(join(dir, 'unknown-op.onnx'), encodeModel(unknown));
  writeFileSync(join(dir, 'fixed.onnx'), encodeModel(fixedBatchNet()));
  // Samples of the wrong size for the model's input [1, 8] (4 samples are fine: evaluation runs a fixed batch in chunks).
  writeFileSync(join(dir, 'fixed-calib.json'), JSON.stringify({ x: { dims: [4, 5], data: new Array(20).fill(0.5) } }));
  // Declares a dynamic batch, but a Reshape inside fixes it to 1: only a run can tell.
  writeFileSync(join(dir, 'hidden-batch.onnx'), encodeModel(model({
    name: 'hidden',
    node: [node('Reshape', ['x', 'one_row'], ['r'], 'reshape'), node('MatMul', ['r', 'W'], ['y'], 'fc')],
    initializer: [int64Tensor('one_row', [2], [1, 8]), floatTensor('W', [8, 4], new Float32Array(32).fill(0.25))],
    input: [valueInfo('x', DataType.FLOAT, ['N', 8])],
    output: [valueInfo('y', DataType.FLOAT, ['N', 4])],
  }, 'batch fixed inside the graph')));
  writeFileSync(join(dir, 'good.onnx'), encodeModel(convNet()));
  writeFileSync(join(dir, 'not-a-dir'), 'a file where the models folder should be\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run compress failures', () => {
  const badInput: { name: string; args: () => string[]; error: RegExp }[] = [
    { name: 'an op from a domain onnxruntime-web has no kernels for', args: () => [join(dir, 'custom.onnx'), '--name', 'm'], error: /onnxruntime-web cannot run StftNorm \(domain ai\.onnx\.contrib\) at node 'gelu': it only has kernels for the domains ai\.onnx, ai\.onnx\.ml, com\.microsoft$/ },
    { name: 'an op onnxruntime-web does not know', args: () => [join(dir, 'unknown-op.onnx'), '--name', 'm'], error: /onnxruntime-web cannot run op NoSuchGelu \(domain ai\.onnx\) at node 'gelu': .*NoSuchGelu/ },
    { name: 'a model that only runs at batch 1 though its input says otherwise', args: () => [join(dir, 'hidden-batch.onnx'), '--name', 'm', '--task', 'embedding'], error: /onnxruntime-node cannot run .* on the evaluation set: .*Reshape.*; the run of samples 0\.\.15 was fed 'x' float32 \[16,8\] \(random uniform \[0, 1\)\); if the model only runs at batch 1 .* pass --samples 1 --batches 1$/ },
    { name: 'calibration samples of the wrong size for a model fixed to batch 1', args: () => [join(dir, 'fixed.onnx'), '--name', 'm', '--calibration', join(dir, 'fixed-calib.json')], error: /'x'.*\b5\b/ },
    { name: '--only without fp32, the reference', args: () => [join(dir, 'good.onnx'), '--name', 'm', '--only', 'fp16'], error: /fp32 is the reference .* \(--only fp32,fp16\)$/ },
    { name: 'an unknown --only variant', args: () => [join(dir, 'good.onnx'), '--name', 'm', '--only', 'fp32,fp64'], error: /unknown variant fp64/ },
  ];
  for (const c of badInput) {
    it(`refuses ${c.name}: exit 2, one line, no stack`, () => {
      const r = compress(c.args());
      expect(r.ours, r.stderr).toHaveLength(1);
      expect(r.ours[0]).toMatch(c.error);
      expect(r.stack).toEqual([]);
      expect(r.status).toBe(2);
    });
  }

  it('reports an internal failure (the models folder is a file) as exit 1 and one line naming the step', () => {
    const r = compress([join(dir, 'good.onnx'), '--name', 'm', '--int8-forms', 'dynamic-matmul', '--samples', '4', '--no-auto-exclude'], join(dir, 'not-a-dir'));
    expect(r.ours, r.stderr).toHaveLength(1);
    expect(r.ours[0]).toMatch(/^compress: failed: writing .*not-a-dir\/m\/: ENOTDIR: not a directory, \w+ '.*not-a-dir\/\.m\.tmp-\d+'$/);
    expect(r.stack).toEqual([]);
    expect(r.status).toBe(1);
  });
});
