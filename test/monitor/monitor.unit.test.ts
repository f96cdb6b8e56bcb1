/**
 * The isolate's fidelity monitor (src/monitor/monitor.ts) on a fake clock: a variant whose answers disagree
 * with the reference is demoted once the evidence is sure, and only then; it comes back when an operator
 * clears it or fresh evidence passes; the fleet's published evidence counts next to the isolate's; a canary
 * is drawn for its share only when its check is paid for, promoted over its samples, rolled back when bad.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.js';
import type { WatchSettings } from '../../src/monitor/monitor.js';
import { FidelityMonitor } from '../../src/monitor/monitor.js';
import type { FidelityProfiles } from '../../src/monitor/published.js';
import type { ModelManifest } from '../../src/registry/manifest.js';
import { fidelityScore } from '../../src/select/facts.js';

const mnist = JSON.parse(readFileSync('models/mnist/manifest.json', 'utf8')) as ModelManifest;
const settings = (over: Partial<WatchSettings> = {}): WatchSettings => ({
  enabled: true,
  shadowRate: 1,
  rule: { floor: 0.95, confidence: 0.99, minSamples: 30 },
  windowSamples: 400,
  limits: { maxConcurrent: 1, cpuMsPerMinute: 600, originPerMinute: 30, maxQueueMs: 5 },
  cleared: {},
  ...over,
});
const agree = (k: number, n = 1) => ({ logits: { metric: 'agreement' as const, n, sum: k, sumsq: k } });

function monitor(opts: { latencyMs?: number; random?: () => number } = {}) {
  const clock = { now: 1_000_000 };
  const metrics = new Metrics();
  const m = new FidelityMonitor({
    metrics,
    now: () => clock.now,
    random: opts.random ?? (() => 0),
    latencyMs: () => opts.latencyMs ?? 0.3,
    offline: (model, v) => fidelityScore(model.variants[v]!),
  });
  return { m, clock, metrics };
}

describe('demotion and re-admission', () => {
  it('demotes a variant once its production agreement is surely below the floor, not before', () => {
    const { m, metrics } = monitor();
    const s = settings();
    m.refresh(mnist, s, undefined, true);
    for (let i = 0; i < 29; i++) m.record(mnist, 'int8', agree(0), s, undefined);
    expect(m.standing(mnist, 'int8').state).toBe('active');
    m.record(mnist, 'int8', agree(0), s, undefined);
    const st = m.standing(mnist, 'int8');
    expect(st.state).toBe('demoted');
    expect(st.reason).toMatch(/^demoted: production agreement 0 \(n=30, upper 0\.\d+\) < floor 0\.95$/);
    expect(m.routing(mnist, s, undefined).held.get('int8')).toBe(st.reason);
    expect(m.events.at(-1)).toMatchObject({ model: 'mnist', variant: 'int8', from: 'active', to: 'demoted' });
    expect(metrics.counter('gateway_variant_transitions_total', { model: 'mnist', variant: 'int8', to: 'demoted' })).toBe(1);
    expect(metrics.render()).toMatch(/gateway_variant_state\{model="mnist",state="demoted",variant="int8"\} 1/);
  });

  it('keeps the offline figure while a variant has too few samples, and a good variant active', () => {
    const { m, metrics } = monitor();
    const s = settings();
    for (let i = 0; i < 500; i++) m.record(mnist, 'fp16', agree(1), s, undefined);
    expect(m.standing(mnist, 'fp16').state).toBe('active');
    const text = metrics.render();
    expect(text).toMatch(/gateway_variant_fidelity\{model="mnist",source="production",variant="fp16"\} 1/);
    expect(text).toMatch(/gateway_variant_fidelity\{model="mnist",source="offline",variant="fp16"\} 1/);
  });

  it('re-admits on fresh evidence only: what came before the demotion does not count', () => {
    const { m, clock } = monitor();
    const s = settings();
    for (let i = 0; i < 200; i++) m.record(mnist, 'int8', agree(1), s, undefined);
    let bad = 0;
    for (; m.standing(mnist, 'int8').state === 'active'; bad++) m.record(mnist, 'int8', agree(0), s, undefined);
    // 200 agreeing answers, then the drop: sure after a few dozen disagreeing ones.
    expect(bad).toBeGreaterThan(10);
    expect(bad).toBeLessThan(60);
    clock.now += 1000;
    // 29 good probes after the demotion: too few to be sure.
    for (let i = 0; i < 29; i++) m.record(mnist, 'int8', agree(1), s, undefined);
    expect(m.standing(mnist, 'int8').state).toBe('demoted');
    for (let i = 0; i < 300; i++) m.record(mnist, 'int8', agree(1), s, undefined);
    expect(m.standing(mnist, 'int8')).toMatchObject({ state: 'active' });
    // 103 agreeing probes in a row put the lower bound of agreement at the floor (at 99%).
    expect(m.standing(mnist, 'int8').reason).toBe('re-admitted: production agreement 1 (n=103, lower 0.95) ≥ floor 0.95');
  });

  it('judges the most recent samples only: a long good record does not hide a drop', () => {
    const { m } = monitor();
    const s = settings();
    for (let i = 0; i < 10_000; i++) m.record(mnist, 'int8', agree(1), s, undefined);
    let after = 0;
    // Every other answer now disagrees: within the 400-sample window it shows after some dozens.
    for (; m.standing(mnist, 'int8').state === 'active' && after < 10_000; after++) m.record(mnist, 'int8', agree(after % 2 ? 0 : 1), s, undefined);
    expect(after).toBeGreaterThan(30);
    expect(after).toBeLessThan(200);
    // Without a window the same drop would have had to outweigh the 10,000 good samples.
    const { m: unbounded } = monitor();
    const all = settings({ windowSamples: Infinity });
    for (let i = 0; i < 10_000; i++) unbounded.record(mnist, 'int8', agree(1), all, undefined);
    for (let i = 0; i < 200; i++) unbounded.record(mnist, 'int8', agree(i % 2 ? 0 : 1), all, undefined);
    expect(unbounded.standing(mnist, 'int8').state).toBe('active');
  });

  it('lifts a demotion when an operator clears it, here or through the config', () => {
    const { m, clock } = monitor();
    const s = settings();
    for (let i = 0; i < 40; i++) m.record(mnist, 'int8', agree(0), s, undefined);
    expect(m.clear(mnist, 'int8').state).toBe('active');
    for (let i = 0; i < 40; i++) m.record(mnist, 'int8', agree(0), s, undefined);
    expect(m.standing(mnist, 'int8').state).toBe('demoted');
    clock.now += 5000;
    m.refresh(mnist, settings({ cleared: { int8: clock.now - 1000 } }), undefined, true);
    expect(m.standing(mnist, 'int8')).toMatchObject({ state: 'active', reason: 'cleared by an operator (config)' });
    // A clear of an active variant changes nothing but the evidence: it starts afresh.
    for (let i = 0; i < 20; i++) m.record(mnist, 'int8', agree(0), s, undefined);
    clock.now += 1000;
    m.clear(mnist, 'int8');
    for (let i = 0; i < 20; i++) m.record(mnist, 'int8', agree(0), s, undefined);
    expect(m.standing(mnist, 'int8').state).toBe('active');
  });

  it('judges the fleet\'s published evidence next to its own, counting only buckets since the standing began', () => {
    const { m, clock } = monitor();
    const bucket = (t: number, k: number, n: number) => ({ t, outputs: agree(k, n) });
    const fleet = (buckets: ReturnType<typeof bucket>[]): FidelityProfiles => ({ published_at: 'x', bucket_ms: 600_000, models: { mnist: { int8: { buckets } } } });
    m.refresh(mnist, settings(), fleet([bucket(0, 300, 400)]), true);
    expect(m.standing(mnist, 'int8').state).toBe('demoted');
    const since = m.standing(mnist, 'int8').since;
    // Good evidence from a bucket that began before the demotion does not re-admit it; a later one does.
    clock.now += 2000;
    m.refresh(mnist, settings(), fleet([bucket(0, 300, 400), bucket(since - 1, 500, 500)]), true);
    expect(m.standing(mnist, 'int8').state).toBe('demoted');
    m.refresh(mnist, settings(), fleet([bucket(0, 300, 400), bucket(since + 1, 500, 500)]), true);
    expect(m.standing(mnist, 'int8').state).toBe('active');
    expect(m.standing(mnist, 'int8').reason).toMatch(/^re-admitted: production agreement 1 \(n=500/);
    // Re-admitted, its evidence starts afresh: the fleet's older buckets no longer count.
    const watch = m.watch(mnist, settings(), fleet([bucket(since + 1, 500, 500)]));
    expect(watch.find((w) => w.variant === 'int8')).toMatchObject({ state: 'active', offline: 0.999, floor: 0.95, fleet: { status: 'unsure', n: 0 } });
  });

  it('does nothing while monitoring is off', () => {
    const { m } = monitor();
    m.refresh(mnist, settings({ enabled: false }), { published_at: 'x', bucket_ms: 1, models: { mnist: { int8: { buckets: [{ t: 0, outputs: agree(0, 400) }] } } } }, true);
    expect(m.standing(mnist, 'int8').state).toBe('active');
    expect(m.sampled(settings({ enabled: false }))).toBe(false);
  });
});

describe('canaries', () => {
  const canary = (over: Partial<NonNullable<WatchSettings['canary']>> = {}) => settings({ canary: { variant: 'int8w', share: 0.05, minSamples: 200, maxLatencyMs: 100, pinCallers: [], started: 0, ...over } });
  const cost = () => ({ cpuMs: 0.1, origin: false, queueMs: 0 });

  it('holds the canary out but for its share, drawn only when its check is paid for', () => {
    let r = 0.01;
    const { m, metrics } = monitor({ random: () => r });
    const s = canary();
    expect(m.routing(mnist, s, undefined).held.get('int8w')).toBe('canary: serves its 5% share, every answer checked');
    const drawn = m.routing(mnist, s, undefined, cost);
    expect(drawn.prefer).toBe('int8w');
    expect(drawn.held.has('int8w')).toBe(false);
    // The one shadow slot is taken by the drawn request's check: the next draw cannot be checked, so is not drawn.
    expect(m.routing(mnist, s, undefined, cost).prefer).toBeUndefined();
    expect(metrics.counter('gateway_shadow_skipped_total', { model: 'mnist', reason: 'concurrency' })).toBe(1);
    drawn.ticket!.release();
    r = 0.5;
    expect(m.routing(mnist, s, undefined, cost).prefer).toBeUndefined();
  });

  it('promotes a canary surely at or above its floor over its samples and within its latency', () => {
    const { m } = monitor();
    const s = canary();
    m.refresh(mnist, s, undefined, true);
    for (let i = 0; i < 199; i++) m.record(mnist, 'int8w', agree(1), s, undefined);
    expect(m.standing(mnist, 'int8w').state).toBe('canary');
    m.record(mnist, 'int8w', agree(1), s, undefined);
    expect(m.standing(mnist, 'int8w')).toMatchObject({ state: 'promoted' });
    expect(m.standing(mnist, 'int8w').reason).toMatch(/^promoted: production agreement 1 \(n=200, lower 0\.97\d*\) ≥ floor 0\.95; predicted compute 0\.3 ms ≤ 100 ms$/);
    expect(m.routing(mnist, s, undefined).held.has('int8w')).toBe(false);
  });

  it('rolls back a canary whose answers disagree, as soon as that is sure', () => {
    const { m } = monitor();
    const s = canary();
    m.refresh(mnist, s, undefined, true);
    for (let i = 0; i < 30; i++) m.record(mnist, 'int8w', agree(0), s, undefined);
    expect(m.standing(mnist, 'int8w').state).toBe('rolled_back');
    expect(m.routing(mnist, s, undefined, cost).prefer).toBeUndefined();
    expect(m.routing(mnist, s, undefined).held.get('int8w')).toMatch(/^rolled back: production agreement 0/);
    // A clear sends it back to canary with fresh evidence.
    expect(m.clear(mnist, 'int8w').state).toBe('canary');
  });

  it('rolls back a faithful canary that is too slow once it has its samples', () => {
    const { m } = monitor({ latencyMs: 130 });
    const s = canary();
    m.refresh(mnist, s, undefined, true);
    for (let i = 0; i < 200; i++) m.record(mnist, 'int8w', agree(1), s, undefined);
    expect(m.standing(mnist, 'int8w')).toMatchObject({ state: 'rolled_back', reason: 'rolled back: predicted compute 130 ms > 100 ms' });
  });

  it('starts and ends the canary with the config', () => {
    const { m, clock } = monitor();
    m.refresh(mnist, settings(), undefined, true);
    expect(m.standing(mnist, 'int8w').state).toBe('active');
    clock.now += 10;
    m.refresh(mnist, canary(), undefined, true);
    expect(m.standing(mnist, 'int8w')).toMatchObject({ state: 'canary', reason: 'canary started' });
    clock.now += 10;
    m.refresh(mnist, settings(), undefined, true);
    expect(m.standing(mnist, 'int8w')).toMatchObject({ state: 'active', reason: 'canary ended by config' });
  });
});
