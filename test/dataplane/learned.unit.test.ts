/**
 * Learned latency profiles in a real decision: a `learned` section in the config (as the feedback Tail
 * Worker publishes it through the POLICY KV) moves the edge prediction to what production measured.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, resolvePolicy } from '../../src/config.js';
import { learnerOptions } from '../../src/config/learning.js';
import { decide } from '../../src/dataplane/decide.js';
import { Feedback } from '../../src/latency/feedback.js';
import { fleetPrior } from '../../src/latency/fleet.js';
import { LatencyLearner } from '../../src/latency/learner.js';
import { Metrics } from '../../src/metrics.js';
import type { ModelManifest } from '../../src/registry/manifest.js';
import type { LiveView } from '../../src/select/live.js';
import { readManifests } from '../../tools/lib/manifests.js';

const mnist = readManifests('models').find((m) => m.name === 'mnist')!;
const live: LiveView = {
  originConfigured: () => false,
  originHealthy: () => false,
  originRttMs: () => 40,
  originRetryAfterSeconds: () => 0,
  loadedVariants: (m: ModelManifest) => new Set(Object.keys(m.variants) as (keyof ModelManifest['variants'])[]),
  edgeQueueMs: () => 0,
  edgeRuntimeReady: () => true,
};
const hints = () => undefined;
const int8Prediction = (raw: Record<string, unknown>) => {
  const config = parseConfig(raw);
  const d = decide(mnist, resolvePolicy(config, 'mnist'), { items: 4, requestBytes: 100, hints }, { config, live, unhealthy: new Set() });
  // The compute part of the prediction (predicted_ms also holds the wait for a batch to form).
  return d.candidates.find((c) => c.variant === 'int8')!.compute_ms;
};

describe('decisions with learned profiles', () => {
  it('predicts an edge run from the learned fit, whatever the speed factor, and from the manifest without one', () => {
    const learned = { published_at: '2026-01-01T00:00:00Z', models: { mnist: { int8: { fixed_ms: 10, per_item_ms: 2.5, samples: 50 } } } };
    expect(int8Prediction({ learned })).toBe(20);
    expect(int8Prediction({ learned, edge: { speed_factor: 3 } })).toBe(20);
    const fit = mnist.variants.int8!.latency.fit;
    expect(int8Prediction({})).toBeCloseTo(fit.fixed_ms + 4 * fit.per_item_ms, 1);
  });

  it("applies the fleet fit once, for the isolate's colo: as the learner's prior, with the manifest left as it was for comparison", () => {
    const learned = { published_at: '2026-01-01T00:00:00Z', models: { mnist: { int8: { fixed_ms: 10, per_item_ms: 2.5, samples: 50, colos: { AMS: { fixed_ms: 20, per_item_ms: 5, samples: 40 } } } } } };
    const fit = mnist.variants.int8!.latency.fit;
    for (const enabled of [true, false]) {
      const config = parseConfig({ learned, learning: { enabled } });
      const learner = new LatencyLearner({ ...learnerOptions(config.learning), priorOf: fleetPrior(() => config.learned, () => 'AMS') });
      const feedback = new Feedback(learner, new Metrics(), () => config);
      const d = decide(mnist, resolvePolicy(config, 'mnist'), { items: 4, requestBytes: 100, hints }, { config, live, unhealthy: new Set(), feedback });
      const int8 = d.candidates.find((c) => c.variant === 'int8')!;
      expect(int8.compute_ms, `learning ${enabled ? 'on' : 'off'}`).toBeCloseTo(40, 1);
      if (enabled) expect(int8.manifest_ms).toBeCloseTo((fit.fixed_ms + 4 * fit.per_item_ms) * config.edge.speed_factor, 2);
    }
  });
});
