/**
 * A variant's standing (src/monitor/standing.ts) and the shadow budget (src/monitor/budget.ts), pure: the
 * transitions table of demotion, re-admission, canary promotion and rollback, operators' clears, and what
 * shadow work may cost an isolate.
 */
import { describe, expect, it } from 'vitest';
import { ShadowBudget } from '../../src/monitor/budget.js';
import type { Standing, WatchState } from '../../src/monitor/standing.js';
import { clear, held, reconcile, step } from '../../src/monitor/standing.js';
import type { Verdict } from '../../src/monitor/verdict.js';

const verdict = (status: Verdict['status'], n = 100, text = `${status} text`): Verdict => ({ status, n, score: 0.9, lower: 0.8, upper: 0.95, floor: 0.95, text });
const at = (state: WatchState): Standing => ({ state, since: 0, reason: '' });
const fast = { minSamples: 200, latency: { ok: true, text: 'predicted compute 0.3 ms ≤ 100 ms' } };
const slow = { minSamples: 200, latency: { ok: false, text: 'predicted compute 130 ms > 100 ms' } };

describe('standings', () => {
  it.each([
    ['active', [verdict('below')], undefined, 'demoted', 'demoted: below text'],
    ['active', [verdict('unsure'), verdict('above')], undefined, 'active', undefined],
    ['promoted', [verdict('unsure'), verdict('below')], undefined, 'demoted', 'demoted: below text'],
    ['demoted', [verdict('above')], undefined, 'active', 're-admitted: above text'],
    ['demoted', [verdict('unsure')], undefined, 'demoted', undefined],
    ['canary', [verdict('below', 12)], fast, 'rolled_back', 'rolled back: below text'],
    ['canary', [verdict('above', 150)], fast, 'canary', undefined],
    ['canary', [verdict('above', 200)], fast, 'promoted', 'promoted: above text; predicted compute 0.3 ms ≤ 100 ms'],
    ['canary', [verdict('unsure', 400)], fast, 'canary', undefined],
    ['canary', [verdict('above', 200)], slow, 'rolled_back', 'rolled back: predicted compute 130 ms > 100 ms'],
    ['canary', [verdict('above', 150)], slow, 'canary', undefined],
    ['rolled_back', [verdict('above', 1000)], fast, 'rolled_back', undefined],
  ] as const)('%s with %j (gate %#) -> %s', (from, verdicts, gate, to, reason) => {
    const r = step(at(from), verdicts, 1000, gate);
    expect(r.standing.state).toBe(to);
    if (reason) {
      expect(r.transition).toEqual({ from, to, reason, at: 1000 });
      expect(r.standing).toEqual({ state: to, since: 1000, reason });
    } else expect(r.transition).toBeUndefined();
  });

  it('holds demoted, canary and rolled-back variants out of automatic choice', () => {
    expect((['active', 'demoted', 'canary', 'promoted', 'rolled_back'] as const).filter(held)).toEqual(['demoted', 'canary', 'rolled_back']);
  });

  it('lets an operator lift a demotion or send a rollback back to canary, with fresh evidence either way', () => {
    expect(clear(at('demoted'), 5).standing).toEqual({ state: 'active', since: 5, reason: 'cleared by an operator' });
    expect(clear(at('rolled_back'), 5).transition).toMatchObject({ from: 'rolled_back', to: 'canary' });
    const active = clear(at('active'), 5);
    expect(active.standing.since).toBe(5);
    expect(active.transition).toBeUndefined();
  });

  it('starts and ends canaries when the config does', () => {
    expect(reconcile(at('active'), true, 9).standing).toMatchObject({ state: 'canary', since: 9 });
    expect(reconcile(at('rolled_back'), false, 9).standing).toMatchObject({ state: 'active', reason: 'canary ended by config' });
    expect(reconcile(at('promoted'), false, 9).transition).toBeUndefined();
  });
});

describe('the shadow budget', () => {
  const limits = { maxConcurrent: 1, cpuMsPerMinute: 60, originPerMinute: 2, maxQueueMs: 5 };

  it('runs one check at a time, and frees the slot once, whatever calls release', () => {
    const b = new ShadowBudget(() => 0);
    const t = b.take(limits, { cpuMs: 1, origin: false, queueMs: 0 });
    expect(typeof t).toBe('object');
    expect(b.take(limits, { cpuMs: 1, origin: false, queueMs: 0 })).toBe('concurrency');
    if (typeof t === 'object') {
      t.release();
      t.release();
    }
    expect(b.running).toBe(0);
  });

  it('spends a CPU allowance per minute that refills continuously, and counts what was spent', () => {
    let now = 0;
    const b = new ShadowBudget(() => now);
    const take = (cpuMs: number) => {
      const t = b.take(limits, { cpuMs, origin: false, queueMs: 0 });
      if (typeof t === 'object') t.release();
      return typeof t === 'object' ? 'ok' : t;
    };
    expect(take(50)).toBe('ok');
    expect(take(20)).toBe('cpu');
    now = 10_000; // a sixth of a minute: 10 ms back
    expect(take(20)).toBe('ok');
    expect(take(1)).toBe('cpu');
    // A cost above the whole allowance runs once the bucket is full.
    now = 120_000;
    expect(take(500)).toBe('ok');
    expect(take(1)).toBe('cpu');
    expect(b.spentCpuMs).toBe(570);
  });

  it('skips under load, and bounds calls to the origin per minute', () => {
    let now = 0;
    const b = new ShadowBudget(() => now);
    expect(b.take(limits, { cpuMs: 0, origin: false, queueMs: 6 })).toBe('load');
    for (let i = 0; i < 2; i++) {
      const t = b.take(limits, { cpuMs: 0, origin: true, queueMs: 0 });
      if (typeof t === 'object') t.release();
    }
    expect(b.take(limits, { cpuMs: 0, origin: true, queueMs: 0 })).toBe('origin_rate');
    now = 30_000;
    expect(typeof b.take(limits, { cpuMs: 0, origin: true, queueMs: 0 })).toBe('object');
    expect(b.originCalls).toBe(3);
  });
});
