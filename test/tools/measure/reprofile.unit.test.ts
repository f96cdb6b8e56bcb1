/**
 * How `npm run profiles:measure` derives its measuring plan from a committed profile: the same item counts,
 * per-item shapes, image sizes or sequence length the compressor and the model builders measured with, so a
 * re-measured profile is the same kind of profile.
 */
import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import type { LatencyProfile, ModelManifest, VariantName } from '../../../src/registry/manifest.js';
import { latencyShapes } from '../../../tools/compress/data/shapes.js';
import { readManifests } from '../../../tools/lib/manifests.js';
import { reprofilePlan } from '../../../tools/measure/reprofile.js';

const WASM = 'onnxruntime-web 1.30.0 wasm simd 1 thread';

function profile(note: string, items: number[], item?: LatencyProfile['item'], runs = 20): LatencyProfile {
  const points = items.map((n) => ({ items: n, p50_ms: n, p95_ms: n * 1.1, runs }));
  return { ...(item ? { item } : {}), runtime: `${WASM}${note}`, measured_at: '2026-01-01', machine: 'test', points, fit: { fixed_ms: 0, per_item_ms: 1.1 }, load_ms: 10 };
}

function model(inputs: TensorSpec[], latency: Partial<Record<VariantName, LatencyProfile>>, provenance: Record<string, unknown> = {}): ModelManifest {
  const variant = (name: string, l: LatencyProfile) => ({
    file: `${name}.onnx`, bytes: 1, sha256: '0'.repeat(64), edge_memory_bytes: 1, latency: l,
    fidelity: { eval_set: 'x', samples: 1, max_abs_err: 0, mean_abs_err: 0, cosine: 1 }, method: 'x',
    ...(name === 'int8w' ? { load: { fold_dequantize: true } } : {}),
  });
  return {
    name: 'm', version: '1', platform: 'onnx', description: 'x', synthetic: true, inputs,
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 4] }], batch_axis: true,
    variants: Object.fromEntries(Object.entries(latency).map(([k, l]) => [k, variant(k, l!)])), provenance,
  };
}

const TOKENS: TensorSpec[] = [
  { name: 'input_ids', datatype: 'INT64', shape: [-1, -1] },
  { name: 'attention_mask', datatype: 'INT64', shape: [-1, -1] },
];
const IMAGE: TensorSpec[] = [{ name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] }];

describe('the plan that re-measures a committed profile', () => {
  it('measures a compressed model at its batch sizes with the per-item shapes the compressor used', () => {
    const latency = latencyShapes(TOKENS, { shapes: { input_ids: [1, 32], attention_mask: [1, 32] }, batches: [1, 2, 4, 8] });
    const p = profile(latency.note, [1, 2, 4, 8], latency.item);
    const plan = reprofilePlan(model(TOKENS, { int8w: p, fp32: p }, { source: { config: { vocab: 8192 } } }));
    expect(plan.shapes).toEqual(latency.shapes);
    expect(plan).toMatchObject({ batches: [1, 2, 4, 8], seq: 1, intHigh: 8192, runtimeNote: latency.note, item: latency.item, runs: 20 });
    // fp32 first, and each variant opened as the gateway opens it.
    expect(plan.variants).toEqual([{ name: 'fp32', file: 'fp32.onnx' }, { name: 'int8w', file: 'int8w.onnx', load: { fold_dequantize: true } }]);
  });

  it('measures a model profiled by image size at batch 1 at the same sizes, and refuses other batches', () => {
    const latency = latencyShapes(IMAGE, { shapes: { x: [1, 3, 320, 320] }, batches: [1], sizes: [[160, 160], [320, 320], [640, 640]] });
    const m = model(IMAGE, { fp32: profile(latency.note, [25, 100, 400], latency.item) });
    const plan = reprofilePlan(m);
    expect(plan.shapes).toEqual(latency.shapes);
    expect(plan.batches).toEqual([25, 100, 400]);
    expect(() => reprofilePlan(m, { batches: [1, 2] })).toThrow(/by image size; --batches does not apply/);
  });

  it('measures a generated transformer at its sequence length, ids below the vocabulary its provenance records', () => {
    const note = ', seq 32 (items = sequences of 32 tokens)';
    const plan = reprofilePlan(model(TOKENS, { fp32: profile(note, [1, 2, 4], undefined, 6) }, { config: { vocab: 30522 } }));
    expect(plan).toMatchObject({ batches: [1, 2, 4], seq: 32, intHigh: 30522, runs: 6, runtimeNote: note });
    expect(plan.shapes).toBeUndefined();
  });

  it('feeds an input the values the compressor recorded for it (a VAD\'s sample rate), not ids below a vocabulary', () => {
    const inputs: TensorSpec[] = [{ name: 'input', datatype: 'FP32', shape: [1, 512] }, { name: 'sr', datatype: 'INT64', shape: [] }];
    const fixed = profile(', the model fixes its batch to 1: profiled at that batch only', [1]);
    const plan = reprofilePlan(model(inputs, { fp32: fixed }, { input_domains: { sr: { values: [8000, 16000] } } }));
    expect(plan.domains).toEqual({ sr: { values: [8000, 16000] } });
    expect(() => reprofilePlan(model(inputs, { fp32: fixed }))).toThrow(/INT64 inputs and no vocabulary/);
  });

  it('takes more runs and other batch sizes when asked, keeping the per-item shapes', () => {
    const latency = latencyShapes([{ name: 'input', datatype: 'FP32', shape: [-1, 784] }], { shapes: {}, batches: [1, 2] });
    const m = model([{ name: 'input', datatype: 'FP32', shape: [-1, 784] }], { fp32: profile(latency.note, [1, 2], latency.item) });
    const plan = reprofilePlan(m, { runs: 500, batches: [1, 64] });
    expect(plan.runs).toBe(500);
    expect(plan.shapes).toEqual([{ items: 1, dims: { input: [1, 784] } }, { items: 64, dims: { input: [64, 784] } }]);
  });

  it('refuses what it cannot re-measure the same way, naming why', () => {
    const note = ', seq 32 (items = sequences of 32 tokens)';
    expect(() => reprofilePlan(model(TOKENS, { fp32: profile(note, [1, 2]) }))).toThrow(/no vocabulary in provenance; give --int-high/);
    expect(() => reprofilePlan(model(TOKENS, { fp32: profile(note, [1, 2]), fp16: profile(note, [1, 2, 4]) }, { config: { vocab: 8 } }))).toThrow(/m\/fp16: .*cannot be interleaved/);
    const native = { ...profile(note, [1]), runtime: 'onnxruntime-node 1.30.0 cpu' };
    expect(() => reprofilePlan(model(TOKENS, { fp32: native }))).toThrow(/not an onnxruntime-web WASM profile/);
  });

  it('has a plan for every shipped model', () => {
    for (const m of readManifests('models')) expect(reprofilePlan(m).variants.map((v) => v.name)).toEqual(Object.keys(m.variants).sort((a, b) => Number(b === 'fp32') - Number(a === 'fp32')));
  });
});
