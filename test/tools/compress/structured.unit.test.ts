/**
 * The rules around pruned and distilled variants that need no training (tools/prune/options.ts,
 * choose/web-gate.ts): the CLI options make the recipe setup replays, bad combinations are one line, and a
 * pruned or distilled variant with labels is judged by the accuracy it keeps, not by agreement with fp32.
 */
import { Command, InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import type { Variant } from '../../../src/registry/manifest.js';
import { structuredFailures } from '../../../tools/compress/choose/web-gate.js';
import { prunedName } from '../../../tools/prune/variants.js';
import { structuredOptions, structuredRecipe } from '../../../tools/prune/options.js';

const parse = (args: string[]) => {
  const cmd = structuredOptions(new Command('compress').exitOverride().configureOutput({ writeErr: () => {} }).option('--shape <s>', '', (v: string) => ({ x: v.split(',').map(Number) })));
  cmd.parse(args, { from: 'user' });
  return cmd.opts();
};

describe('compress --prune / --distill options', () => {
  it('make the recorded recipe, with defaults that learn fp32\'s answers', () => {
    expect(structuredRecipe(parse([]))).toBeUndefined();
    expect(structuredRecipe(parse(['--prune', '0.5', '--train', 'mnist', '--distill', 'mlp:784-64-10']))).toEqual({
      train: 'mnist', seed: 1, epochs: 3, batch: 64, lr: 1e-3, alpha: 0, temperature: 4,
      prune: { ratio: 0.5, residual: 'joint', importance_rows: 512, precisions: ['int8'], int8_form: 'dynamic' },
      distill: { student: 'mlp:784-64-10', alpha: 0.5 },
    });
    expect(structuredRecipe(parse(['--prune', '0.25', '--train', 'a.npy,b.npy', '--train-labels', 'l.json', '--prune-precisions', 'fp16,int8w', '--residual', 'skip', '--shape', '1,3,48,192', '--epochs', '5', '--train-seed', '9', '--importance', 'taylor', '--lr-schedule', 'cosine'])))
      .toMatchObject({ train: 'a.npy,b.npy', train_labels: 'l.json', shape: [1, 3, 48, 192], seed: 9, epochs: 5, lr_schedule: 'cosine', prune: { ratio: 0.25, residual: 'skip', importance: 'taylor', precisions: ['fp16', 'int8w'] } });
    expect(structuredRecipe(parse(['--prune', '0.5', '--train', 'mnist', '--prune-precisions', '']))!.prune!.precisions).toEqual([]);
    expect(prunedName(0.5)).toBe('pruned50');
    expect(prunedName(0.375)).toBe('pruned38');
  });

  it('refuses bad values and combinations in one line', () => {
    expect(() => parse(['--prune', '1.5'])).toThrow(/a fraction between 0 and 1/);
    expect(() => parse(['--prune', '0.5', '--prune-precisions', 'fp32'])).toThrow(/unknown precision fp32/);
    expect(() => structuredRecipe(parse(['--prune', '0.5']))).toThrow(InvalidArgumentError);
    expect(() => structuredRecipe(parse(['--distill', 'mlp:784-8-10']))).toThrow(/need --train <data>/);
    expect(() => parse(['--residual', 'half'])).toThrow(/Allowed choices are joint, skip/);
    expect(() => parse(['--importance', 'magnitude'])).toThrow(/Allowed choices are activation, taylor/);
    expect(() => parse(['--lr-schedule', 'step'])).toThrow(/Allowed choices are constant, cosine/);
    expect(() => structuredRecipe(parse(['--prune', '0.5', '--train', 'mnist', '--prune-int8-form', 'qdq-minmax']))).toThrow(/static forms need calibration/);
  });
});

const variant = (accuracy: number | undefined, top1: number): Variant => ({
  file: 'v.onnx', bytes: 1, sha256: 'a'.repeat(64), edge_memory_bytes: 1, method: 'm',
  latency: { runtime: 'r', measured_at: 't', machine: 'm', points: [{ items: 1, p50_ms: 1, p95_ms: 1, runs: 1 }], fit: { fixed_ms: 1, per_item_ms: 0 }, load_ms: 1 },
  fidelity: { eval_set: 'e', samples: 100, max_abs_err: 0.1, mean_abs_err: 0.01, cosine: 0.999, top1_agreement: top1, ...(accuracy !== undefined ? { accuracy } : {}), outputs: { y: { kind: 'classification', max_abs_err: 0.1, mean_abs_err: 0.01, top1_agreement: top1, cosine: 0.999, ...(accuracy !== undefined ? { accuracy } : {}) } } },
});

describe('the gate of a pruned or distilled variant', () => {
  const floors = { y: [{ metric: 'top1' as const, value: 0.99 }, { metric: 'cosine' as const, value: 0.95 }] };
  it('with labels, keeps one within the accuracy drop however much it disagrees with fp32', () => {
    expect(structuredFailures(variant(0.925, 0.95), variant(0.93, 1), floors, 1)).toEqual([]);
    expect(structuredFailures(variant(0.91, 0.99), variant(0.93, 1), floors, 1)).toEqual(["accuracy 0.91 is 2 pt below fp32's 0.93 (at most 1 pt for a pruned or distilled variant)"]);
  });
  it('keeps every other floor, and without labels judges agreement like any variant', () => {
    const base = variant(0.93, 0.95);
    const far: Variant = { ...base, fidelity: { ...base.fidelity, outputs: { y: { ...base.fidelity.outputs!['y']!, cosine: 0.5 } } } };
    expect(structuredFailures(far, variant(0.93, 1), floors, 1).join()).toMatch(/cosine/);
    expect(structuredFailures(variant(undefined, 0.95), variant(undefined, 1), floors, 1).join()).toMatch(/top1/);
  });
});
