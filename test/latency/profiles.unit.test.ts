/** Learned latency profiles: which fit a variant gets (colo, else fleet-wide) and how it meets the speed factor. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLOCK_GUARD } from '../../src/latency/clock-guard.js';
import { DEFAULT_ESTIMATOR } from '../../src/latency/estimator.js';
import { fleetFacts, fleetPrior } from '../../src/latency/fleet.js';
import { LatencyLearner } from '../../src/latency/learner.js';
import { learnedFit, LearnedProfiles } from '../../src/latency/profiles.js';
import type { ModelManifest } from '../../src/registry/manifest.js';

const learned = LearnedProfiles.parse({
  published_at: '2026-01-01T00:00:00Z',
  models: {
    mnist: {
      int8: { fixed_ms: 1, per_item_ms: 0.5, samples: 100, colos: { SJC: { fixed_ms: 2, per_item_ms: 1, samples: 40 } } },
    },
  },
});
const mnist = { name: 'mnist' } as ModelManifest;
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
    const out = fleetFacts(facts, mnist, 2, undefined, learned);
    expect(out[0]).toEqual(facts[0]);
    expect(out[1]).toEqual({ name: 'int8', fixed_ms: 0.5, per_item_ms: 0.25, load_ms: 5 });
    expect(out[1]!.fixed_ms * 2).toBe(1);
  });

  it('leaves facts as they are without learned profiles or for another model', () => {
    expect(fleetFacts(facts, mnist, 1, undefined, undefined)).toEqual(facts);
    expect(fleetFacts(facts, { name: 'transformer-small' } as ModelManifest, 1, undefined, learned)).toEqual(facts);
  });

  it("takes the facts' fits from the learner's own lookup, colo included, when there is a learner", () => {
    const learner = new LatencyLearner({ estimator: DEFAULT_ESTIMATOR, clock: DEFAULT_CLOCK_GUARD, priorOf: fleetPrior(() => learned, () => 'SJC') });
    expect(fleetFacts(facts, mnist, 1, learner, undefined)[1]).toMatchObject({ fixed_ms: 2, per_item_ms: 1 });
    expect(learner.fleetLine('edge', mnist, 'int8')).toMatchObject({ fixed_ms: 2, per_item_ms: 1 });
    expect(learner.fleetLine('origin', mnist, 'int8')).toBeUndefined();
  });

  it('rejects negative costs and malformed variant names', () => {
    expect(LearnedProfiles.safeParse({ published_at: 'x', models: { m: { int8: { fixed_ms: -1, per_item_ms: 0, samples: 1 } } } }).success).toBe(false);
    expect(LearnedProfiles.safeParse({ published_at: 'x', models: { m: { 'INT 4': { fixed_ms: 1, per_item_ms: 0, samples: 1 } } } }).success).toBe(false);
  });
});
