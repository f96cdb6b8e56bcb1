/**
 * Shadow checks inside workerd with the real engine: a variant whose answers disagree with the reference (the
 * reference's own file with its weights shuffled, written to R2 by the test: see broken-variant.ts) is checked
 * after each answer is sent, in `waitUntil`, demoted once the evidence is sure, shown as such in
 * /admin/variants, explain and /metrics, and re-admitted when an operator clears it; the same file as a canary
 * is rolled back within a few of its answers, and only callers its config names may pin it.
 */
import { waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { buildGateway } from '../../src/worker.js';
import { brokenCatalog, digitsBody, gatewayWith } from './gateway.js';

const comparisons = (gw: ReturnType<typeof buildGateway>, variant: string, role: string) => gw.plane!.metrics.counter('gateway_shadow_comparisons_total', { model: 'mnist', variant, reference: 'edge', role });

describe('shadow checks and demotion', () => {
  it('checks answers after they are sent, demotes a variant that disagrees with the reference, and re-admits it when cleared', async () => {
    const { gw, call, kv } = gatewayWith(await brokenCatalog(), { variants: ['shuffled', 'int8'], monitoring: { floor: 0.95, shadow_rate: 1, min_samples: 20 } });
    // The first answer is sent before its shadow check has run; the check completes in waitUntil.
    let atAnswer = -1;
    const first = await call('POST', '/v2/models/mnist/infer', digitsBody(0), {}, () => (atAnswer = comparisons(gw, 'shuffled', 'served')));
    expect(first.res.status, first.text).toBe(200);
    expect(first.res.headers.get('x-model-variant')).toBe('shuffled');
    expect(atAnswer).toBe(0);
    await waitOnExecutionContext(first.ctx);
    expect(comparisons(gw, 'shuffled', 'served')).toBe(1);

    // Four digits a request: sure after a handful of requests, and then never chosen.
    let served = 1;
    for (let i = 1; i < 20; i++) {
      const r = await call('POST', '/v2/models/mnist/infer', digitsBody(i * 4));
      await waitOnExecutionContext(r.ctx);
      if (r.res.headers.get('x-model-variant') === 'shuffled') served++;
      else {
        expect(r.res.headers.get('x-model-variant')).toBe('int8');
        break;
      }
    }
    expect(served).toBeGreaterThanOrEqual(5);
    expect(served).toBeLessThanOrEqual(8);
    // Shadow work is not caller traffic: the caller's counters count the caller's requests only.
    expect(gw.plane!.metrics.total('nv_inference_request_success')).toBe(served + 1);

    const variants = JSON.parse((await call('GET', '/admin/variants?model=mnist')).text);
    const watch = variants.models.mnist.find((v: { variant: string }) => v.variant === 'shuffled');
    // Its evidence starts afresh at the demotion (the answer after it probed the variant once).
    expect(watch).toMatchObject({ state: 'demoted', offline: 1, floor: 0.95, isolate: { status: 'unsure' } });
    expect(watch.reason).toMatch(/^demoted: production agreement 0(\.\d+)? \(n=\d+, upper 0\.\d+\) < floor 0\.95$/);
    expect(variants.events.at(-1)).toMatchObject({ model: 'mnist', variant: 'shuffled', from: 'active', to: 'demoted' });
    const explained = JSON.parse((await call('POST', '/admin/explain', { model: 'mnist' })).text);
    expect(explained.decision.candidates.find((c: { variant: string }) => c.variant === 'shuffled')).toMatchObject({ kept: false, why: watch.reason });
    expect(explained.monitor.find((v: { variant: string }) => v.variant === 'shuffled').state).toBe('demoted');
    const metrics = (await call('GET', '/metrics')).text;
    expect(metrics).toMatch(/gateway_variant_state\{model="mnist",state="demoted",variant="shuffled"\} 1/);
    expect(metrics).toMatch(/gateway_variant_fidelity\{model="mnist",source="offline",variant="shuffled"\} 1/);
    expect(metrics).toMatch(/gateway_shadow_comparisons_total\{model="mnist",reference="edge",role="served",variant="shuffled"\} [5-8]/);

    // The dashboard says why, and draws production against offline over time with the floor.
    const page = (await call('GET', '/dashboard')).text;
    const card = page.slice(page.indexOf('id="fidelity-mnist"'), page.indexOf('</section>', page.indexOf('id="fidelity-mnist"')));
    expect(card).toMatch(/<tr data-variant="shuffled" data-state="demoted">/);
    expect(card).toContain(watch.reason.replace('<', '&lt;'));
    expect(card).toMatch(/<svg[^>]*data-chart="fidelity"/);
    expect(card).toMatch(/data-floor="0.95"/);
    expect(page).toMatch(/<tr data-to="demoted">/);

    // Answers of int8 keep being checked; the demoted variant is probed on the same inputs for fresh evidence.
    const next = await call('POST', '/v2/models/mnist/infer', digitsBody(100));
    await waitOnExecutionContext(next.ctx);
    expect(comparisons(gw, 'int8', 'served')).toBeGreaterThanOrEqual(1);
    expect(comparisons(gw, 'shuffled', 'probe')).toBeGreaterThanOrEqual(1);

    // An operator clears it: back in routing here at once, and recorded in KV for every isolate.
    const cleared = await call('POST', '/admin/variants/mnist/shuffled/clear');
    expect(cleared.res.status, cleared.text).toBe(200);
    expect(JSON.parse(cleared.text)).toMatchObject({ variant: 'shuffled', fleet: 'recorded', standing: { state: 'active', reason: 'cleared by an operator' } });
    expect(JSON.parse((await kv.get('policy'))!).models.mnist.monitoring.cleared.shuffled).toMatch(/^\d{4}-/);
    const again = await call('POST', '/v2/models/mnist/infer', digitsBody(120));
    await waitOnExecutionContext(again.ctx);
    expect(again.res.headers.get('x-model-variant')).toBe('shuffled');
    expect((await call('POST', '/admin/variants/mnist/fp64/clear')).res.status).toBe(400);
  });
});

describe('canary rollout', () => {
  it('rolls a broken canary back within a few of its answers, and lets only named callers pin it', async () => {
    const models = await brokenCatalog();
    const { gw, call } = gatewayWith(models, { variants: ['*'], monitoring: { floor: 0.95, shadow_rate: 0, min_samples: 12 }, canary: { variant: 'shuffled', share: 0.25, min_samples: 100 } });
    const pin = await call('POST', '/v2/models/mnist/infer', digitsBody(0), { 'x-model-variant': 'shuffled' });
    expect(pin.res.status).toBe(400);
    expect(JSON.parse(pin.text).error).toMatch(/is a canary: only the callers its canary config names may pin it/);
    let canary = 0;
    let total = 0;
    for (; total < 200 && gw.plane!.metrics.counter('gateway_variant_transitions_total', { model: 'mnist', variant: 'shuffled', to: 'rolled_back' }) === 0; total++) {
      const r = await call('POST', '/v2/models/mnist/infer', digitsBody(total % 40));
      await waitOnExecutionContext(r.ctx);
      expect(r.res.status).toBe(200);
      if (r.res.headers.get('x-model-variant') === 'shuffled') {
        canary++;
        expect(r.res.headers.get('x-route-reason')).toMatch(/^canary shuffled at edge: in its share/);
      }
    }
    // Twelve samples (three canary answers of four digits) decide it.
    expect(canary).toBe(3);
    expect(comparisons(gw, 'shuffled', 'canary')).toBe(3);
    const variants = JSON.parse((await call('GET', '/admin/variants?model=mnist')).text);
    expect(variants.models.mnist.find((v: { variant: string }) => v.variant === 'shuffled')).toMatchObject({ state: 'rolled_back' });
    expect(variants.events.map((e: { to: string }) => e.to)).toEqual(['rolled_back']);
    for (let i = 0; i < 20; i++) {
      const r = await call('POST', '/v2/models/mnist/infer', digitsBody(i));
      expect(r.res.headers.get('x-model-variant')).not.toBe('shuffled');
    }
  });
});
