/**
 * How the selector ranks the candidates it kept: the most faithful one meeting the budget (fidelities within
 * the policy's tolerance are ties, broken by edge and then speed), and what to fall back to or prewarm.
 */
import type { VariantName } from '../registry/manifest.js';

/** What ranking reads of a candidate (select.ts's Candidate has all of it). */
interface Ranked {
  target: 'edge' | 'origin';
  variant: VariantName;
  fidelity: number;
  predicted_ms: number;
}

/** Where to go if the chosen backend fails, and which cold edge variant to load meanwhile. */
export interface Backups {
  fallback?: { target: 'edge' | 'origin'; variant: VariantName };
  prewarm?: VariantName;
}

/** Better of two equally faithful candidates that both meet the budget: edge over origin, then speed. */
function quicker<C extends Ranked>(a: C, b: C): C {
  if (a.target !== b.target) return a.target === 'edge' ? a : b;
  return a.predicted_ms <= b.predicted_ms ? a : b;
}

/**
 * The most faithful of the candidates meeting the budget, fidelities within `tolerance` of the best counting
 * as equal (edge, then speed, decides among those).
 */
export function mostFaithful<C extends Ranked>(meeting: readonly C[], tolerance: number): C {
  const best = Math.max(...meeting.map((c) => c.fidelity));
  return meeting.filter((c) => c.fidelity >= best - tolerance).reduce(quicker);
}

const byFidelity = (a: Ranked, b: Ranked) => b.fidelity - a.fidelity;

/** The fallback and prewarm of a decision for `chosen`, from the candidates kept. */
export function backups(chosen: Ranked, kept: readonly Ranked[], loaded: ReadonlySet<VariantName>): Backups {
  if (chosen.target === 'edge') {
    const origin = kept.find((c) => c.target === 'origin');
    return origin ? { fallback: { target: 'origin', variant: origin.variant } } : {};
  }
  const edge = kept.filter((c) => c.target === 'edge');
  const best = [...edge].sort((a, b) => byFidelity(a, b) || a.predicted_ms - b.predicted_ms)[0];
  const cold = edge.filter((c) => !loaded.has(c.variant)).sort(byFidelity)[0];
  return { ...(best ? { fallback: { target: 'edge', variant: best.variant } } : {}), ...(cold ? { prewarm: cold.variant } : {}) };
}
