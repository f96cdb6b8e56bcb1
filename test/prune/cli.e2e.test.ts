/**
 * How `npm run prune` fails and succeeds as a process: a graph with an op it cannot prune through, a
 * missing option and a bad spec each give one line on stderr (no stack trace, no minified WASM glue), and
 * a small MLP with rows in a feeds file is pruned, distilled and written with its report (no latency run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node } from '../../tools/onnx/build.js';
import { encodeModel } from '../../tools/onnx/io.js';
import { mlp, rows } from './graphs.js';

const CLI = 'tools/prune/run.ts';
let dir: string;

function prune(args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', CLI, ...args, '--quiet'], { encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, lines: r.stderr.split('\n').filter((l) => l.trim()), stdout: r.stdout };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prune-cli-'));
  writeFileSync(join(dir, 'mlp.onnx'), encodeModel(mlp([8, 16, 3], [], 4)));
  const odd = mlp([8, 16, 3], [], 4);
  odd.graph.node.splice(2, 0, node('LpNormalization', ['a0'], ['n0'], 'norm'));
  odd.graph.node[3]!.input = ['n0'];
  writeFileSync(join(dir, 'odd.onnx'), encodeModel(odd));
  const feeds = (n: number, seed: number) => JSON.stringify({ input: { dims: [n, 8], data: Array.from(rows(n, 8, seed)) } });
  writeFileSync(join(dir, 'train.json'), feeds(256, 1));
  writeFileSync(join(dir, 'held.json'), feeds(64, 2));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run prune', () => {
  it('names an op it cannot prune through in one line and exits 1', () => {
    const r = prune([join(dir, 'odd.onnx'), '--out', join(dir, 'o1'), '--prune', '0.5', '--train', join(dir, 'train.json'), '--eval', join(dir, 'held.json')]);
    expect(r.status).toBe(1);
    expect(r.lines).toEqual([expect.stringMatching(/^prune: op 'LpNormalization' \(node 'norm'\) is not supported by the pruner/)]);
  });

  it('names a bad student spec in one line', () => {
    const r = prune([join(dir, 'mlp.onnx'), '--out', join(dir, 'o2'), '--distill', 'mlp:9-4-3', '--train', join(dir, 'train.json'), '--eval', join(dir, 'held.json')]);
    expect(r.status).toBe(1);
    expect(r.lines).toEqual(['prune: failed: --distill mlp:9-4-3: the teacher takes 8 inputs and gives 3 classes']);
  });

  it('exits 2 on a missing option', () => {
    expect(prune([join(dir, 'mlp.onnx'), '--prune', '0.5']).status).toBe(2);
  });

  it('writes a pruned model, a student and a report with fewer multiply-adds', () => {
    const out = join(dir, 'o3');
    const r = prune([join(dir, 'mlp.onnx'), '--out', out, '--prune', '0.5', '--distill', 'mlp:8-4-3', '--train', join(dir, 'train.json'), '--eval', join(dir, 'held.json'), '--epochs', '2', '--runs', '0']);
    expect(r.lines).toEqual([]);
    expect(r.status).toBe(0);
    expect(existsSync(join(out, 'pruned.onnx')) && existsSync(join(out, 'student.onnx'))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { fp32: { macs: number }; variants: { name: string; macs: number; fidelity: { top1_agreement: number } }[] };
    expect(report.fp32.macs).toBe(8 * 16 + 16 * 3);
    expect(report.variants.map((v) => [v.name, v.macs])).toEqual([['pruned', 8 * 8 + 8 * 3], ['student', 8 * 4 + 4 * 3]]);
    for (const v of report.variants) expect(v.fidelity.top1_agreement).toBeGreaterThan(0);
  });
});
