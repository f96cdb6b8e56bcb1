/**
 * The frozen-clock guard (src/latency/clock-guard.ts): production Workers do not advance the clock during CPU
 * work, so an edge run reads about 0 ms. Such readings are never learned, and once several arrive the
 * isolate's clock is considered frozen; a clock that ticks, coarse or not, is left alone.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClockGuard } from '../../src/latency/clock-guard.js';
import { LatencyLearner } from '../../src/latency/learner.js';
import { Registry } from '../../src/registry/registry.js';
import { readManifests } from '../../tools/lib/manifests.js';

const registry = new Registry(readManifests('models'));

describe('the frozen-clock guard', () => {
  it('calls a 0 ms (or near 0) reading of work predicted at 0.5 ms or more suspect, and never learns it', () => {
    const guard = new ClockGuard();
    expect(guard.judge(20, 0)).toBe('suspect');
    expect(guard.judge(20, 2.1)).toBe('credible');
    expect(guard.learnable('suspect')).toBe(false);
    expect(guard.learnable('credible')).toBe(true);
    expect(guard.judge(20, 1.9)).toBe('suspect');
    expect(guard.judge(0.5, 0)).toBe('suspect');
  });

  it('does not judge work too small to time: a 0.1 ms model honestly reads 0 on a coarse clock', () => {
    const guard = new ClockGuard();
    for (let i = 0; i < 50; i++) expect(guard.judge(0.1, 0)).toBe('unjudged');
    expect(guard.frozen()).toBe(false);
    expect(guard.learnable('unjudged')).toBe(true);
  });

  it('rejects readings that are not durations', () => {
    const guard = new ClockGuard();
    for (const bad of [NaN, -1, Infinity]) expect(guard.judge(10, bad)).toBe('invalid');
    expect(guard.learnable('invalid')).toBe(false);
    expect(guard.frozen()).toBe(false);
  });

  it('considers the clock frozen after three suspect readings, and then learns no edge reading at all', () => {
    const guard = new ClockGuard();
    guard.judge(30, 0);
    guard.judge(30, 0);
    expect(guard.frozen()).toBe(false);
    guard.judge(30, 0);
    expect(guard.frozen()).toBe(true);
    // Even a plausible reading is not believed while the clock is frozen: it may be I/O time, not compute.
    expect(guard.learnable(guard.judge(30, 28))).toBe(false);
  });

  it('never declares a ticking clock frozen, whatever the noise, when suspect readings are rare', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.3, max: 3, noNaN: true }), { minLength: 1, maxLength: 200 }), (ratios) => {
        const guard = new ClockGuard();
        // A GC-free clock that ticks: at worst a reading every ~20 is a glitch far below the prediction.
        ratios.forEach((r, i) => guard.judge(10, i % 20 === 19 ? 0 : 10 * r));
        expect(guard.frozen()).toBe(false);
      }),
    );
  });

  it('recovers when credible readings outnumber the suspect ones again', () => {
    const guard = new ClockGuard();
    for (let i = 0; i < 3; i++) guard.judge(10, 0);
    expect(guard.frozen()).toBe(true);
    for (let i = 0; i < 4; i++) guard.judge(10, 9);
    expect(guard.frozen()).toBe(false);
  });

  it("keeps a learner's edge estimate untouched by frozen readings, while origin round trips are still learned", () => {
    const learner = new LatencyLearner();
    const model = registry.get('transformer-small');
    const before = learner.predict('edge', model, 'int8', 1, 1);
    for (let i = 0; i < 10; i++) expect(learner.observe('edge', model, 'int8', { items: 1, ms: 0 }, 1).learned).toBe(false);
    expect(learner.predict('edge', model, 'int8', 1, 1)).toBe(before);
    expect(learner.clockFrozen()).toBe(true);
    expect(learner.observe('origin', model, 'fp32', { items: 1, ms: 12 }, 0.5).learned).toBe(true);
    expect(learner.snapshot().find((s) => s.target === 'origin')?.estimate.observations).toBe(1);
  });
});
