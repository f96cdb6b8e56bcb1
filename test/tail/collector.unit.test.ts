/**
 * The Tail Worker's handler with an in-memory KV: trace events in, the window stored under
 * `feedback-state`, learned profiles published into the `policy` key next to ops' sections, read back by
 * the gateway's own PolicySource as it would in an isolate.
 */
import { describe, expect, it } from 'vitest';
import { PolicySource } from '../../src/policy-source.js';
import { FeedbackCollector, STATE_KEY } from '../../tail/collector.js';
import { traffic } from './traffic.js';
import type { TraceEvent } from '../../tail/events.js';
import recorded from './trace-events.json';

function memoryKv(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  const kv = { get: async (k: string) => data.get(k) ?? null, put: async (k: string, v: string) => void data.set(k, v) };
  return { kv: kv as unknown as KVNamespace, data };
}

const truth = { colo: 'SJC', model: 'mnist', variant: 'int8', fixed_ms: 3, per_item_ms: 0.5 };
const env = (kv: KVNamespace) => ({ POLICY: kv, GATEWAY_SCRIPT: 'edge-inference-gateway', MIN_SAMPLES: '30', MAX_CHANGE: '100', MAX_DRIFT: '1000', FLUSH_INTERVAL_MS: '60000' });

describe('the feedback Tail Worker', () => {
  it('publishes learned profiles the gateway picks up, keeping ops’ policy sections as they were', async () => {
    const ops = { models: { mnist: { slo_ms: 80 } } };
    const { kv, data } = memoryKv({ policy: JSON.stringify(ops) });
    const collector = new FeedbackCollector(env(kv), () => 0);
    const lines = await collector.take(traffic([truth], 100));
    expect(lines?.join('\n')).toMatch(/^mnist\/int8: .* from \d+ samples/);
    const overlay = JSON.parse(data.get('policy')!);
    expect(overlay.models).toEqual(ops.models);
    expect(JSON.parse(data.get(STATE_KEY)!).used).toBe(100);

    const policy = new PolicySource({ policy_ttl_ms: 0 }, undefined, kv);
    const config = await policy.get();
    expect(config.models.mnist?.slo_ms).toBe(80);
    const learned = config.learned?.models.mnist?.int8;
    expect(learned?.per_item_ms).toBeGreaterThan(0.3);
    expect(learned?.colos?.SJC?.samples).toBeGreaterThanOrEqual(30);
  });

  it('flushes at most once per interval, then merges with what KV holds', async () => {
    const { kv, data } = memoryKv();
    let now = 0;
    const collector = new FeedbackCollector(env(kv), () => now);
    await collector.take(traffic([truth], 10, [1], 1));
    now = 30_000;
    expect(await collector.take(traffic([truth], 10, [1], 2))).toBeUndefined();
    expect(JSON.parse(data.get(STATE_KEY)!).used).toBe(10);
    now = 60_001;
    await collector.take(traffic([truth], 10, [1], 3));
    expect(JSON.parse(data.get(STATE_KEY)!).used).toBe(30);
  });

  it('counts what it skipped in the recorded events and ignores another script’s', async () => {
    const { kv, data } = memoryKv();
    const events = (recorded as unknown as { event: TraceEvent }[]).map((f) => f.event);
    const other = { ...events[0]!, scriptName: 'another-worker' };
    await new FeedbackCollector(env(kv), () => 0).take([...events, other]);
    const state = JSON.parse(data.get(STATE_KEY)!);
    expect(state.seen).toBe(events.length);
    expect(state.used).toBe(3);
    expect(state.skipped).toMatchObject({ cold_load: 1, shared_run: 1, origin: 1, not_measured: 1, failed: 2, no_log: 1, no_items: 1, not_fetch: 1 });
    expect(data.has('policy')).toBe(false);
  });
});
