/** Learned latency profiles: which fit a variant gets (colo, else fleet-wide) and how it meets the speed factor. */
import { describe, expect, it } from 'vitest';
import { learnedFit, LearnedProfiles, withLearned } from '../../src/latency/profiles.js';

const learned = LearnedProfiles.parse({
  published_at: '2026-01-01T00:00:00Z',
  models: {
    mnist: {
      int8: { fixed_ms: 1, per_item_ms: 0.5, samples: 100, colos: { SJC: { fixed_ms: 2, per_item_ms: 1, samples: 40 } } },
    },
  },
});
const facts = [
  { name: 'fp32' as const, fixed_ms: 0.3, per_item_ms: 0.1, load_ms: 5 },
  { name: 'int8' as const, fixed_ms: 0.1, per_item_ms: 0.03, load_ms: 5 },
];

describe('learned profiles', () => {
  it('gives a colo its own fit and every other colo the fleet-wide one', () => {
    expect(learnedFit(learned, 'mnist', 'int8', 'SJC')?.fixed_ms).toBe(2);
    expect(learnedFit(learned, 'mnist', 'int8', 'AMS')?.fixed_ms).toBe(1);
    expect(learnedFit(learned, 'mnist', 'int8')?.fixed_ms).toBe(1);
    expect(learnedFit(learned, 'mnist', 'fp32')).toBeUndefined();
    expect(learnedFit(undefined, 'mnist', 'int8')).toBeUndefined();
  });

  it('replaces only the learned variants, scaled so that speed factor x fact is what production measured', () => {
    const out = withLearned(facts, learned, 'mnist', 2);
    expect(out[0]).toEqual(facts[0]);
    expect(out[1]).toEqual({ name: 'int8', fixed_ms: 0.5, per_item_ms: 0.25, load_ms: 5 });
    expect(out[1]!.fixed_ms * 2).toBe(1);
  });

  it('leaves facts as they are without learned profiles or for another model', () => {
    expect(withLearned(facts, undefined, 'mnist', 1)).toEqual(facts);
    expect(withLearned(facts, learned, 'transformer-small', 1)).toEqual(facts);
  });

  it('rejects negative costs and unknown variants', () => {
    expect(LearnedProfiles.safeParse({ published_at: 'x', models: { m: { int8: { fixed_ms: -1, per_item_ms: 0, samples: 1 } } } }).success).toBe(false);
    expect(LearnedProfiles.safeParse({ published_at: 'x', models: { m: { int4: { fixed_ms: 1, per_item_ms: 0, samples: 1 } } } }).success).toBe(false);
  });
});
