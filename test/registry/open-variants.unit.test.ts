/**
 * Variants are an open set: a model's variant may have any name (the compressor writes fp32, fp16, int8,
 * int8w and pruned or distilled ones; ops may add others), with facts saying how it was made. The manifest
 * takes them, config lists take `*` for "every variant", the router, the device tier and Triton's model
 * config see them, and a config naming a variant no model has is said at start.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { unknownVariants } from '../../src/config/variant-list.js';
import { inListOrder, listsVariant } from '../../src/lib/variant-list.js';
import { modelConfig } from '../../src/protocol/model-config.js';
import { ModelManifest } from '../../src/registry/manifest.js';
import { variantFacts } from '../../src/select/facts.js';
import { selectRoute, type LiveState, type SelectionPolicy } from '../../src/select/select.js';
import { readManifests } from '../../tools/lib/manifests.js';
import { variantColour } from '../../routes/dashboard/chart.js';
import { madeText } from '../../routes/dashboard/models.js';

const cls = readManifests('models').find((m) => m.name === 'ppocr-cls')!;
/** ppocr-cls with a structured-pruned variant: int8's file, a third of its latency, 98% agreement, its facts stated. */
const int8 = cls.variants.int8!;
const withPruned = ModelManifest.parse({
  ...cls,
  variants: {
    ...cls.variants,
    'pruned50-int8': {
      ...int8,
      file: 'pruned50-int8.onnx',
      fidelity: { ...int8.fidelity, top1_agreement: 0.98, accuracy: undefined },
      latency: { ...int8.latency, fit: { fixed_ms: int8.latency.fit.fixed_ms / 3, per_item_ms: int8.latency.fit.per_item_ms / 3 } },
      made: { precision: 'int8', base: 'fp32', pruning: { ratio: 0.5, units: 'hidden neurons', removed: 64 }, macs_ratio: 0.5 },
    },
  },
});

describe('open variant names', () => {
  it('takes any well-formed variant name with its facts, and refuses a malformed one', () => {
    expect(Object.keys(withPruned.variants)).toContain('pruned50-int8');
    expect(withPruned.variants['pruned50-int8']!.made?.pruning?.ratio).toBe(0.5);
    const bad = ModelManifest.safeParse({ ...cls, variants: { ...cls.variants, 'Pruned 50': int8 } });
    expect(bad.success).toBe(false);
  });

  it('reads `*` in a variant list as every variant not named before it, in the model\'s order', () => {
    const names = Object.keys(withPruned.variants);
    expect(inListOrder(['*'], names)).toEqual(names);
    expect(inListOrder(['int8', '*'], names)).toEqual(['int8', ...names.filter((n) => n !== 'int8')]);
    expect(inListOrder(['int8', 'nope', 'fp32'], names)).toEqual(['int8', 'fp32']);
    expect(listsVariant(['*'], 'pruned50-int8')).toBe(true);
    expect(listsVariant(['int8'], 'pruned50-int8')).toBe(false);
  });

  it('routes to a new variant under the default policy when it is the best candidate', () => {
    const config = parseConfig({});
    expect(config.policy.variants).toEqual(['*']);
    const policy: SelectionPolicy = { ...config.policy, edge_speed_factor: 1, origin_speed_factor: 0.5, origin_variant: 'fp32', fidelity_tolerance: 0.01 };
    const live: LiveState = { origin_configured: false, origin_healthy: false, origin_rtt_ms: 40, unhealthy_variants: new Set(), loaded_variants: new Set(Object.keys(withPruned.variants)), edge_queue_ms: 0 };
    const route = (slo_ms: number) => selectRoute({ variants: variantFacts(withPruned), items: 1, request_bytes: 1000, network: { rtt_ms: 0, downlink_mbps: 1000, save_data: false, mobile: false, from_hints: [] }, policy: { ...policy, slo_ms }, live });
    // With room for all, a more faithful variant wins; with a budget only the pruned variant meets, it runs.
    const roomy = route(10_000);
    expect(roomy.candidates.filter((c) => c.kept).map((c) => c.variant)).toContain('pruned50-int8');
    expect(roomy.variant).not.toBe('pruned50-int8');
    const predicted = (v: string) => roomy.candidates.find((c) => c.variant === v)!.predicted_ms;
    const others = Math.min(...roomy.candidates.filter((c) => c.variant !== 'pruned50-int8').map((c) => c.predicted_ms));
    const tight = route(10_000 - roomy.budget_ms + (predicted('pruned50-int8') + others) / 2);
    expect(tight.variant).toBe('pruned50-int8');
    expect(tight.reason).toMatch(/^pruned50-int8 at edge/);
  });

  it("lists it in Triton's model config as one of the variants the router may choose", () => {
    const cfg = modelConfig(withPruned, { ...parseConfig({}).policy, priority_levels: 2, default_priority_level: 2 } as never, 'edge');
    expect(cfg.parameters.variants!.string_value.split(',')).toContain('pruned50-int8');
  });

  it('says at start which configured variant names no model has', () => {
    const config = parseConfig({ policy: { variants: ['int8', 'fp8'] }, models: { 'ppocr-cls': { variants: ['pruned50-int8', 'int4'] } }, edge: { warm: ['ppocr-cls/int3'] } });
    expect(unknownVariants(config, [withPruned])).toEqual([
      "policy.variants: 'fp8' is not a variant of any model (variants: fp32, fp16, int8, int8w, pruned50-int8)",
      "edge.warm: 'int3' is not a variant of ppocr-cls (variants: fp32, fp16, int8, int8w, pruned50-int8)",
      "models.ppocr-cls.variants: 'int4' is not a variant of ppocr-cls (variants: fp32, fp16, int8, int8w, pruned50-int8)",
    ]);
    expect(unknownVariants(parseConfig({}), [withPruned])).toEqual([]);
  });

  it('is drawn on the dashboard with its facts and a colour of its own', () => {
    expect(madeText(withPruned.variants['pruned50-int8']!.made!)).toBe('pruned 50% (64 hidden neurons) · from fp32 · int8 · 0.50x MACs');
    expect(variantColour('pruned50-int8')).toMatch(/^hsl\(\d+, 60%, 42%\)$/);
    expect(variantColour('pruned50-int8')).toBe(variantColour('pruned50-int8'));
    expect(variantColour('int8')).toBe('#1d7a46');
  });
});
