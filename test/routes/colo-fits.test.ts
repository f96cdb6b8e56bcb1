/**
 * Fleet fits per colo: the feedback Tail Worker publishes a fit per Cloudflare colo next to the fleet-wide
 * one; an isolate (which lives in one colo, `request.cf.colo`) predicts its edge runs from its colo's fit,
 * and from the fleet-wide fit where its colo has none.
 */
import { createExecutionContext, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { buildGateway } from '../../src/worker.js';

const learned = {
  published_at: '2026-12-01T00:00:00Z',
  source: 'test',
  models: { mnist: { fp32: { fixed_ms: 5, per_item_ms: 1, samples: 40, colos: { AMS: { fixed_ms: 50, per_item_ms: 10, samples: 40 } } } } },
};
const testEnv = { ...env, GATEWAY_CONFIG: { ...(env.GATEWAY_CONFIG as Record<string, unknown>), learned } } as Env;

/** explain's predicted compute of mnist fp32 at the edge for one item, from a fresh isolate in `colo`. */
async function fp32Compute(colo?: string): Promise<number> {
  const gateway = buildGateway(testEnv);
  const init: RequestInit & { cf?: unknown } = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mnist', slo_ms: 1000, items: 1 }) };
  if (colo) init.cf = { colo };
  const res = await gateway.fetch(new Request('http://gateway.test/admin/explain', init), testEnv, createExecutionContext());
  expect(res.status).toBe(200);
  const body = (await res.json()) as { decision: { candidates: { target: string; variant: string; compute_ms: number }[] } };
  return body.decision.candidates.find((c) => c.target === 'edge' && c.variant === 'fp32')!.compute_ms;
}

describe('fleet fits per colo', () => {
  it("predicts from the isolate's colo fit, and from the fleet-wide fit elsewhere", async () => {
    expect(await fp32Compute('AMS')).toBeCloseTo(60, 0);
    expect(await fp32Compute('SIN')).toBeCloseTo(6, 0);
    expect(await fp32Compute()).toBeCloseTo(6, 0);
  });
});
