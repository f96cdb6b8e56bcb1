/**
 * The adaptive policy as the gateway now runs it: the same `decide`, predicting from the isolate's latency
 * learner (src/latency/learner.ts, seeded by the manifest profile) that every finished run teaches. The sim
 * hands results over when their runs end, as the data plane's feedback does (src/latency/feedback.ts).
 */
import type { Feedback } from '../../src/latency/feedback.js';
import { learnerOptions } from '../../src/config/learning.js';
import { LatencyLearner } from '../../src/latency/learner.js';
import { queueAhead } from './policies.js';
import type { Policy } from './sim.js';
import { gatewayChoice } from './sim.js';

export function learnedPolicy(): Policy {
  return {
    name: 'adaptive (learning)',
    forPop: (_pop, config) => {
      const learner = new LatencyLearner(learnerOptions(config.learning));
      const speed = (t: 'edge' | 'origin') => (t === 'edge' ? config.edge.speed_factor : config.origin.speed_factor);
      return {
        choose(req, model, view) {
          // The sim tracks the work ahead itself (from this policy's own predictions); the origin is not queued.
          const feedback = { learner, edgeAheadMs: () => queueAhead(view), originAheadMs: () => 0 } as unknown as Feedback;
          const c = gatewayChoice(req, model, view, config, queueAhead(view), feedback);
          if (c.target === 'none' || !c.variant) return c;
          return { ...c, predictedComputeMs: learner.predict(c.target, model, c.variant, req.items, speed(c.target)) };
        },
        observe(model, obs) {
          learner.observe(obs.target, model, obs.variant, { items: obs.items, ms: obs.computeMs }, speed(obs.target));
        },
      };
    },
  };
}
