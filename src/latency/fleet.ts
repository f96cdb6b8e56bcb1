/**
 * The fleet's published fits (KV `learned`, written by the feedback Tail Worker in tail/) reach predictions
 * one way: through the isolate's learner, as the prior its estimates start from (learner.ts). The learner is
 * handed `fleetPrior` with the isolate's colo, so explain, the dashboard, the engine's queue estimate and
 * inference all read the same colo-aware line. Chosen over rewriting the manifest's facts because the prior
 * is where the fleet's fit means what it is (fleet ms, not multiplied by a speed factor again), it re-seeds
 * when a new fit is published, and the manifest stays visible next to it (`manifest_ms`).
 *
 * With learning disabled the selector gets no estimates, so the facts carry the fleet's line instead, looked
 * up through the same learner (`fleetFacts`); the device tier, which scales facts by a device's speed, reads
 * them the same way. There was once a second path that rewrote the facts from `learned` without the colo
 * while the learner's prior used it: the two disagreed.
 */
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import type { LatencyLearner, LearnerOptions } from './learner.js';
import type { LatencyLine } from './line.js';
import type { LearnedProfiles } from './profiles.js';
import { learnedFit } from './profiles.js';

/**
 * The prior the feedback Tail Worker published for edge runs, read afresh on every call: the isolate's colo's
 * fit where there is one, else the fleet-wide one. Origin runs have none (the fleet measures Workers CPU).
 */
export function fleetPrior(learned: () => LearnedProfiles | undefined, colo: () => string | undefined = () => undefined): NonNullable<LearnerOptions['priorOf']> {
  return (target, model, variant) => (target === 'edge' ? learnedFit(learned(), model.name, variant, colo()) : undefined);
}

/**
 * Edge variant facts with the fleet's line where one is published, for decisions made without the learner's
 * estimates. The selector multiplies facts by the edge speed factor (manifest profiles are bench-machine
 * ms); a fleet line is in fleet ms already, so it is divided by that factor here and the product is what the
 * fleet measured. `learner` looks the line up (with its colo); `learned` serves where there is no learner.
 */
export function fleetFacts<T extends LatencyLine & { name: VariantName }>(
  facts: readonly T[],
  model: ModelManifest,
  speedFactor: number,
  learner: LatencyLearner | undefined,
  learned: LearnedProfiles | undefined,
): T[] {
  const lookup = learner ? (v: VariantName) => learner.fleetLine('edge', model, v) : (v: VariantName) => fleetPrior(() => learned)('edge', model, v);
  return facts.map((f) => {
    const line = lookup(f.name);
    return line ? { ...f, fixed_ms: line.fixed_ms / speedFactor, per_item_ms: line.per_item_ms / speedFactor } : f;
  });
}
