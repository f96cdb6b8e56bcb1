/**
 * The compressor on models shaped like the real-world exports of issue #11, end to end through `compress()`
 * with a short configuration: weights inside If/Loop subgraphs, an unused `ai.onnx.ml` import, a batch
 * fixed to 1, the guards of an audio front-end, and `--only fp32` on a model with nothing to compress.
 * Every variant written is then run again in onnxruntime-web (the probe's child process) and must match
 * fp32 as its manifest claims, on the pipeline's own evaluation set and on inputs chosen to hit each case.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelManifest, VariantName } from '../../../src/registry/manifest.js';
import { compareOutputs } from '../../../tools/measure/stats.js';
import { encodeModel, readModel } from '../../../tools/onnx/io.js';
import { allGraphs, allNodes } from '../../../tools/onnx/scopes.js';
import { DataType, type ModelProto } from '../../../tools/onnx/types.js';
import { randomFeeds, type Feeds } from '../../../tools/compress/data/feeds.js';
import { compress, type CompressOptions } from '../../../tools/compress/pipeline.js';
import { resolveShapes } from '../../../tools/compress/data/shapes.js';
import { replayCompressed } from '../../../tools/setup/replay.js';
import { noWeightsNet } from './graphs.js';
import { controlFlowNet, declaredDomainsNet, fixedBatchNet, guardsNet, LOUD, QUIET, WIDTH } from './hard-graphs.js';
import { runWeb } from './web-run.js';
import { serveEachVariant } from './serve-check.js';

let dir: string;
const manifests: Record<string, ModelManifest> = {};

function options(name: string, m: ModelProto, extra: Partial<CompressOptions> = {}): CompressOptions {
  const input = join(dir, `${name}.onnx`);
  writeFileSync(input, encodeModel(m));
  return {
    input, name, modelsDir: join(dir, 'models'), exclude: [], autoExclude: false, maxExclude: 0, forms: ['dynamic-matmul'], shapes: {}, batches: [1, 4],
    samples: 16, seed: 7, task: 'embedding', intHigh: 2, inputRange: [0, 1], runs: 6, warmup: 1, budgetMs: 200, ignoreWeights: false, command: 'test', ...extra,
  };
}

/** Every written variant of a model run in onnxruntime-web on each feed set: outputs[variant][feed set]. */
function web(name: string, feeds: Feeds[]): Record<string, Float32Array[]> {
  const variants = Object.entries(manifests[name]!.variants);
  const outs = runWeb(variants.map(([, v]) => join(dir, 'models', name, v.file)), feeds, join(dir, 'web-run.json'));
  return Object.fromEntries(variants.map(([variant], i) => [variant, outs[i]!]));
}

/** The pipeline's own evaluation set (seeded random inputs), rebuilt. */
const evalSet = (name: string, samples: number) => {
  const inputs = manifests[name]!.inputs;
  return randomFeeds(inputs, resolveShapes(inputs, {}, samples), 7, { lo: 0, hi: 1, intHigh: 2 });
};
const rows = (width: number, values: number[][]): Feeds => ({ x: { type: 'float32', dims: [values.length, width], data: Float32Array.from(values.flat()) } });

/**
 * Every variant reproduces its claimed fidelity in onnxruntime-web on the evaluation set, and stays as close
 * on `probes` (inputs chosen to hit branches and bounds); returns all outputs for further checks.
 */
function checkClaims(name: string, samples: number, width: number, probes: Feeds[], classifier = false): Record<string, Float32Array[]> {
  const m = manifests[name]!;
  const outs = web(name, [evalSet(name, samples), ...probes]);
  const [reference, ...probed] = outs['fp32']!;
  for (const [variant, v] of Object.entries(m.variants) as [VariantName, NonNullable<ModelManifest['variants']['fp32']>][]) {
    const [evalOut, ...probeOuts] = outs[variant]!;
    const c = compareOutputs(reference!, evalOut!, width, undefined, classifier);
    expect(c.cosine, `${name}/${variant} cosine`).toBeCloseTo(v.fidelity.cosine, 4);
    expect(c.max_abs_err, `${name}/${variant} max error`).toBeCloseTo(v.fidelity.max_abs_err, 4);
    if (variant !== 'fp32') expect(v.fidelity.cosine).toBeGreaterThanOrEqual(0.99);
    probeOuts.forEach((out, i) => {
      expect(out.every(Number.isFinite), `${name}/${variant} finite on probe ${i}`).toBe(true);
      expect(compareOutputs(probed[i]!, out, width, undefined, classifier).cosine, `${name}/${variant} on probe ${i}`).toBeGreaterThanOrEqual(0.99);
    });
  }
  return outs;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'compress-real-'));
  const runs: [string, ModelProto, Partial<CompressOptions>][] = [
    ['control-flow', controlFlowNet(), {}],
    ['domains', declaredDomainsNet(), {}],
    // One sample (the claims below are rebuilt on it); more would be run one per call (data.unit.test.ts).
    ['fixed', fixedBatchNet(), { task: 'classifier', samples: 1 }],
    ['guards', guardsNet(), {}],
    ['plain', noWeightsNet(), { only: ['fp32'] }],
  ];
  for (const [name, m, extra] of runs) manifests[name] = (await compress(options(name, m, extra))).manifest;
}, 400_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('compressing real-world export shapes', () => {
  it('serves every variant of every model through the gateway app, answering as onnxruntime-web does', async () => {
    for (const [name, m] of Object.entries(manifests)) {
      const fixed = m.inputs[0]!.shape[0]!;
      const feeds = evalSet(name, fixed > 0 ? fixed : 3);
      const served = await serveEachVariant(join(dir, 'models'), m, feeds);
      const inWeb = web(name, [feeds]);
      for (const variant of Object.keys(m.variants)) {
        const s = served[variant]!;
        expect(s.status, `${name}/${variant}: ${JSON.stringify(s.body).slice(0, 300)}`).toBe(200);
        expect(s.servedVariant).toBe(variant);
        // onnxruntime-node (the origin) and onnxruntime-web run the same file: the same answer up to float noise.
        const w = inWeb[variant]![0]!;
        expect(s.first!.length).toBe(w.length);
        s.first!.forEach((x, i) => expect(Math.abs(x - w[i]!), `${name}/${variant}[${i}]`).toBeLessThanOrEqual(1e-3 * Math.max(1, Math.abs(w[i]!))));
      }
    }
  }, 120_000);

  it('converts weights inside If branches and a Loop body, and every variant keeps its claims in onnxruntime-web', () => {
    const m = manifests['control-flow']!;
    // int8w quantizes top-level weights only: here every weight is read inside a subgraph, so its file would
    // be fp32 renamed, and is dropped with that reason rather than written.
    expect(Object.keys(m.variants).sort()).toEqual(['fp16', 'fp32', 'int8']);
    expect(m.provenance['dropped_variants']).toEqual([{ variant: 'int8w', runtime: 'graph check', failures: [expect.stringMatching(/^quantizes nothing/)] }]);
    expect(m.provenance['normalized']).toEqual({ constants_lifted: 2, batchnorm_folded: 0 });
    const fp16 = readModel(join(dir, 'models', 'control-flow', 'fp16.onnx'));
    for (const g of allGraphs(fp16.graph)) for (const t of g.initializer) if (t.dims.length > 1) expect(t.data_type, t.name).toBe(DataType.FLOAT16);
    const int8 = readModel(join(dir, 'models', 'control-flow', 'int8.onnx'));
    expect(allNodes(int8.graph).filter((n) => n.op_type === 'MatMulInteger')).toHaveLength(3);
    expect(m.variants.int8!.method).toMatch(/subgraphs \(\d+ nodes\) quantized by the same rule/);
    expect(m.variants.fp16!.bytes).toBeLessThan(0.8 * m.variants.fp32!.bytes);
    checkClaims('control-flow', 16, WIDTH, [rows(WIDTH, [LOUD]), rows(WIDTH, [QUIET])]);
  });

  it('rebuilds the subgraph variants byte-identical from the recorded recipe, as setup does', () => {
    const m = manifests['control-flow']!;
    const written = replayCompressed(join(dir, 'models', 'control-flow'), m, ['fp16', 'int8']);
    expect(written['fp16']!.sha256).toBe(m.variants.fp16!.sha256);
    expect(written['int8']!.sha256).toBe(m.variants.int8!.sha256);
  });

  it('accepts an unused ai.onnx.ml import and a com.microsoft op onnxruntime-web runs', () => {
    const m = manifests['domains']!;
    expect(Object.keys(m.variants).sort()).toEqual(['fp16', 'fp32', 'int8', 'int8w']);
    checkClaims('domains', 16, 4, [rows(16, [new Array(16).fill(0.5), new Array(16).fill(-1)])]);
  });

  it('evaluates and profiles a model whose batch is fixed to 1 at that batch only', () => {
    const m = manifests['fixed']!;
    expect(m.batch_axis).toBe(false);
    for (const v of Object.values(m.variants)) {
      expect(v.latency.points.map((p) => p.items)).toEqual([1]);
      expect(v.latency.runtime).toMatch(/fixes its batch to 1/);
      expect(v.fidelity.samples).toBe(1);
    }
    checkClaims('fixed', 1, 6, [rows(8, [[1, -1, 0.5, 0, 2, -2, 0.25, 3]])], true);
  });

  it('keeps the guard constants fp32 in fp16: same answers as fp32 where the bounds bind, and no NaN on silence', () => {
    const m = manifests['guards']!;
    expect(m.variants.fp16!.method).toMatch(/kept fp32 because fp16 would change their value: .*low \(-1e\+5 is beyond the fp16 range.*eps \(1e-10 would flush to 0/);
    expect((m.provenance['fp16_kept_fp32'] as { tensor: string }[]).map((k) => k.tensor).sort()).toEqual(['eps', 'low']);
    const bound = rows(8, [[2e5, 0, 0, 0, 0, 0, 0, 0], [-3e5, 1, 0, 0, 0, 0, 0, 0]]);
    const silence = rows(8, [new Array(8).fill(0)]);
    const outs = web('guards', [bound, silence]);
    expect(outs['fp16']![0]).toEqual(outs['fp32']![0]);
    for (const variant of ['fp32', 'fp16', 'int8']) expect([...outs[variant]![1]!], variant).toEqual(new Array(8).fill(0));
    checkClaims('guards', 16, 8, [bound]);
  });

  it('--only fp32 profiles and writes the manifest of a model with nothing to compress', () => {
    const m = manifests['plain']!;
    expect(Object.keys(m.variants)).toEqual(['fp32']);
    expect(m.provenance['variants_written']).toEqual(['fp32']);
    expect(m.variants.fp32!.latency.points.map((p) => p.items)).toEqual([1, 4]);
    expect(m.variants.fp32!.fidelity.cosine).toBe(1);
  });
});
