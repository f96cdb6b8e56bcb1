/**
 * Shadow checks whose reference runs at the origin, inside workerd against the real origin process
 * (test/setup/origin.ts): mnist-wide's fp32 (40 MiB at the edge) does not fit a 32 MiB edge budget, so the
 * answers of its edge variants are checked against fp32 at the origin. A broken variant (distilled's file with
 * its weights shuffled, broken-variant.ts) is demoted on that evidence, the checks counted as origin calls and
 * never as caller traffic; the per-minute origin budget skips checks past it; and once the origin's breaker is
 * open no check is sent there while callers keep their edge answers. Requests the gateway really sends are
 * counted at the global fetch the origin client calls.
 */
import { env, waitOnExecutionContext } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import catalog from '../../models/catalog.json';
import type { Obj } from './gateway.js';
import { brokenCatalog, digitsBody, gatewayWith } from './gateway.js';

const MODEL = 'mnist-wide';
const MiB = 2 ** 20;
/** Between the edge variants' 16 MiB and fp32's 40 MiB (models/catalog.json; checked below). */
const BUDGET = 32 * MiB;
const wide = catalog.models.find((m) => m.name === MODEL)!;
const onOrigin = { origin_enabled: true, edge_memory_budget_bytes: BUDGET };
/**
 * fp32 at the origin is the most faithful candidate: a 2% tolerance makes pruned50-int8's 0.9845 count as
 * equal, where the edge wins, so every caller is answered at the edge and only the checks reach the origin.
 */
const atTheEdge = { ...onOrigin, variants: ['pruned50-int8'], fidelity_tolerance: 0.02 };

type Gateway = ReturnType<typeof gatewayWith>;

/** Counts the requests the gateway really sends to `url` (the origin client calls the global fetch). */
function requestsTo(url: string): () => number {
  const real = globalThis.fetch;
  let sent = 0;
  vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    if (new Request(input, init).url.startsWith(url)) sent++;
    return real(input, init);
  });
  return () => sent;
}

/** `n` requests of four digits each, every shadow check awaited; the answers' variant and where they were served. */
async function serve({ call }: Gateway, n: number, from = 0) {
  const answers: { variant: string | null; servedBy: string | null }[] = [];
  for (let i = 0; i < n; i++) {
    const r = await call('POST', `/v2/models/${MODEL}/infer`, digitsBody((from + i) * 4));
    await waitOnExecutionContext(r.ctx);
    expect(r.res.status, r.text).toBe(200);
    answers.push({ variant: r.res.headers.get('x-model-variant'), servedBy: r.res.headers.get('x-served-by') });
  }
  return answers;
}

const comparisons = ({ gw }: Gateway, variant: string, role: string, reference: 'edge' | 'origin') => gw.plane!.metrics.counter('gateway_shadow_comparisons_total', { model: MODEL, variant, reference, role });
const skipped = ({ gw }: Gateway, reason: string) => gw.plane!.metrics.counter('gateway_shadow_skipped_total', { model: MODEL, reason });
/** One series of /metrics as ops scrape it (counters kept by the monitor are only read at scrape time). */
async function scraped({ call }: Gateway, series: string): Promise<number | undefined> {
  const text = (await call('GET', '/metrics')).text;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('shadow checks against the reference at the origin', () => {
  it("checks edge answers against fp32 at the origin when fp32 does not fit the edge budget, and demotes a broken variant on the origin's evidence", async () => {
    expect(wide.variants.distilled!.edge_memory_bytes).toBeLessThanOrEqual(BUDGET);
    expect(wide.variants['pruned50-int8']!.edge_memory_bytes).toBeLessThanOrEqual(BUDGET);
    expect(wide.variants.fp32!.edge_memory_bytes).toBeGreaterThan(BUDGET);
    const gateway = gatewayWith(await brokenCatalog(MODEL, { from: 'distilled', like: 'distilled' }), { ...onOrigin, variants: ['shuffled'], monitoring: { floor: 0.95, shadow_rate: 1, min_samples: 20 } }, { model: MODEL });
    const sent = requestsTo(env.ORIGIN_URL);
    const lines = vi.spyOn(console, 'log');

    // Four digits a request: the broken variant (claiming fp32's fidelity, so it ties with fp32 at the origin and
    // the edge wins) is served until the origin's evidence is sure, then never.
    let served = 0;
    let callers = 0;
    let after: { variant: string | null; servedBy: string | null } | undefined;
    for (; callers < 20 && !after; callers++) {
      const [answer] = await serve(gateway, 1, callers);
      if (answer!.variant === 'shuffled') {
        expect(answer!.servedBy).toBe('edge');
        served++;
      } else after = answer;
    }
    expect(served).toBeGreaterThanOrEqual(5);
    expect(served).toBeLessThanOrEqual(8);
    // Every answer of it was compared with fp32 at the origin, none at the edge.
    expect(comparisons(gateway, 'shuffled', 'served', 'origin')).toBe(served);
    expect(comparisons(gateway, 'shuffled', 'served', 'edge')).toBe(0);
    const shadowLine = lines.mock.calls.map(([l]) => (typeof l === 'string' && l.startsWith('{"event":"shadow"') ? JSON.parse(l) : undefined)).find((l) => l?.variant === 'shuffled');
    expect(shadowLine).toMatchObject({ model: MODEL, variant: 'shuffled', reference: 'fp32', site: 'origin', role: 'served' });

    const variants = JSON.parse((await gateway.call('GET', `/admin/variants?model=${MODEL}`)).text);
    const watch = variants.models[MODEL].find((v: { variant: string }) => v.variant === 'shuffled');
    expect(watch).toMatchObject({ state: 'demoted', offline: 1, floor: 0.95 });
    expect(watch.reason).toMatch(/^demoted: production agreement 0(\.\d+)? \(n=\d+, upper 0\.\d+\) < floor 0\.95$/);

    // Then the most faithful candidate left is fp32 itself, at the origin: that answer is its own reference, and
    // the demoted variant is probed on the same inputs against it, with no shadow call to the origin.
    expect(after).toEqual({ variant: 'fp32', servedBy: 'origin' });
    expect(comparisons(gateway, 'shuffled', 'probe', 'origin')).toBe(1);
    expect(comparisons(gateway, 'fp32', 'served', 'origin')).toBe(0);

    // One origin call per check of the broken variant, counted and really sent; the one caller answered at the
    // origin is the only other request it saw.
    expect(await scraped(gateway, 'gateway_shadow_origin_calls_total{}')).toBe(served);
    expect(sent()).toBe(served + 1);

    // Shadow work is not caller traffic: the callers' counters count the callers' answers only.
    const metrics = gateway.gw.plane!.metrics;
    expect(metrics.total('nv_inference_request_success')).toBe(callers);
    expect(metrics.total('gateway_route_decisions_total')).toBe(callers);
    expect(metrics.series('nv_inference_request_success').filter((s) => s.labels.target === 'origin').map((s) => s.value)).toEqual([1]);
    expect(await scraped(gateway, `gateway_origin_requests_duration_ms_count{model="${MODEL}"}`)).toBe(1);
  });

  it('sends no more checks to the origin than monitoring.origin_per_minute allows, and counts the rest as origin_rate', async () => {
    const gateway = gatewayWith(catalog.models as unknown as Obj[], { ...atTheEdge, monitoring: { shadow_rate: 1 } }, { model: MODEL, config: { monitoring: { origin_per_minute: 2 } } });
    const sent = requestsTo(env.ORIGIN_URL);
    const answers = await serve(gateway, 6);
    expect(answers).toEqual(Array.from({ length: 6 }, () => ({ variant: 'pruned50-int8', servedBy: 'edge' })));
    expect(comparisons(gateway, 'pruned50-int8', 'served', 'origin')).toBe(2);
    expect(skipped(gateway, 'origin_rate')).toBe(4);
    expect(await scraped(gateway, 'gateway_shadow_origin_calls_total{}')).toBe(2);
    expect(sent()).toBe(2);
  });

  it('sends no check to the origin once its breaker is open, and keeps answering callers at the edge', async () => {
    const closed = 'http://127.0.0.1:9';
    const gateway = gatewayWith(catalog.models as unknown as Obj[], { ...atTheEdge, monitoring: { shadow_rate: 1 } }, {
      model: MODEL,
      env: { ORIGIN_URL: closed },
      // Open for the whole test: the half-open probe is not what this test is about.
      config: { origin: { breaker_failures: 2, breaker_open_ms: 600_000, breaker_unreachable_open_ms: 600_000 } },
    });
    const sent = requestsTo(closed);

    // The first check finds the origin refusing connections; its failures open the breaker.
    const [first] = await serve(gateway, 1);
    expect(first).toEqual({ variant: 'pruned50-int8', servedBy: 'edge' });
    expect(gateway.gw.plane!.metrics.series('gateway_shadow_skipped_total')).toEqual([{ labels: { model: MODEL, reason: 'failed' }, value: 1 }]);
    expect(await scraped(gateway, `gateway_origin_breaker_state{origin="${closed}"}`)).toBe(2);
    const atOpen = sent();
    expect(atOpen).toBeGreaterThanOrEqual(1);
    expect(await scraped(gateway, 'gateway_shadow_origin_calls_total{}')).toBe(1);

    // While it is open, every sampled check is skipped before it costs the origin anything.
    const answers = await serve(gateway, 5, 1);
    expect(answers).toEqual(Array.from({ length: 5 }, () => ({ variant: 'pruned50-int8', servedBy: 'edge' })));
    expect(skipped(gateway, 'origin_unavailable')).toBe(5);
    expect(sent()).toBe(atOpen);
    expect(await scraped(gateway, 'gateway_shadow_origin_calls_total{}')).toBe(1);
    expect(comparisons(gateway, 'pruned50-int8', 'served', 'origin')).toBe(0);
    expect(gateway.gw.plane!.metrics.total('nv_inference_request_success')).toBe(6);
  });
});
