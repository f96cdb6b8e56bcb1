/**
 * The router treats int8w like any variant, on its measured fidelity: the committed PaddleOCR manifests, where
 * int8 was dropped below its floor (det) or is more faithful than int8w (rec), decide which one runs.
 */
import { describe, expect, it } from 'vitest';
import { variantFacts } from '../../src/select/facts.js';
import type { LiveState, SelectionPolicy } from '../../src/select/select.js';
import { selectRoute } from '../../src/select/select.js';
import { PRECISIONS } from '../../src/registry/manifest.js';
import { readManifests } from '../../tools/lib/manifests.js';

const MiB = 1024 * 1024;
const models = new Map(readManifests('models').map((m) => [m.name, m]));
const POLICY: SelectionPolicy = {
  slo_ms: 60_000, variants: [...PRECISIONS], accuracy_floor: 0, save_data_fidelity_slack: 0.01, fidelity_tolerance: 0.0005,
  edge_memory_budget_bytes: 96 * MiB, origin_enabled: false, edge_speed_factor: 1, origin_speed_factor: 0.5, origin_variant: 'fp32',
};
const LIVE: LiveState = { origin_configured: false, origin_healthy: false, origin_rtt_ms: 40, unhealthy_variants: new Set(), loaded_variants: new Set(PRECISIONS), edge_queue_ms: 0 };

function decide(model: string, policy: Partial<SelectionPolicy>, items = 1) {
  const m = models.get(model)!;
  expect(m.variants.int8w, `${model} has an int8w variant (npm run models:int8w)`).toBeDefined();
  return selectRoute({ variants: variantFacts(m), items, request_bytes: 1000, network: { rtt_ms: 0, downlink_mbps: 1000, save_data: false, mobile: false, from_hints: [] }, policy: { ...POLICY, ...policy }, live: LIVE });
}

describe('routing with int8w', () => {
  it('serves int8w where the compressor dropped int8 below its floor (ppocr-det, fp32 and fp16 not allowed at the edge)', () => {
    const det = models.get('ppocr-det')!;
    expect(det.variants.int8).toBeUndefined();
    expect(det.provenance['dropped_variants']).toEqual([expect.objectContaining({ variant: 'int8' })]);
    const d = decide('ppocr-det', { variants: ['int8', 'int8w'] }, 400);
    expect(d.variant).toBe('int8w');
    expect(d.reason).toMatch(/int8w at edge/);
  });

  it('drops int8w below an accuracy floor above its fidelity, for fp16 (ppocr-det, floor 0.95)', () => {
    const det = models.get('ppocr-det')!;
    expect(det.variants.int8w!.fidelity.cosine).toBeLessThan(0.95);
    const d = decide('ppocr-det', { variants: ['fp16', 'int8w'], accuracy_floor: 0.95 }, 400);
    expect(d.variant).toBe('fp16');
    const int8w = d.candidates.find((c) => c.variant === 'int8w')!;
    expect(int8w.kept).toBe(false);
    expect(int8w.why).toMatch(/floor/);
  });

  it('prefers int8 where int8w measured less faithful (ppocr-rec), unless only int8w fits', () => {
    const rec = models.get('ppocr-rec')!;
    expect(rec.variants.int8w!.fidelity.top1_agreement!).toBeLessThan(rec.variants.int8!.fidelity.top1_agreement! - 0.0005);
    expect(decide('ppocr-rec', { variants: ['int8', 'int8w'] }).variant).toBe('int8');
    expect(decide('ppocr-rec', { variants: ['int8w', 'fp32'], edge_memory_budget_bytes: 40 * MiB }).variant).toBe('int8w');
  });
});
