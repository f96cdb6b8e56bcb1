/**
 * The feedback path's statistics and publish rules on synthetic fleets with a known truth (traffic.ts):
 * robust fits through bursts, minimum samples, per-colo and fleet-wide entries, the cap per publish and
 * convergence over publishes.
 */
import { describe, expect, it } from 'vitest';
import type { LearnedProfiles } from '../../src/latency/profiles.js';
import { emptyState, fitSamples, merge, record, type Sample } from '../../tail/aggregate.js';
import { observe } from '../../tail/events.js';
import { capChange, publish } from '../../tail/publish.js';
import { traffic, type Truth } from './traffic.js';

const NOW = '2026-01-01T00:00:00.000Z';
const sjc: Truth = { colo: 'SJC', model: 'transformer-small', variant: 'int8', fixed_ms: 20, per_item_ms: 6 };
const ams: Truth = { ...sjc, colo: 'AMS', fixed_ms: 40, per_item_ms: 12 };
const stateOf = (events: ReturnType<typeof traffic>) => record(emptyState(NOW), events.map(observe), NOW);
const opts = { minSamples: 30, maxChange: 2, now: NOW, source: 'test' };
const within = (got: number, want: number, tol: number) => expect(Math.abs(got - want) / want).toBeLessThan(tol);

describe('fitting a window of samples', () => {
  it('recovers fixed and per-item cost through noise and 10% bursts of 5x', () => {
    const fit = fitSamples(stateOf(traffic([sjc], 200)).series['transformer-small/int8@SJC']!)!;
    within(fit.fixed_ms, 20, 0.25);
    within(fit.per_item_ms, 6, 0.1);
    expect(fit.samples).toBeGreaterThan(150);
    expect(fit.items).toEqual([1, 16]);
    // The gateway predicted 2x the truth: off by half of what was measured.
    within(fit.prediction_error!, 1, 0.25);
  });

  it('scales the prior’s shape to the one item count observed, since one count cannot split fixed from per-item', () => {
    const samples: Sample[] = Array.from({ length: 40 }, () => [1, 4, null]);
    expect(fitSamples(samples, { fixed_ms: 1, per_item_ms: 1 })).toMatchObject({ fixed_ms: 2, per_item_ms: 2, samples: 40 });
    expect(fitSamples(samples)).toMatchObject({ fixed_ms: 4, per_item_ms: 0 });
  });

  it('keeps the most recent window when merging what an isolate saw into the stored state', () => {
    const a = stateOf(traffic([sjc], 200, [1], 1));
    const b = stateOf(traffic([sjc], 100, [1], 2));
    const m = merge(a, b, 256);
    expect(m.series['transformer-small/int8@SJC']).toHaveLength(256);
    expect(m.series['transformer-small/int8@SJC']!.slice(-100)).toEqual(b.series['transformer-small/int8@SJC']);
    expect(m.seen).toBe(300);
  });
});

describe('publishing learned profiles', () => {
  it('publishes nothing from fewer than the minimum samples', () => {
    const r = publish(stateOf(traffic([sjc], 10)), undefined, opts);
    expect(r.changed).toBe(false);
    expect(r.learned.models).toEqual({});
    expect(r.lines[0]).toMatch(/fewer than 30: nothing published/);
  });

  it('publishes a fleet-wide fit and one per colo, each from its own samples', () => {
    const r = publish(stateOf(traffic([sjc, ams], 200)), undefined, opts);
    const v = r.learned.models['transformer-small']!.int8!;
    within(v.colos!.SJC!.per_item_ms, 6, 0.1);
    within(v.colos!.AMS!.per_item_ms, 12, 0.1);
    expect(v.per_item_ms).toBeGreaterThan(6);
    expect(v.per_item_ms).toBeLessThan(12);
    expect(r.changed).toBe(true);
  });

  it('moves a prediction at most maxChange x per publish and converges over publishes', () => {
    const state = stateOf(traffic([sjc], 200));
    let previous: LearnedProfiles | undefined = { published_at: NOW, models: { 'transformer-small': { int8: { fixed_ms: 1, per_item_ms: 0.3, samples: 50 } } } };
    const first = publish(state, previous, opts).learned.models['transformer-small']!.int8!;
    // At 16 items the old prediction was 5.8 ms: the new one is capped at 11.6.
    expect(first.fixed_ms + 16 * first.per_item_ms).toBeLessThanOrEqual(2 * 5.8 + 1e-3);
    for (let i = 0; i < 8; i++) previous = publish(state, previous, opts).learned;
    within(previous!.models['transformer-small']!.int8!.per_item_ms, 6, 0.1);
  });

  it('caps the first publish around the manifest prior (times the speed factor the worker applies)', () => {
    const r = publish(stateOf(traffic([sjc], 200)), undefined, { ...opts, prior: () => ({ fixed_ms: 2, per_item_ms: 0.6 }) });
    const v = r.learned.models['transformer-small']!.int8!;
    expect(v.fixed_ms + v.per_item_ms).toBeLessThanOrEqual(2 * 2.6 + 1e-3);
  });

  it('keeps what was published for a variant with no new samples, and writes nothing when nothing changed', () => {
    const previous: LearnedProfiles = { published_at: NOW, models: { mnist: { int8: { fixed_ms: 0.2, per_item_ms: 0.05, samples: 90 } } } };
    const r = publish(emptyState(NOW), previous, opts);
    expect(r.learned.models).toEqual(previous.models);
    expect(r.changed).toBe(false);
  });

  it('blends toward the new fit only as far as the cap allows', () => {
    const capped = capChange({ fixed_ms: 100, per_item_ms: 0, samples: 40, items: [1, 1] }, { fixed_ms: 10, per_item_ms: 0 }, 2);
    expect(capped.fixed_ms).toBeCloseTo(20, 3);
    expect(capChange({ fixed_ms: 15, per_item_ms: 0, samples: 40 }, { fixed_ms: 10, per_item_ms: 0 }, 2).fixed_ms).toBe(15);
  });
});
