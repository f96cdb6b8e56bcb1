/**
 * The adaptive policies of the fleet simulation: the gateway's own decision (`decide`) with the live view a
 * PoP's isolate would have, predicting either from the manifest profile alone (the router before learning)
 * or from what the isolate has learned of its own machine.
 */
import type { GatewayConfig } from '../../src/config.js';
import type { ModelManifest, VariantName } from '../../src/registry/manifest.js';
import { computeMs, variantFacts } from '../../src/select/facts.js';
import type { Target } from '../../src/select/select.js';
import type { Policy, PopView } from './sim.js';
import { gatewayChoice } from './sim.js';

/** Predicts one run's compute (ms) for a (model, variant, target) and items. */
export type ComputePredictor = (model: ModelManifest, variant: VariantName, target: Target, items: number) => number;

/** Predicted wait on the WASM thread: the work queued ahead, and what is left of the run in progress. */
export function queueAhead(view: PopView): number {
  let ms = 0;
  for (const r of view.unfinished) ms += r.startsAt > view.now ? r.predictedMs : Math.max(0, r.predictedMs - (view.now - r.startsAt));
  return ms;
}

/** The manifest's fit times the configured speed factors: the router as it was before it learned. */
export function profilePredictor(config: GatewayConfig): ComputePredictor {
  return (model, variant, target, items) => {
    const facts = variantFacts(model).find((f) => f.name === variant)!;
    return computeMs(facts, items, target === 'edge' ? config.edge.speed_factor : config.origin.speed_factor);
  };
}

/** The gateway's decision, predicting with the manifest profile. */
export function profilePolicy(): Policy {
  return {
    name: 'adaptive (profile only)',
    forPop: (_pop, config) => {
      const predict = profilePredictor(config);
      return {
        choose(req, model, view) {
          const c = gatewayChoice(req, model, view, { ...config, learning: { ...config.learning, enabled: false } }, queueAhead(view));
          return c.variant && c.target !== 'none' ? { ...c, predictedComputeMs: predict(model, c.variant, c.target, req.items) } : c;
        },
      };
    },
  };
}
