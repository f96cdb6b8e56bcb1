/**
 * What the selector reads of a variant (variantFacts over the shipped manifests), and the two shared rules:
 * the one latency formula (computeMs) and the one edge memory check (fitsEdge).
 */
import { describe, expect, it } from 'vitest';
import { readManifests } from '../../tools/lib/manifests.js';
import type { Variant } from '../../src/registry/manifest.js';
import { accuracyOf, computeMs, fidelityScore, fitsEdge, isVerified, variantFacts } from '../../src/select/facts.js';

const models = new Map(readManifests('models').map((m) => [m.name, m]));
const MiB = 1024 * 1024;

/** A variant entry with only the fidelity fields that matter here. */
const withFidelity = (fidelity: Partial<Variant['fidelity']>) => ({ fidelity: { eval_set: 'x', samples: 1, max_abs_err: 0, mean_abs_err: 0, cosine: 0.9, ...fidelity } }) as Variant;

describe('variant facts', () => {
  it('lists every variant of a manifest in manifest order, with its fit, load time, memory and file size', () => {
    const mnist = models.get('mnist')!;
    const facts = variantFacts(mnist);
    expect(facts.map((f) => f.name)).toEqual(Object.keys(mnist.variants));
    for (const f of facts) {
      const v = mnist.variants[f.name]!;
      expect(f).toEqual({
        name: f.name,
        fidelity: fidelityScore(v),
        accuracy: accuracyOf(v),
        verified: isVerified(f.name, v),
        edge_memory_bytes: v.edge_memory_bytes,
        bytes: v.bytes,
        fixed_ms: v.latency.fit.fixed_ms,
        per_item_ms: v.latency.fit.per_item_ms,
        load_ms: v.latency.load_ms,
      });
    }
  });

  it('ranks by top-1 agreement with fp32 when measured, else by cosine', () => {
    expect(fidelityScore(withFidelity({ top1_agreement: 0.97, cosine: 0.5 }))).toBe(0.97);
    expect(fidelityScore(withFidelity({ cosine: 0.995 }))).toBe(0.995);
  });

  it('lowers the score to 1 - relative error of a scalar output and 1 - drift of a state output, where worse', () => {
    const outputs = { p: { kind: 'scalar' as const, max_abs_err: 0.1, mean_abs_err: 0.05, mean_rel_err: 0.04 }, s: { kind: 'state' as const, max_abs_err: 0, mean_abs_err: 0, drift: 0.02 } };
    expect(fidelityScore(withFidelity({ cosine: 0.9999, outputs }))).toBeCloseTo(0.96, 9);
    expect(fidelityScore(withFidelity({ cosine: 0.9, outputs }))).toBe(0.9);
  });

  it('counts fidelity measured on random inputs as unverified, except fp32 (the reference) and older manifests', () => {
    expect(isVerified('int8', withFidelity({ eval_set_kind: 'random' }))).toBe(false);
    expect(isVerified('fp32', withFidelity({ eval_set_kind: 'random' }))).toBe(true);
    expect(isVerified('int8', withFidelity({ eval_set_kind: 'data' }))).toBe(true);
    expect(isVerified('int8', withFidelity({}))).toBe(true);
  });

  it('compares labelled accuracy with the floor when known, else the fidelity score', () => {
    expect(accuracyOf(withFidelity({ accuracy: 0.91, top1_agreement: 0.99 }))).toBe(0.91);
    expect(accuracyOf(withFidelity({ top1_agreement: 0.99 }))).toBe(0.99);
    expect(accuracyOf(withFidelity({ cosine: 0.98 }))).toBe(0.98);
  });
});

describe('computeMs: the one latency formula', () => {
  it.each([
    { fit: { fixed_ms: 2, per_item_ms: 0.5 }, items: 1, speed: 1, ms: 2.5 },
    { fit: { fixed_ms: 2, per_item_ms: 0.5 }, items: 100, speed: 1, ms: 52 },
    { fit: { fixed_ms: 2, per_item_ms: 0.5 }, items: 100, speed: 0.5, ms: 26 },
    { fit: { fixed_ms: 1, per_item_ms: 0.2 }, items: 10, speed: 3, ms: 9 },
  ])('is (fixed + per item x $items) x speed factor $speed = $ms ms', ({ fit, items, speed, ms }) => {
    expect(computeMs(fit, items, speed)).toBeCloseTo(ms, 9);
  });
});

describe('fitsEdge: the one memory check', () => {
  it('lets a variant in up to the budget, inclusive, and not a byte over', () => {
    expect(fitsEdge({ edge_memory_bytes: 96 * MiB }, 96 * MiB)).toBe(true);
    expect(fitsEdge({ edge_memory_bytes: 96 * MiB + 1 }, 96 * MiB)).toBe(false);
  });

  it('keeps the shipped transformer-large off the edge at the default budget and mnist on it', () => {
    const budget = 96 * MiB;
    expect(Object.values(models.get('transformer-large')!.variants).some((v) => fitsEdge(v, budget))).toBe(false);
    expect(Object.values(models.get('mnist')!.variants).every((v) => fitsEdge(v, budget))).toBe(true);
  });
});
