/**
 * The data plane with fake backends and a fake live view over the shipped manifests: it pulls its config
 * on every verb, returns a typed result, and carries out the selector's fallback and prewarm (and nothing
 * of its own): edge failures go to the origin and cool the variant down (memory contention goes there without
 * a cooldown), origin outages go to the edge, a request the origin refuses is final.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, BackendRequest, BackendResult } from '../../src/backend.js';
import type { GatewayConfig } from '../../src/config.js';
import { parseConfig } from '../../src/config.js';
import { learnerOptions } from '../../src/config/learning.js';
import { DataPlane } from '../../src/dataplane.js';
import { LatencyLearner } from '../../src/latency/learner.js';
import { ClientClosedRequest, EngineFailure, MemoryBusy, ModelNotReady, ModelRejectedInput, OriginRejected, OriginTimeout, OriginUnavailable, SloUnattainable } from '../../src/errors.js';
import { Metrics } from '../../src/metrics.js';
import { errorHeaders } from '../../src/protocol/headers.js';
import type { ModelManifest, VariantName } from '../../src/registry/manifest.js';
import { Registry } from '../../src/registry/registry.js';
import type { LiveView } from '../../src/select/live.js';
import { routingOf } from '../../src/select/request-params.js';
import { readManifests } from '../../tools/lib/manifests.js';
import samples from '../../models/mnist/samples.json';

const registry = new Registry(readManifests('models'));
const mnist = registry.get('mnist');
const digits = samples as { inputs: number[][]; labels: number[] };

class FakeBackend implements Backend {
  readonly calls: BackendRequest[] = [];
  /** The error of the next calls, if any. */
  failWith: ((req: BackendRequest) => Error | undefined) | undefined;
  during: (() => void) | undefined;
  constructor(private readonly timings: BackendResult['timings']) {}
  async infer(req: BackendRequest): Promise<BackendResult> {
    this.calls.push(req);
    this.during?.();
    const err = this.failWith?.(req);
    if (err) throw err;
    const n = req.request.inputs[0]!.shape[0]!;
    return { outputs: [{ name: 'logits', datatype: 'FP32', shape: [n, 10], data: new Float32Array(n * 10).fill(this.calls.length) }], variant: req.variant, timings: this.timings };
  }
}

class FakeEngine extends FakeBackend {
  readonly warmed: string[] = [];
  async warm(model: ModelManifest, variant: VariantName): Promise<void> {
    this.warmed.push(`${model.name}/${variant}`);
  }
}

function harness(opts: { config?: Record<string, unknown>; loaded?: VariantName[]; runtimeReady?: boolean } = {}) {
  const state = { healthy: true, retryAfter: 0, queueMs: 0, loaded: new Set<VariantName>(opts.loaded ?? ['fp32', 'fp16', 'int8']), runtimeReady: opts.runtimeReady ?? true };
  const live: LiveView = {
    originConfigured: () => true,
    originHealthy: () => state.healthy,
    originRttMs: () => 40,
    originRetryAfterSeconds: () => state.retryAfter,
    loadedVariants: () => state.loaded,
    edgeQueueMs: () => state.queueMs,
    edgeRuntimeReady: () => state.runtimeReady,
  };
  const source = { current: parseConfig(opts.config ?? {}), reads: 0, async get(): Promise<GatewayConfig> { this.reads++; return this.current; } };
  const edge = new FakeEngine({ queue: 1, infer: 2 });
  const origin = new FakeBackend({ origin: 3 });
  const clock = { t: 1_000_000 };
  const metrics = new Metrics();
  const initial = parseConfig({});
  const learner = new LatencyLearner(learnerOptions(initial.learning));
  const plane = new DataPlane({ registry, backends: { edge, origin }, live, config: source, initialConfig: initial, metrics, learner, now: () => clock.t });
  return { plane, edge, origin, state, source, clock, metrics };
}

/** A v2 body of `n` real digits and the context of a request with these headers. */
function request(n = 1, headers: Record<string, string> = {}, extra: { waitUntil?: (p: Promise<unknown>) => void; signal?: AbortSignal } = {}) {
  const rows = digits.inputs.slice(0, n);
  const json = { inputs: [{ name: 'input', datatype: 'FP32', shape: [n, 784], data: rows.flat() }] };
  const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return [{ json, bytes: 3000 * n }, { routing: routingOf((name) => h.get(name.toLowerCase())), requestBytes: 3000 * n, requestId: 'req-1', ...extra }] as const;
}

/** One real digit with these v2 `parameters`. */
function bodyWith(parameters: Record<string, unknown>) {
  const [body, ctx] = request(1);
  return [{ ...body, json: { ...body.json, parameters } }, ctx] as const;
}

describe('the data plane', () => {
  it('reads its config from the source at every verb, so a new policy applies from the next call', async () => {
    const { plane, source } = harness({ config: { models: { mnist: { slo_ms: 100 } } } });
    expect((await plane.explain(mnist, {})).policy.slo_ms).toBe(100);
    source.current = parseConfig({ models: { mnist: { slo_ms: 1234 } } });
    expect((await plane.explain(mnist, {})).policy.slo_ms).toBe(1234);
    expect(plane.config.models.mnist?.slo_ms).toBe(1234);
    await plane.infer(mnist, ...request());
    expect(source.reads).toBe(3);
  });

  it('answers with a typed result: what ran, where, why and how long, and the decision', async () => {
    const { plane, edge, origin, clock } = harness();
    const out = await plane.infer(mnist, ...request(2, { 'x-slo-ms': '500' }));
    expect(origin.calls).toHaveLength(0);
    expect(edge.calls).toHaveLength(1);
    const sent = edge.calls[0]!;
    expect(sent.variant).toBe(out.decision.variant);
    // Deadline: the 441.2 ms budget (500 ms SLO - 54.8 ms network - 4 ms overhead) + 100 ms grace, from now.
    expect(sent.deadline).toBe(clock.t + 541);
    expect(sent.requestId).toBe('req-1');
    expect(out.served).toEqual({ variant: out.decision.variant, site: 'edge', reason: out.decision.reason });
    expect(out.timings).toEqual({ select: expect.any(Number), queue: 1, infer: 2 });
    expect(Object.keys(out.timings)[0]).toBe('select');
    expect(out.body.outputs[0]).toMatchObject({ name: 'logits', shape: [2, 10] });
    expect(out.blocks).toEqual([]);
  });

  it('serves a request whose SLO the estimated network and the gateway use up, best effort, and says so', async () => {
    const { plane, edge, origin, metrics } = harness();
    const out = await plane.infer(mnist, ...request(1, { 'x-slo-ms': '50' }));
    expect(out.decision.reason).toMatch(/^predicted SLO miss: fastest is \w+ at edge \([\d.]+ ms > -6\.4 ms budget\)$/);
    expect(out.slo).toBe('predicted-miss');
    expect(edge.calls).toHaveLength(1);
    expect(origin.calls).toHaveLength(0);
    expect(metrics.counter('gateway_slo_total', { model: 'mnist', outcome: 'predicted-miss' })).toBe(1);
  });

  it('refuses at once, 422 with the arithmetic of its own numbers, what a strict caller cannot get', async () => {
    const { plane, edge, origin, metrics } = harness();
    const err = await plane.infer(mnist, ...request(1, { 'x-slo-ms': '50', 'x-slo-strict': '1', rtt: '48' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SloUnattainable);
    expect((err as SloUnattainable).status).toBe(422);
    expect((err as Error).message).toBe("model 'mnist': SLO cannot be met: 50 ms SLO - 48 ms round trip (your RTT hint) - 4 ms gateway overhead = -2 ms budget");
    expect(edge.calls).toHaveLength(0);
    expect(origin.calls).toHaveLength(0);
    expect(metrics.counter('nv_inference_request_failure', { model: 'mnist', version: '1', status: '422' })).toBe(1);
  });

  it('answers x-slo-strict that is neither 1 nor 0 with a 400 naming the header', async () => {
    const { plane } = harness();
    await expect(plane.infer(mnist, ...request(1, { 'x-slo-strict': 'maybe' }))).rejects.toThrow(/^x-slo-strict must be 1 or 0/);
  });

  it('refuses a predicted miss only where the policy says so, and runs it best effort otherwise', async () => {
    const { plane, edge, state } = harness({ config: { models: { mnist: { refuse_predicted_miss: true } } } });
    state.queueMs = 10_000;
    state.healthy = false;
    await expect(plane.infer(mnist, ...request(1, { 'x-slo-ms': '500' }))).rejects.toThrow(/^model 'mnist': SLO cannot be met: fastest is \w+ at edge/);
    expect(edge.calls).toHaveLength(0);
    const { plane: lenient, edge: runs, state: busy } = harness();
    busy.queueMs = 10_000;
    busy.healthy = false;
    const out = await lenient.infer(mnist, ...request(1, { 'x-slo-ms': '500' }));
    expect(out.decision.reason).toMatch(/^predicted SLO miss/);
    expect(runs.calls).toHaveLength(1);
  });

  it("waits for a best-effort run as long as the backend's own limit, not a budget already gone", async () => {
    const { plane, origin, state, clock } = harness({ loaded: [] });
    state.queueMs = 10_000;
    const out = await plane.infer(mnist, ...request(1, { 'x-slo-ms': '20' }));
    expect([out.decision.target, out.decision.meets_slo]).toEqual(['origin', false]);
    expect(origin.calls[0]!.deadline! - clock.t).toBe(parseConfig({}).origin.timeout_ms);
    expect(origin.calls[0]!.shortDeadline).toBeUndefined();
  });

  it('takes a v2 timeout (µs) as the caller\'s deadline: refused when the fastest cannot meet it, else its deadline and priority travel on', async () => {
    const { plane, edge, origin, state, clock } = harness();
    state.queueMs = 50;
    const tooShort = await plane.infer(mnist, ...bodyWith({ timeout: 10_000 })).catch((e: unknown) => e);
    expect((tooShort as Error).message).toMatch(/^model 'mnist': SLO cannot be met: fastest is \w+ at \w+, predicted [\d.]+ ms > 10 ms timeout - 4 ms gateway overhead = 6 ms budget$/);
    expect(edge.calls.length + origin.calls.length).toBe(0);
    state.queueMs = 0;
    const out = await plane.infer(mnist, ...bodyWith({ timeout: 300_000, priority: 1 }));
    const sent = edge.calls[0]!;
    expect(out.decision.budget_ms).toBe(296);
    expect(sent.deadline).toBeLessThanOrEqual(clock.t + 300);
    expect([sent.priority, sent.deadlineFromCaller]).toEqual([1, true]);
  });

  it('gives a request without a priority the default level, and refuses one beyond the levels with a 400', async () => {
    const { plane, edge } = harness({ config: { policy: { priority_levels: 3, default_priority_level: 2 } } });
    await plane.infer(mnist, ...request(1));
    expect(edge.calls[0]!.priority).toBe(2);
    await expect(plane.infer(mnist, ...bodyWith({ priority: 4 }))).rejects.toThrow(/^parameters\.priority must be a whole number from 0 \(the default, level 2\) to 3, got 4$/);
    await expect(plane.infer(mnist, ...bodyWith({ timeout: -1 }))).rejects.toThrow(/^parameters\.timeout must be a whole number of microseconds/);
  });

  it('takes the time already spent in the gateway out of the deadline', async () => {
    const { plane, edge, source, clock } = harness();
    const slowRead = source.get.bind(source);
    source.get = async () => {
      clock.t += 40;
      return slowRead();
    };
    await plane.infer(mnist, ...request(2, { 'x-slo-ms': '500' }));
    expect(edge.calls[0]!.deadline).toBe(clock.t + 541 - 40);
  });

  it('marks a deadline the SLO shortened, naming the SLO for the 504, and says what the origin was predicted to need', async () => {
    const { plane, origin, state, clock } = harness();
    state.queueMs = 10_000;
    const out = await plane.infer(mnist, ...request(1, { 'x-slo-ms': '500' }));
    const sent = origin.calls[0]!;
    // 40 ms round trip + mnist fp32's compute at the origin's speed factor: the origin candidate's prediction.
    expect(sent.expectedOriginMs).toBe(out.decision.candidates.find((c) => c.target === 'origin')!.predicted_ms);
    expect(sent.expectedOriginMs).toBeGreaterThanOrEqual(40);
    expect(sent.shortDeadline).toEqual({ why: 'its 500 ms SLO (budget 443.6 ms, 0 ms spent, + 100 ms grace)' });
    expect(sent.deadline).toBe(clock.t + 543);
  });

  it('leaves a deadline at the origin limit unmarked: nothing the request did shortened it', async () => {
    const { plane, edge } = harness();
    await plane.infer(mnist, ...request(1, { 'x-slo-ms': '60000' }));
    expect(edge.calls[0]!.shortDeadline).toBeUndefined();
  });

  it("caps the deadline by the caller's x-request-deadline-ms, and refuses one that is not a whole number of ms", async () => {
    const { plane, edge, clock } = harness();
    await plane.infer(mnist, ...request(1, { 'x-slo-ms': '60000', 'x-request-deadline-ms': '250' }));
    expect(edge.calls[0]!.deadline).toBe(clock.t + 250);
    expect(edge.calls[0]!.shortDeadline?.why).toBe("the caller's deadline of 250 ms");
    for (const bad of ['0', '0x10', '1e3', '-5', '12.5', 'soon']) {
      await expect(plane.infer(mnist, ...request(1, { 'x-request-deadline-ms': bad }))).rejects.toThrow(/^x-request-deadline-ms must be a whole positive number of milliseconds/);
    }
  });

  it("hands the client's abort signal to the backend, and does not fall back for a client that left", async () => {
    const { plane, edge, origin } = harness();
    const gone = new AbortController();
    edge.failWith = () => {
      gone.abort();
      return new EngineFailure('out of memory');
    };
    await expect(plane.infer(mnist, ...request(1, {}, { signal: gone.signal }))).rejects.toBeInstanceOf(ClientClosedRequest);
    expect(edge.calls[0]!.signal).toBe(gone.signal);
    expect(origin.calls).toHaveLength(0);
  });

  it('labels its metrics with what served the request', async () => {
    const { plane, metrics } = harness();
    const out = await plane.infer(mnist, ...request());
    expect(metrics.counter('nv_inference_request_success', { model: 'mnist', version: '1', variant: out.served.variant, target: 'edge' })).toBe(1);
  });

  it('sends an edge engine failure to the origin on the selector\'s fallback, and cools the variant down', async () => {
    const { plane, edge, origin, clock, metrics } = harness({ config: { edge: { variant_cooldown_ms: 30_000 } } });
    edge.failWith = () => new EngineFailure('corrupt variant file');
    const out = await plane.infer(mnist, ...request());
    const failed = out.decision.variant!;
    expect(out.decision.fallback).toEqual({ target: 'origin', variant: 'fp32' });
    expect(origin.calls.map((c) => c.variant)).toEqual(['fp32']);
    expect(out.served).toEqual({ variant: 'fp32', site: 'origin', reason: `edge ${failed} failed (corrupt variant file); fell back to origin` });
    expect(metrics.counter('gateway_edge_fallbacks_total', { model: 'mnist', variant: failed })).toBe(1);
    expect(metrics.counter('gateway_variant_cooldowns_total', { model: 'mnist', variant: failed, reason: 'engine_failure' })).toBe(1);
    edge.failWith = undefined;
    const next = await plane.infer(mnist, ...request());
    expect(next.decision.candidates.find((c) => c.target === 'edge' && c.variant === failed)).toMatchObject({ kept: false, why: 'failed at the edge recently' });
    clock.t += 30_000;
    const later = await plane.infer(mnist, ...request());
    expect(later.decision.candidates.find((c) => c.target === 'edge' && c.variant === failed)?.kept).toBe(true);
  });

  it('sends an edge load that found memory held by busy sessions to the origin, says contention, and cools nothing down', async () => {
    const { plane, edge, origin, metrics } = harness();
    edge.failWith = () => new MemoryBusy('mnist/fp32 (0.4 MiB) does not fit the isolate memory budget (edge.isolate_memory_budget_bytes, 0.6 MiB) while other sessions are busy');
    const out = await plane.infer(mnist, ...request(1, { 'x-model-variant': 'fp32' }));
    expect(out.decision.fallback).toEqual({ target: 'origin', variant: 'fp32' });
    expect(origin.calls.map((c) => c.variant)).toEqual(['fp32']);
    expect(out.served).toEqual({ variant: 'fp32', site: 'origin', reason: 'edge fp32 waited for memory busy sessions hold (contention, no cooldown); fell back to origin' });
    expect(metrics.total('gateway_variant_cooldowns_total')).toBe(0);
    expect(metrics.counter('gateway_edge_memory_contention_total', { model: 'mnist', variant: 'fp32', answered: 'origin' })).toBe(1);
    // The variant stays routable for everyone: the next pinned request runs it at the edge.
    edge.failWith = undefined;
    const next = await plane.infer(mnist, ...request(1, { 'x-model-variant': 'fp32' }));
    expect(next.served).toMatchObject({ variant: 'fp32', site: 'edge' });
  });

  it('answers contention with no origin to fall back to 503 with a short Retry-After naming the budget, and no cooldown', async () => {
    const { plane, edge, state, metrics } = harness();
    state.healthy = false;
    edge.failWith = () => new MemoryBusy('mnist/fp32 (0.4 MiB) does not fit the isolate memory budget (edge.isolate_memory_budget_bytes, 0.6 MiB) while other sessions are busy');
    const err = await plane.infer(mnist, ...request(1, { 'x-model-variant': 'fp32' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemoryBusy);
    expect((err as MemoryBusy).status).toBe(503);
    expect((err as MemoryBusy).message).toMatch(/edge\.isolate_memory_budget_bytes/);
    expect(errorHeaders(err as MemoryBusy)['retry-after']).toBe('1');
    expect(metrics.total('gateway_variant_cooldowns_total')).toBe(0);
    expect(metrics.counter('gateway_edge_memory_contention_total', { model: 'mnist', variant: 'fp32', answered: 'none' })).toBe(1);
  });

  it('answers input a proven edge variant refuses with 422, without the origin or a cooldown', async () => {
    const { plane, edge, origin, metrics } = harness();
    edge.failWith = () => new ModelRejectedInput("model 'mnist' rejected the input: Gather: indices out of bounds");
    const err = await plane.infer(mnist, ...request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelRejectedInput);
    expect((err as ModelRejectedInput).status).toBe(422);
    expect(origin.calls).toHaveLength(0);
    expect(metrics.total('gateway_variant_cooldowns_total')).toBe(0);
    // Everyone else keeps the variant.
    edge.failWith = undefined;
    const next = await plane.infer(mnist, ...request());
    expect(next.served.site).not.toBe('origin');
    expect(next.decision.candidates.every((c) => c.why !== 'failed at the edge recently')).toBe(true);
  });

  it('asks the origin once when an unproven edge variant refuses input, and cools the variant down only if the origin serves it', async () => {
    const { plane, edge, metrics } = harness();
    edge.failWith = () => new ModelRejectedInput('rejected', { unproven: true });
    const out = await plane.infer(mnist, ...request());
    const failed = out.decision.variant!;
    expect(out.served.site).toBe('origin');
    expect(out.served.reason).toMatch(/refused input the origin accepted/);
    expect(metrics.counter('gateway_variant_cooldowns_total', { model: 'mnist', variant: failed, reason: 'unproven_variant_rejected' })).toBe(1);
  });

  it('passes the origin\'s own 4xx on when it refuses what an unproven edge variant refused, and keeps the variant', async () => {
    const { plane, edge, origin, metrics } = harness();
    edge.failWith = () => new ModelRejectedInput('edge words', { unproven: true });
    origin.failWith = () => new OriginRejected(422, 'origin rejected the request: token id out of range');
    const err = await plane.infer(mnist, ...request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginRejected);
    expect((err as OriginRejected).status).toBe(422);
    expect(origin.calls).toHaveLength(1);
    expect(metrics.total('gateway_variant_cooldowns_total')).toBe(0);
  });

  it('keeps the edge\'s 422 when the origin is down while checking an unproven variant', async () => {
    const { plane, edge, origin, metrics } = harness();
    edge.failWith = () => new ModelRejectedInput('edge words', { unproven: true });
    origin.failWith = () => new OriginUnavailable('origin answered 500');
    const err = await plane.infer(mnist, ...request()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelRejectedInput);
    expect(metrics.total('gateway_variant_cooldowns_total')).toBe(0);
  });

  it('keeps an edge failure when the origin became unhealthy after the decision', async () => {
    const { plane, edge, origin, state } = harness();
    edge.failWith = () => new EngineFailure('out of memory');
    edge.during = () => (state.healthy = false);
    await expect(plane.infer(mnist, ...request())).rejects.toBeInstanceOf(EngineFailure);
    expect(origin.calls).toHaveLength(0);
  });

  it('answers an origin outage from the edge on the selector\'s fallback', async () => {
    const { plane, edge, origin, state, metrics } = harness();
    // 10 s of queued edge work: the origin wins; it then times out.
    state.queueMs = 10_000;
    origin.failWith = () => new OriginTimeout('origin did not answer within 1000 ms');
    const out = await plane.infer(mnist, ...request());
    expect(out.decision.target).toBe('origin');
    const fb = out.decision.fallback!;
    expect(fb.target).toBe('edge');
    expect(edge.calls.map((c) => c.variant)).toEqual([fb.variant]);
    expect(out.served).toEqual({ variant: fb.variant, site: 'edge', reason: `origin failed (origin did not answer within 1000 ms); served ${fb.variant} at the edge` });
    expect(metrics.counter('gateway_origin_fallbacks_total', { model: 'mnist', variant: fb.variant })).toBe(1);
  });

  it('does not retry at the edge a request the origin refused', async () => {
    const { plane, edge, origin, state } = harness();
    state.queueMs = 10_000;
    origin.failWith = () => new OriginRejected(400, 'origin rejected the request: bad');
    await expect(plane.infer(mnist, ...request())).rejects.toBeInstanceOf(OriginRejected);
    expect(origin.calls).toHaveLength(1);
    expect(edge.calls).toHaveLength(0);
  });

  it('prewarms the selector\'s cold edge variant in the background while the origin serves', async () => {
    const { plane, edge, origin } = harness({ loaded: [], runtimeReady: false });
    const background: Promise<unknown>[] = [];
    const out = await plane.infer(mnist, ...request(1, { 'x-slo-ms': '150' }, { waitUntil: (p) => background.push(p) }));
    expect(out.decision.target).toBe('origin');
    expect(out.decision.prewarm).toBeDefined();
    expect(origin.calls).toHaveLength(1);
    await Promise.all(background);
    expect(edge.warmed).toEqual([`mnist/${out.decision.prewarm}`]);
  });

  it('prewarms nothing without a way to keep background work alive', async () => {
    const { plane, edge } = harness({ loaded: [], runtimeReady: false });
    const out = await plane.infer(mnist, ...request(1, { 'x-slo-ms': '150' }));
    expect(out.decision.prewarm).toBeDefined();
    expect(edge.warmed).toEqual([]);
  });

  it('answers 503 with the origin\'s Retry-After when nothing can serve, else 5 s', async () => {
    const { plane, state } = harness();
    const large = registry.get('transformer-large');
    const body = { json: { inputs: [{ name: 'input_ids', datatype: 'INT64', shape: [1, 4], data: [1, 2, 3, 4] }, { name: 'attention_mask', datatype: 'INT64', shape: [1, 4], data: [1, 1, 1, 1] }] }, bytes: 100 };
    const ctx = { routing: routingOf(() => undefined), requestBytes: 100 };
    state.healthy = false;
    state.retryAfter = 7;
    const err = await plane.infer(large, body, ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotReady);
    expect(errorHeaders(err as ModelNotReady)['retry-after']).toBe('7');
    state.retryAfter = 0;
    expect(errorHeaders((await plane.infer(large, body, ctx).catch((e: unknown) => e)) as ModelNotReady)['retry-after']).toBe('5');
  });

  it('places each variant by the edge memory budget and is ready while the edge or the origin can serve', async () => {
    const { plane, state, source } = harness();
    const large = registry.get('transformer-large');
    expect(await plane.modelStatus(mnist)).toEqual({ ready: true, placement: { fp32: 'edge', fp16: 'edge', int8: 'edge', int8w: 'edge' } });
    expect(await plane.modelStatus(large)).toEqual({ ready: true, placement: { fp32: 'origin', fp16: 'origin', int8: 'origin' } });
    state.healthy = false;
    expect((await plane.modelStatus(large)).ready).toBe(false);
    expect((await plane.modelStatus(mnist)).ready).toBe(true);
    source.current = parseConfig({ models: { mnist: { edge_memory_budget_bytes: 1000 } } });
    expect(await plane.modelStatus(mnist)).toEqual({ ready: false, placement: { fp32: 'origin', fp16: 'origin', int8: 'origin', int8w: 'origin' } });
  });

  it('loads the configured hot variants through the edge backend, skipping bad entries', async () => {
    const { plane, edge } = harness({ config: { edge: { warm: ['mnist/int8', 'nope/fp32', 'mnist/fp16'] } } });
    await plane.warm();
    expect(edge.warmed).toEqual(['mnist/int8', 'mnist/fp16']);
  });
});
