/**
 * The profile consistency check on synthetic profiles: a consistent model passes, and each way a profile
 * measured under load gives itself away is flagged with a message naming the model, variant and numbers.
 */
import { describe, expect, it } from 'vitest';
import type { LatencyProfile, ModelManifest, VariantName } from '../../../src/registry/manifest.js';
import { checkProfiles, report } from '../../../tools/measure/consistency.js';
import { fitLatency } from '../../../tools/measure/stats.js';
import { readManifests } from '../../../tools/lib/manifests.js';

const ITEMS = [1, 2, 4, 8, 16, 32];

/** A profile from p50 per item count (p95 = 1.2 x p50 unless given), fit as the tools make it. */
function profile(p50: number[], extra: { p95?: number[]; mad?: number[] } = {}): LatencyProfile {
  const points = ITEMS.map((items, i) => ({ items, p50_ms: p50[i]!, p95_ms: extra.p95?.[i] ?? 1.2 * p50[i]!, runs: 30, ...(extra.mad ? { mad_ms: extra.mad[i]! } : {}) }));
  return { runtime: 'test', measured_at: '2026-01-01', machine: 'test', points, fit: fitLatency(points), load_ms: 10 };
}

const linear = (fixed: number, perItem: number) => ITEMS.map((n) => fixed + perItem * n);

function model(latency: Partial<Record<VariantName, LatencyProfile>>): ModelManifest {
  const variant = (l: LatencyProfile) => ({ file: 'x.onnx', bytes: 1, sha256: '0'.repeat(64), edge_memory_bytes: 1, latency: l, fidelity: { eval_set: 'x', samples: 1, max_abs_err: 0, mean_abs_err: 0, cosine: 1 }, method: 'x' });
  return {
    name: 'synthetic',
    version: '1',
    platform: 'onnx',
    description: 'x',
    synthetic: true,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 4] }],
    batch_axis: true,
    variants: Object.fromEntries(Object.entries(latency).map(([k, l]) => [k, variant(l!)])),
    provenance: {},
  };
}

const checks = (m: ModelManifest) => checkProfiles(m).map((w) => `${w.variant}:${w.check}`);

describe('the profile consistency check', () => {
  it('passes profiles that grow with items and keep their ratios to fp32', () => {
    expect(checkProfiles(model({ fp32: profile(linear(2, 1)), fp16: profile(linear(2, 0.7)), int8: profile(linear(1, 0.4)) }))).toEqual([]);
  });

  it('flags fp16 three times slower than fp32 at batch 1 but faster at batch 32', () => {
    const fp32 = linear(2, 1);
    const fp16 = fp32.map((ms, i) => ms * (i === 0 ? 3.2 : 0.9));
    const w = checkProfiles(model({ fp32: profile(fp32), fp16: profile(fp16) }));
    const flip = w.find((x) => x.check === 'ratio_flip');
    expect(flip?.message).toMatch(/^synthetic\/fp16: 3\.2x slower than fp32 at 1 items but 1\.1x faster than fp32 at \d+/);
  });

  it('flags latency that falls with more items beyond noise, and not within it', () => {
    const bumpy = [10, 6, 8, 14, 26, 50];
    expect(checks(model({ fp32: profile(bumpy) }))).toContain('fp32:non_monotonic');
    // The same drop with 3 ms of MAD on the points is noise.
    expect(checks(model({ fp32: profile(bumpy, { mad: [3, 3, 3, 3, 3, 3] }) }))).not.toContain('fp32:non_monotonic');
    // A 10% dip is within the tolerance.
    expect(checks(model({ fp32: profile([10, 9, 12, 18, 30, 54]) }))).toEqual([]);
  });

  it('flags a fit with a negative fixed cost', () => {
    const w = checkProfiles(model({ fp32: profile([1, 2, 4, 8, 16, 32], { p95: [1, 2, 4, 8, 40, 90] }) }));
    expect(w.map((x) => x.check)).toContain('negative_cost');
    expect(w.find((x) => x.check === 'negative_cost')?.message).toMatch(/synthetic\/fp32: fit has a negative fixed cost \(-\d/);
  });

  it('flags a p95 far above its p50 as a burst of outside load', () => {
    const p50 = linear(2, 1);
    const p95 = p50.map((ms, i) => (i === 3 ? ms * 6 : ms * 1.2));
    expect(checks(model({ fp32: profile(p50, { p95 }) }))).toContain('fp32:tail_burst');
  });

  it('reports the shipped manifests one warning per line, each naming its model and variant', () => {
    const manifests = readManifests('models');
    const { warnings, lines } = report(manifests);
    expect(lines).toHaveLength(warnings.length ? warnings.length + 1 : 1);
    for (const w of warnings) expect(w.message.startsWith(`${w.model}/${w.variant}: `)).toBe(true);
  });
});
