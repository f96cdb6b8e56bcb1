/**
 * selectRoute with what the isolate learned: learned compute replaces the manifest's, the manifest value
 * stays visible for comparison, and the waits ahead (batch formation at the edge, calls in flight at the
 * origin) are part of the prediction. Selection stays pure: estimates come in, nothing is mutated.
 */
import { describe, expect, it } from 'vitest';
import type { VariantFacts } from '../../src/select/facts.js';
import type { LearnedEstimates, SelectionInput } from '../../src/select/select.js';
import { selectRoute } from '../../src/select/select.js';

const MiB = 1024 * 1024;
const VARIANTS: readonly VariantFacts[] = [
  { name: 'fp32', fidelity: 1, accuracy: 0.97, edge_memory_bytes: 16 * MiB, fixed_ms: 100, per_item_ms: 10, load_ms: 10 },
  { name: 'fp16', fidelity: 0.998, accuracy: 0.97, edge_memory_bytes: 16 * MiB, fixed_ms: 160, per_item_ms: 1, load_ms: 10 },
  { name: 'int8', fidelity: 0.98, accuracy: 0.96, edge_memory_bytes: 16 * MiB, fixed_ms: 20, per_item_ms: 5, load_ms: 10 },
];

function input(over: Partial<SelectionInput> = {}, live: Partial<SelectionInput['live']> = {}): SelectionInput {
  return {
    variants: VARIANTS,
    items: 1,
    request_bytes: 0,
    network: { rtt_ms: 10, downlink_mbps: 100, save_data: false, mobile: false, from_hints: [] },
    policy: {
      slo_ms: 100,
      variants: ['fp32', 'fp16', 'int8'],
      accuracy_floor: 0,
      save_data_fidelity_slack: 0.01,
      edge_memory_budget_bytes: 96 * MiB,
      origin_enabled: true,
      edge_speed_factor: 1,
      origin_speed_factor: 0.5,
      origin_variant: 'fp32',
    },
    live: { origin_configured: true, origin_healthy: true, origin_rtt_ms: 40, unhealthy_variants: new Set(), loaded_variants: new Set(['fp32', 'fp16', 'int8']), edge_queue_ms: 0, ...live },
    ...over,
  };
}

const est = (fixed_ms: number, per_item_ms: number, observations = 50, tail = 0) => ({ fixed_ms, per_item_ms, tail, observations });

describe('selectRoute with learned estimates', () => {
  it('predicts from the manifest without estimates, and says so (0 observations)', () => {
    const d = selectRoute(input());
    const fp16 = d.candidates.find((c) => c.variant === 'fp16' && c.target === 'edge')!;
    expect(fp16).toMatchObject({ compute_ms: 161, manifest_ms: 161, observations: 0, predicted_ms: 161, kept: true });
    expect(d.variant).toBe('int8');
  });

  it('uses the learned compute: fp16 learned 6x faster than its profile becomes the choice', () => {
    const estimates: LearnedEstimates = { edge: { fp16: est(26, 0.5) } };
    const d = selectRoute(input({ estimates }));
    const fp16 = d.candidates.find((c) => c.variant === 'fp16' && c.target === 'edge')!;
    expect(fp16).toMatchObject({ compute_ms: 26.5, manifest_ms: 161, observations: 50, predicted_ms: 26.5 });
    expect(d).toMatchObject({ target: 'edge', variant: 'fp16' });
  });

  it('adds the tail margin to what is compared with the budget, not to the compute it reports', () => {
    const estimates: LearnedEstimates = { edge: { fp32: est(40, 10, 50, 0.5) }, tail_weight: 1 };
    const fp32 = selectRoute(input({ estimates })).candidates.find((c) => c.variant === 'fp32' && c.target === 'edge')!;
    expect(fp32.compute_ms).toBe(50);
    expect(fp32.predicted_ms).toBe(75);
  });

  it('learns the origin apart from the edge: its compute replaces profile x origin speed factor', () => {
    const estimates: LearnedEstimates = { origin: { fp32: est(2, 1) } };
    const origin = selectRoute(input({ estimates })).candidates.find((c) => c.target === 'origin')!;
    expect(origin).toMatchObject({ compute_ms: 3, manifest_ms: 55, predicted_ms: 43 });
  });

  it('adds the batch formation wait of an idle engine, never past the budget', () => {
    const policy = { ...input().policy, batch_wait_ms: 2 };
    const int8 = (d: ReturnType<typeof selectRoute>) => d.candidates.find((c) => c.variant === 'int8' && c.target === 'edge')!;
    expect(int8(selectRoute(input({ policy }))).predicted_ms).toBe(27);
    // Work already queued made it wait: the engine does not wait again for company.
    expect(int8(selectRoute(input({ policy }, { edge_queue_ms: 5 }))).predicted_ms).toBe(30);
    // A budget of 26 ms (36 ms SLO - 10 ms network) leaves 1 ms of slack: the wait is cut to it.
    expect(int8(selectRoute(input({ policy: { ...policy, slo_ms: 36 } }))).predicted_ms).toBe(26);
  });

  it('adds the origin calls in flight to the origin candidate and says so', () => {
    const d = selectRoute(input({}, { origin_queue_ms: 30 }));
    const origin = d.candidates.find((c) => c.target === 'origin')!;
    expect(origin.predicted_ms).toBe(125);
    expect(origin.why).toBe('~40 ms round trip, ~30 ms behind calls in flight');
  });

  it('does not mutate the estimates it is given', () => {
    const estimates: LearnedEstimates = Object.freeze({ edge: Object.freeze({ fp16: Object.freeze(est(26, 0.5)) }) });
    expect(() => selectRoute(input({ estimates }))).not.toThrow();
    expect(selectRoute(input({ estimates }))).toEqual(selectRoute(input({ estimates })));
  });
});
