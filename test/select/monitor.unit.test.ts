/**
 * What the selector does with the fidelity monitor's word (live state `held_variants`, the canary drawn for a
 * request as `prefer`): a held variant is dropped with the monitor's reason, a pin the data plane let through
 * still runs it, and a drawn canary is chosen when it is kept and meets the budget, never against the budget.
 */
import { describe, expect, it } from 'vitest';
import type { VariantFacts } from '../../src/select/facts.js';
import type { LiveState, SelectionInput } from '../../src/select/select.js';
import { selectRoute } from '../../src/select/select.js';

const MiB = 1024 * 1024;
const VARIANTS: readonly VariantFacts[] = [
  { name: 'fp32', fidelity: 1, accuracy: 0.97, edge_memory_bytes: 16 * MiB, fixed_ms: 2, per_item_ms: 0.5, load_ms: 10 },
  { name: 'int8', fidelity: 0.999, accuracy: 0.97, edge_memory_bytes: 16 * MiB, fixed_ms: 1, per_item_ms: 0.2, load_ms: 10 },
  { name: 'v2', fidelity: 0.999, accuracy: 0.97, edge_memory_bytes: 16 * MiB, fixed_ms: 1, per_item_ms: 0.2, load_ms: 10 },
];
const LIVE: LiveState = { origin_configured: false, origin_healthy: false, origin_rtt_ms: 40, unhealthy_variants: new Set(), loaded_variants: new Set(['fp32', 'int8', 'v2']), edge_queue_ms: 0 };

function route(over: Partial<SelectionInput> & { held?: Record<string, string>; slo?: number } = {}) {
  const { held, slo, ...rest } = over;
  return selectRoute({
    variants: VARIANTS,
    items: 1,
    request_bytes: 0,
    network: { rtt_ms: 0, downlink_mbps: 10, save_data: false, mobile: false, from_hints: [] },
    policy: { slo_ms: slo ?? 100, variants: ['*'], accuracy_floor: 0, save_data_fidelity_slack: 0.01, fidelity_tolerance: 0.002, edge_memory_budget_bytes: 96 * MiB, origin_enabled: false, edge_speed_factor: 1, origin_speed_factor: 0.5, origin_variant: 'fp32' },
    live: { ...LIVE, ...(held ? { held_variants: new Map(Object.entries(held)) } : {}) },
    ...rest,
  });
}

describe('the selector and the fidelity monitor', () => {
  const demoted = 'demoted: production agreement 0.81 (n=412, upper 0.84) < floor 0.95';

  it('drops a held variant with the monitor\'s reason, and chooses among the rest', () => {
    expect(route().variant).toBe('int8');
    const d = route({ held: { int8: demoted, v2: 'canary: serves its 5% share, every answer checked' } });
    expect(d.variant).toBe('fp32');
    expect(d.candidates.find((c) => c.variant === 'int8')).toMatchObject({ kept: false, why: demoted });
    expect(d.candidates.find((c) => c.variant === 'v2')).toMatchObject({ kept: false, why: 'canary: serves its 5% share, every answer checked' });
  });

  it('still runs a held variant the caller pinned (the data plane decides whether the pin is allowed)', () => {
    const d = route({ held: { int8: demoted }, pinned: 'int8' });
    expect(d).toMatchObject({ variant: 'int8', reason: 'pinned int8 at edge' });
  });

  it('chooses a drawn canary when it is kept and meets the budget, and says so', () => {
    const d = route({ held: { int8: demoted }, prefer: 'v2' });
    expect(d.variant).toBe('v2');
    expect(d.reason).toMatch(/^canary v2 at edge: in its share, answer checked against the reference \(predicted 1\.2 ms within 100 ms budget\)$/);
  });

  it('never chooses a drawn canary that misses the budget or is not kept', () => {
    expect(route({ prefer: 'v2', slo: 3, live: { ...LIVE, edge_queue_ms: 2.5 } }).variant).not.toBe('v2');
    expect(route({ prefer: 'v2', held: { v2: 'rolled back: …' } }).variant).toBe('int8');
  });
});
