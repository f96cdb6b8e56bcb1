/**
 * Production fidelity across the fleet: the gateway's shadow lines, in the trace events a Tail Worker
 * receives, summed into time buckets, published as `fidelity` in the policy key next to `learned` and ops'
 * sections, read back by the gateway's own PolicySource, and judged by an isolate's monitor; an operator's
 * clear drops the buckets from before it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics.js';
import { FidelityMonitor } from '../../src/monitor/monitor.js';
import type { ShadowLine } from '../../src/monitor/published.js';
import { PolicySource } from '../../src/policy-source.js';
import type { ModelManifest } from '../../src/registry/manifest.js';
import { FeedbackCollector } from '../../tail/collector.js';
import type { TraceEvent } from '../../tail/events.js';
import { BUCKET_MS, FIDELITY_STATE_KEY, clearsOf, emptyFidelity, publishFidelity, recordShadows } from '../../tail/fidelity.js';

function memoryKv(initial: Record<string, string> = {}) {
  const data = new Map(Object.entries(initial));
  const kv = { get: async (k: string) => data.get(k) ?? null, put: async (k: string, v: string) => void data.set(k, v) };
  return { kv: kv as unknown as KVNamespace, data };
}

const line = (variant: string, agree: number, n = 1): ShadowLine => ({ event: 'shadow', model: 'mnist', variant, reference: 'fp32', site: 'edge', role: 'served', outputs: { logits: { metric: 'agreement', n, sum: agree, sumsq: agree } }, cost_ms: 0.02 });
/** An invocation whose logs hold its request line and, from its waitUntil work, a shadow line. */
const invocation = (l: ShadowLine): TraceEvent => ({
  scriptName: 'edge-inference-gateway',
  outcome: 'ok',
  cpuTime: 1,
  wallTime: 2,
  event: { request: { url: 'http://g/v2/models/mnist/infer', cf: { colo: 'SJC' } } },
  logs: [
    { level: 'log', message: [JSON.stringify({ event: 'request', method: 'POST', path: '/v2/models/mnist/infer', model: 'mnist', status: 200, ms: 1 })] },
    { level: 'log', message: [JSON.stringify(l)] },
  ],
});

describe('fidelity across the fleet', () => {
  it('sums shadow lines into time buckets, dropping what came before a clear', () => {
    const state = emptyFidelity();
    expect(recordShadows(state, [invocation(line('int8', 1)), invocation(line('int8', 0))], 0)).toBe(2);
    recordShadows(state, [invocation(line('int8', 1, 3))], BUCKET_MS * 2 + 5);
    expect(state.variants['mnist/int8']).toEqual([
      { t: 0, outputs: { logits: { metric: 'agreement', n: 2, sum: 1, sumsq: 1 } } },
      { t: BUCKET_MS * 2, outputs: { logits: { metric: 'agreement', n: 3, sum: 1, sumsq: 1 } } },
    ]);
    const published = publishFidelity(state, clearsOf({ models: { mnist: { monitoring: { cleared: { int8: new Date(BUCKET_MS).toISOString() } } } } }), 'now', 'test');
    expect(published.models.mnist?.int8?.buckets.map((b) => b.t)).toEqual([BUCKET_MS * 2]);
  });

  it('publishes `fidelity` next to ops\' sections, and an isolate reading it back demotes a variant the fleet saw fail', async () => {
    const ops = { models: { mnist: { slo_ms: 80, monitoring: { floor: 0.95 } } } };
    const { kv, data } = memoryKv({ policy: JSON.stringify(ops) });
    const collector = new FeedbackCollector({ POLICY: kv, GATEWAY_SCRIPT: 'edge-inference-gateway' }, () => 1_000_000);
    const events = [...Array.from({ length: 80 }, () => invocation(line('int8', 0))), ...Array.from({ length: 20 }, () => invocation(line('int8', 1)))];
    await collector.take(events);
    const overlay = JSON.parse(data.get('policy')!);
    expect(overlay.models).toEqual(ops.models);
    expect(overlay.fidelity.models.mnist.int8.buckets[0].outputs.logits).toEqual({ metric: 'agreement', n: 100, sum: 20, sumsq: 20 });
    expect(JSON.parse(data.get(FIDELITY_STATE_KEY)!).lines).toBe(100);

    const config = await new PolicySource({ policy_ttl_ms: 0 }, undefined, kv).get();
    const mnist = JSON.parse(readFileSync('models/mnist/manifest.json', 'utf8')) as ModelManifest;
    const monitor = new FidelityMonitor({ metrics: new Metrics(), latencyMs: () => 0, offline: () => 1, now: () => 2_000_000 });
    const settings = { enabled: true, shadowRate: 0, rule: { floor: 0.95, confidence: 0.99, minSamples: 30 }, windowSamples: 400, limits: { maxConcurrent: 1, cpuMsPerMinute: 0, originPerMinute: 0, maxQueueMs: 0 }, cleared: {} };
    monitor.refresh(mnist, settings, config.fidelity, true);
    expect(monitor.standing(mnist, 'int8')).toMatchObject({ state: 'demoted' });
    expect(monitor.standing(mnist, 'int8').reason).toMatch(/^demoted: production agreement 0\.2 \(n=100, upper 0\.3\d*\) < floor 0\.95$/);
  });
});
