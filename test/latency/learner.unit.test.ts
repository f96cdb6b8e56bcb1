/**
 * The isolate's learner seeds each series from a fleet-measured fit where the feedback Tail Worker published
 * one (production, where frozen clocks leave nothing to learn locally), else from the manifest x speed factor,
 * and re-seeds when a new fit is published or the published one is withdrawn.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CLOCK_GUARD } from '../../src/latency/clock-guard.js';
import { DEFAULT_ESTIMATOR } from '../../src/latency/estimator.js';
import { LatencyLearner } from '../../src/latency/learner.js';
import { Registry } from '../../src/registry/registry.js';
import { readManifests } from '../../tools/lib/manifests.js';

const model = new Registry(readManifests('models')).get('transformer-small');
const manifest = model.variants.fp32!.latency.fit;

describe('the learner\'s prior', () => {
  it('is the manifest fit times the speed factor without a fleet fit', () => {
    const learner = new LatencyLearner({ estimator: DEFAULT_ESTIMATOR, clock: DEFAULT_CLOCK_GUARD });
    expect(learner.predict('edge', model, 'fp32', 1, 2)).toBeCloseTo(2 * (manifest.fixed_ms + manifest.per_item_ms), 1);
  });

  it('is the published fleet fit where there is one, not multiplied by the speed factor again, and follows a new one', () => {
    let fleet = { fixed_ms: 7, per_item_ms: 3 };
    const learner = new LatencyLearner({ estimator: DEFAULT_ESTIMATOR, clock: DEFAULT_CLOCK_GUARD, priorOf: (target) => (target === 'edge' ? fleet : undefined) });
    expect(learner.predict('edge', model, 'fp32', 2, 2)).toBeCloseTo(13, 1);
    fleet = { fixed_ms: 20, per_item_ms: 5 };
    expect(learner.predict('edge', model, 'fp32', 2, 2)).toBeCloseTo(30, 1);
    // The origin has no fleet fit: the manifest's.
    expect(learner.predict('origin', model, 'fp32', 1, 0.5)).toBeCloseTo(0.5 * (manifest.fixed_ms + manifest.per_item_ms), 1);
  });

  it('forgets a fleet fit deleted from KV: back to the manifest on the next prediction, not at the next restart', () => {
    let fleet: { fixed_ms: number; per_item_ms: number } | undefined = { fixed_ms: 900, per_item_ms: 400 };
    const learner = new LatencyLearner({ estimator: DEFAULT_ESTIMATOR, clock: DEFAULT_CLOCK_GUARD, priorOf: (target) => (target === 'edge' ? fleet : undefined) });
    expect(learner.predict('edge', model, 'fp32', 1, 2)).toBeCloseTo(1300, 0);
    fleet = undefined;
    expect(learner.predict('edge', model, 'fp32', 1, 2)).toBeCloseTo(2 * (manifest.fixed_ms + manifest.per_item_ms), 1);
    expect(learner.snapshot().find((s) => s.target === 'edge')?.prior_source).toBe('manifest');
  });
});
