/**
 * The closed loop in the data plane (src/latency/feedback.ts), with fake backends reporting timings over
 * the shipped manifests: every edge run and origin round trip is learned and moves the next prediction,
 * batched runs count once, frozen-clock readings are not learned, work in flight is part of the next
 * prediction, and the prediction of what served comes back with the answer.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, BackendRequest, BackendResult } from '../../src/backend.js';
import { parseConfig } from '../../src/config.js';
import { learnerOptions } from '../../src/config/learning.js';
import { DataPlane } from '../../src/dataplane.js';
import { LatencyLearner } from '../../src/latency/learner.js';
import { Metrics } from '../../src/metrics.js';
import type { ModelManifest } from '../../src/registry/manifest.js';
import { Registry } from '../../src/registry/registry.js';
import type { LiveView } from '../../src/select/live.js';
import { routingOf } from '../../src/select/request-params.js';
import { readManifests } from '../../tools/lib/manifests.js';

const registry = new Registry(readManifests('models'));
const mnist = registry.get('mnist');
const small = registry.get('transformer-small');

/** A backend that answers zeros of the right shape after `hold` settles, reporting `result`'s fields. */
class Timed implements Backend {
  calls = 0;
  hold: Promise<void> | undefined;
  constructor(public result: (req: BackendRequest) => Omit<BackendResult, 'outputs' | 'variant'>) {}
  async infer(req: BackendRequest): Promise<BackendResult> {
    this.calls++;
    await this.hold;
    const n = req.request.inputs[0]!.shape[0]!;
    return { outputs: [{ name: req.model.outputs[0]!.name, datatype: 'FP32', shape: [n, 1], data: new Float32Array(n) }], variant: req.variant, ...this.result(req) };
  }
}

function harness(config: Record<string, unknown> = {}) {
  const live: LiveView = {
    originConfigured: () => true,
    originHealthy: () => true,
    originRttMs: () => 40,
    originRetryAfterSeconds: () => 0,
    loadedVariants: (m) => new Set(Object.keys(m.variants) as never),
    edgeQueueMs: () => 0,
    edgeRuntimeReady: () => true,
  };
  const edge = new Timed(() => ({ timings: { infer: 5 } }));
  const origin = new Timed(() => ({ timings: { origin: 60 }, originServerTiming: 'select;dur=0.10, queue;dur=3.00, infer;dur=20.00' }));
  const metrics = new Metrics();
  const parsed = parseConfig(config);
  const learner = new LatencyLearner(learnerOptions(parsed.learning));
  const plane = new DataPlane({ registry, backends: { edge, origin }, live, config: { get: async () => parsed }, initialConfig: parsed, metrics, learner });
  return { plane, edge, origin, metrics };
}

/** A v2 body of `n` rows of zeros for `model`, with these headers. */
function request(model: ModelManifest, n = 1, headers: Record<string, string> = {}) {
  const inputs = model.inputs.map((i) => {
    const cols = i.shape.slice(1).map((d) => (d < 0 ? 32 : d));
    const count = n * cols.reduce((a, b) => a * b, 1);
    return { name: i.name, datatype: i.datatype, shape: [n, ...cols], data: new Array(count).fill(i.datatype === 'INT64' ? 1 : 0) };
  });
  const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return [{ json: { inputs }, bytes: 1000 }, { routing: routingOf((name) => h.get(name.toLowerCase())), requestBytes: 1000 }] as const;
}

const edgeSeries = (plane: DataPlane, variant: string) => plane.learned().series.find((s) => s.target === 'edge' && s.variant === variant);

describe('the closed loop', () => {
  it('learns every edge run, so the next prediction moves from the manifest towards what was measured', async () => {
    const { plane, metrics, edge } = harness();
    const before = (await plane.explain(mnist, { variant: 'fp32' })).decision.candidates.find((c) => c.target === 'edge' && c.variant === 'fp32')!;
    // This fleet runs mnist fp32 three times slower than its committed profile says.
    const measured = 3 * before.manifest_ms;
    edge.result = () => ({ timings: { infer: measured } });
    const first = await plane.infer(mnist, ...request(mnist, 1, { 'x-model-variant': 'fp32' }));
    const chosen = first.decision.candidates.find((c) => c.target === 'edge' && c.variant === 'fp32')!;
    expect(first.predictedMs).toBe(chosen.compute_ms);
    expect(chosen.observations).toBe(0);
    for (let i = 0; i < 30; i++) await plane.infer(mnist, ...request(mnist, 1, { 'x-model-variant': 'fp32' }));
    const later = (await plane.explain(mnist, { variant: 'fp32' })).decision.candidates.find((c) => c.target === 'edge' && c.variant === 'fp32')!;
    expect(later.observations).toBeGreaterThan(30);
    expect(later.manifest_ms).toBe(chosen.manifest_ms);
    expect(Math.abs(later.compute_ms - measured) / measured).toBeLessThan(0.2);
    expect(metrics.render()).toMatch(/gateway_prediction_error_ratio_count\{model="mnist",target="edge",variant="fp32"\} 31/);
    expect(metrics.render()).toMatch(/gateway_latency_estimate_ms\{model="mnist",source="learned",target="edge",term="fixed",variant="fp32"\}/);
  });

  it("counts a batched run once: each request learns its share of the batch's items", async () => {
    const { plane, edge } = harness();
    edge.result = () => ({ timings: { infer: 8 }, batch: 4 });
    await plane.infer(mnist, ...request(mnist, 1, { 'x-model-variant': 'int8' }));
    expect(edgeSeries(plane, 'int8')?.estimate.observations).toBeCloseTo(0.25);
  });

  it("learns the origin's own compute from its Server-Timing, not the round trip, and nothing when it reports none", async () => {
    // A slow edge (speed factor 100) sends transformer-small to the origin.
    const originRuns = (plane: DataPlane) => plane.learned().series.filter((s) => s.target === 'origin').reduce((n, s) => n + s.estimate.observations, 0);
    const silent = harness({ edge: { speed_factor: 100 } });
    silent.origin.result = () => ({ timings: { origin: 60 } });
    await silent.plane.infer(small, ...request(small));
    expect(silent.origin.calls).toBe(1);
    expect(originRuns(silent.plane)).toBe(0);
    const { plane, origin } = harness({ edge: { speed_factor: 100 } });
    const prior = (await plane.explain(small, {})).decision.candidates.find((c) => c.target === 'origin')!.manifest_ms;
    // The origin reports a quarter of what its profile predicts, inside a round trip that is mostly network.
    origin.result = () => ({ timings: { origin: 60 }, originServerTiming: `select;dur=0.10, queue;dur=3.00, infer;dur=${(prior / 4).toFixed(3)}` });
    for (let i = 0; i < 3; i++) await plane.infer(small, ...request(small));
    expect(origin.calls).toBe(3);
    expect(originRuns(plane)).toBe(3);
    const fp32 = (await plane.explain(small, {})).decision.candidates.find((c) => c.target === 'origin')!;
    // Three runs already pull it well below the manifest (and it never learns the 60 ms round trip).
    expect(fp32.compute_ms).toBeLessThan(fp32.manifest_ms * 0.8);
  });

  it('never learns edge runs that read a frozen clock (0 ms for ~40 ms of work), and says the clock is frozen', async () => {
    const { plane, edge, metrics } = harness({ policy: { origin_enabled: false } });
    edge.result = () => ({ timings: { infer: 0 } });
    for (let i = 0; i < 3; i++) await plane.infer(small, ...request(small, 1, { 'x-model-variant': 'int8', 'x-slo-ms': '100000' }));
    // Once the clock is frozen, even a plausible reading is not believed.
    edge.result = () => ({ timings: { infer: 30 } });
    await plane.infer(small, ...request(small, 1, { 'x-model-variant': 'int8', 'x-slo-ms': '100000' }));
    expect(edgeSeries(plane, 'int8')?.estimate.observations).toBe(0);
    expect(plane.learned().clockFrozen).toBe(true);
    expect((await plane.explain(small, {})).learning).toEqual({ enabled: true, clock_frozen: true });
    expect(metrics.render()).toMatch(/gateway_clock_frozen\{\} 1/);
    expect(metrics.counter('gateway_latency_readings_rejected_total', { model: 'transformer-small', variant: 'int8', target: 'edge', reason: 'suspect' })).toBe(3);
    expect(metrics.counter('gateway_latency_readings_rejected_total', { model: 'transformer-small', variant: 'int8', target: 'edge', reason: 'frozen_clock' })).toBe(1);
  });

  it('predicts the calls in flight: origin calls add their learned cost over its parallelism, edge runs the work ahead', async () => {
    // A slow edge (speed factor 100) sends transformer-small to the origin; mnist pinned to fp32 stays at the edge.
    const { plane, origin, edge } = harness({ learning: { origin_parallelism: 2 }, edge: { speed_factor: 100 } });
    let release!: () => void;
    origin.hold = new Promise((r) => (release = r));
    edge.hold = origin.hold;
    const idle = (await plane.explain(small, {})).decision.candidates;
    const calls = [0, 1].map(() => plane.infer(small, ...request(small)));
    // 32 digits: tens of ms of predicted edge work at this speed factor, so the time the poll below takes
    // under load does not use it all up (the work ahead is what is left of it).
    const edgeCall = plane.infer(mnist, ...request(mnist, 32, { 'x-model-variant': 'fp32' }));
    for (const deadline = Date.now() + 5000; origin.calls < 2 || edge.calls < 1; ) {
      if (Date.now() > deadline) throw new Error(`calls never reached the backends: origin ${origin.calls}, edge ${edge.calls}`);
      await new Promise((r) => setTimeout(r, 1));
    }
    const busy = (await plane.explain(small, {})).decision.candidates;
    const originIdle = idle.find((c) => c.target === 'origin')!;
    const originBusy = busy.find((c) => c.target === 'origin')!;
    expect(originBusy.why).toMatch(/behind calls in flight/);
    // Two fp32 calls of the origin's predicted compute, over a parallelism of 2: one compute ahead.
    expect(originBusy.predicted_ms - originIdle.predicted_ms).toBeCloseTo(originIdle.compute_ms, 0);
    const edgeBusy = busy.find((c) => c.target === 'edge' && c.variant === 'int8')!;
    expect(edgeBusy.predicted_ms).toBeGreaterThan(idle.find((c) => c.target === 'edge' && c.variant === 'int8')!.predicted_ms);
    release();
    await Promise.all([...calls, edgeCall]);
    expect((await plane.explain(small, {})).decision.candidates.find((c) => c.target === 'origin')!.why).not.toMatch(/in flight/);
  });

  it('predicts from the manifest and learns nothing when learning is off', async () => {
    const { plane } = harness({ learning: { enabled: false } });
    for (let i = 0; i < 5; i++) await plane.infer(mnist, ...request(mnist, 1, { 'x-model-variant': 'fp32' }));
    const c = (await plane.explain(mnist, { variant: 'fp32' })).decision.candidates.find((x) => x.target === 'edge')!;
    expect(c.observations).toBe(0);
    expect(c.compute_ms).toBe(c.manifest_ms);
  });
});
