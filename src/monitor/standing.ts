/**
 * A variant's standing and how it changes, pure. `active`: chosen like any variant. `demoted`: its production
 * fidelity fell surely below its floor; it is not chosen until an operator clears it or fresh evidence (probes
 * run after the demotion) is surely at or above the floor. `canary`: a new variant serving its configured
 * share only, every answer checked; `promoted` when its fidelity is surely at or above the floor over the
 * canary's sample count and its latency is within bounds, `rolled_back` when its fidelity is surely below
 * the floor or its latency out of bounds over those samples. A promoted variant is active and can be demoted
 * like any; a rolled-back one stays out until cleared or its canary is removed from config.
 */
import type { Verdict } from './verdict.js';

export const STATES = ['active', 'demoted', 'canary', 'promoted', 'rolled_back'] as const;
export type WatchState = (typeof STATES)[number];

export interface Standing {
  state: WatchState;
  /** When it took this standing (ms); evidence before it does not count for the next verdict. */
  since: number;
  reason: string;
}

export interface Transition {
  from: WatchState;
  to: WatchState;
  reason: string;
  at: number;
}

/** What a canary must show besides its fidelity: enough samples, and a latency within bounds. */
export interface CanaryGate {
  minSamples: number;
  latency: { ok: boolean; text: string };
}

/** Whether the standing keeps the variant out of automatic choice. */
export const held = (s: WatchState) => s === 'demoted' || s === 'canary' || s === 'rolled_back';

/** The standing after the verdicts (this isolate's window, the fleet's fresh evidence); `canary` when it is the model's canary. */
export function step(s: Standing, verdicts: readonly Verdict[], now: number, canary?: CanaryGate): { standing: Standing; transition?: Transition } {
  const to = (state: WatchState, reason: string) => ({ standing: { state, since: now, reason }, transition: { from: s.state, to: state, reason, at: now } });
  const below = verdicts.find((v) => v.status === 'below');
  const above = verdicts.find((v) => v.status === 'above');
  switch (s.state) {
    case 'active':
    case 'promoted':
      return below ? to('demoted', `demoted: ${below.text}`) : { standing: s };
    case 'demoted':
      return above ? to('active', `re-admitted: ${above.text}`) : { standing: s };
    case 'canary': {
      if (below) return to('rolled_back', `rolled back: ${below.text}`);
      const n = Math.max(0, ...verdicts.map((v) => v.n));
      if (!canary || n < canary.minSamples) return { standing: s };
      if (!canary.latency.ok) return to('rolled_back', `rolled back: ${canary.latency.text}`);
      const sure = verdicts.find((v) => v.status === 'above' && v.n >= canary.minSamples);
      return sure ? to('promoted', `promoted: ${sure.text}; ${canary.latency.text}`) : { standing: s };
    }
    case 'rolled_back':
      return { standing: s };
  }
}

/** An operator's clear: a demotion lifted, a rollback back to canary; fresh evidence from now either way. */
export function clear(s: Standing, now: number, why = 'cleared by an operator'): { standing: Standing; transition?: Transition } {
  const state: WatchState = s.state === 'demoted' ? 'active' : s.state === 'rolled_back' ? 'canary' : s.state;
  const standing = { state, since: now, reason: why };
  return state === s.state ? { standing } : { standing, transition: { from: s.state, to: state, reason: why, at: now } };
}

/**
 * The standing when the config has just started (`isCanary`) or ended a canary of the variant: called when the
 * model's canary changes, not on every look (a re-admitted canary stays active).
 */
export function reconcile(s: Standing, isCanary: boolean, now: number): { standing: Standing; transition?: Transition } {
  if (isCanary && (s.state === 'active' || s.state === 'demoted')) return { standing: { state: 'canary', since: now, reason: 'canary started' }, transition: { from: s.state, to: 'canary', reason: 'canary started', at: now } };
  if (!isCanary && (s.state === 'canary' || s.state === 'rolled_back')) return { standing: { state: 'active', since: now, reason: 'canary ended by config' }, transition: { from: s.state, to: 'active', reason: 'canary ended by config', at: now } };
  return { standing: s };
}
