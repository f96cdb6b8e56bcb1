/**
 * The Triton repository the export writes: every config.pbtxt parses strictly against Triton's
 * model_config.proto and agrees with the ONNX graph of every version it serves; labels, versions and the
 * repository layout are what Triton reads (model folder, numbered version folders with model.onnx).
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelManifest } from '../../src/registry/manifest.js';
import { readSignature } from '../../tools/onnx/signature.js';
import { cloudModels } from '../../tools/export/policy.js';
import { labelFile, tritonDims, tritonType, tritonTypeOfOnnx, tritonVersions } from '../../tools/export/triton/model-config.js';
import { parsePbtxt } from '../../tools/export/triton/proto.js';
import { exportedVariants } from '../../tools/export/triton/repository.js';
import { config, manifests, tritonExport } from './fixtures.js';

const { dir, written, missing } = tritonExport();

describe('the exported Triton repository', () => {
  it('has one folder per model the cloud tier serves, the oversized ones included', () => {
    const expected = cloudModels(config(), manifests()).map((m) => m.manifest.name).filter((n) => !missing.includes(n));
    expect(readdirSync(dir).sort()).toEqual(expected.sort());
    expect(expected).toContain('mnist');
    if (!missing.includes('transformer-large')) expect(expected).toContain('transformer-large');
  });

  it.skipIf(missing.length === 0)(`leaves out models whose variant files are not built yet (${missing.join(', ') || 'none'}): run npm run models`, () => {
    expect(missing.length).toBeGreaterThan(0);
  });

  describe.each(written.map((w) => [w.name, w] as const))('%s', (name, w) => {
    const manifest = manifests().find((m) => m.name === name)!;
    const text = readFileSync(join(dir, name, 'config.pbtxt'), 'utf8');
    const parsed = parsePbtxt(text);

    it('parses strictly as Triton ModelConfig text format, as the ONNX Runtime backend with versions', () => {
      expect(parsed.name).toBe(name);
      expect(parsed.platform).toBe('onnxruntime_onnx');
      expect(parsed.versionPolicy?.specific?.versions).toEqual(Object.keys(w.versions));
      expect(parsed.instanceGroup).toEqual([{ count: 1, kind: 'KIND_CPU' }]);
      expect(parsed.parameters?.['intra_op_thread_count']?.stringValue).toBe('2');
    });

    it('agrees with the ONNX graph of every version it serves: names, types, dims after the batch axis', () => {
      for (const [version, variant] of Object.entries(w.versions)) {
        const file = join(dir, name, version, 'model.onnx');
        expect(realpathSync(file)).toBe(realpathSync(join('models', name, manifest.variants[variant]!.file)));
        const graph = readSignature(file);
        const batch = manifest.batch_axis ? 1 : 0;
        for (const [mine, theirs] of [[parsed.input ?? [], graph.inputs], [parsed.output ?? [], graph.outputs]] as const) {
          expect(mine.map((t) => t.name)).toEqual(theirs.map((t) => t.name));
          mine.forEach((t, i) => {
            const g = theirs[i]!;
            expect(t.dataType).toBe(tritonTypeOfOnnx(g.elemType));
            expect((t.dims ?? []).map(Number)).toEqual(g.dims.slice(batch).map((d) => (typeof d === 'number' ? d : -1)));
          });
        }
        if (manifest.batch_axis) expect(graph.inputs.every((t) => typeof t.dims[0] !== 'number')).toBe(true);
      }
      expect(parsed.maxBatchSize ?? 0).toBe(manifest.batch_axis ? config().limits.max_batch : 0);
    });

    it('answers unversioned calls with the variant the origin serves, and ships its output labels', () => {
      expect(Math.max(...Object.keys(w.versions).map(Number))).toBe(tritonVersions(manifest, w.variant)[w.variant]);
      expect(tritonVersions(manifest, w.variant)[w.variant]).toBe(Object.keys(manifest.variants).length);
      for (const out of manifest.outputs) {
        const t = parsed.output!.find((o) => o.name === out.name)!;
        if (!out.labels) {
          expect(t.labelFilename).toBeUndefined();
          continue;
        }
        expect(t.labelFilename).toBe(labelFile(out.name));
        expect(readFileSync(join(dir, name, t.labelFilename!), 'utf8').split('\n').slice(0, -1)).toEqual(out.labels);
      }
    });
  });
});

describe('checks before writing', () => {
  const mnist = () => structuredClone(manifests().find((m) => m.name === 'mnist')!) as ModelManifest;
  const graph = { name: 'input', elemType: 1, dims: ['batch', 784] as (number | string | null)[] };

  it('refuses a manifest whose shape is not the graph\'s, or a graph that fixes the batch axis', () => {
    const m = mnist();
    expect(tritonDims(m, m.inputs[0]!, graph)).toEqual([784]);
    expect(() => tritonDims(m, { name: 'input', shape: [-1, 785] }, graph)).toThrow(/graph's shape \[-1,784\] is not the manifest's \[-1,785\]/);
    expect(() => tritonDims(m, m.inputs[0]!, { ...graph, dims: [1, 784] })).toThrow(/fixes axis 0 at 1/);
  });

  it('maps v2 datatypes to Triton names, BYTES as TYPE_STRING', () => {
    expect([tritonType('FP32'), tritonType('INT64'), tritonType('BYTES')]).toEqual(['TYPE_FP32', 'TYPE_INT64', 'TYPE_STRING']);
    expect(() => tritonTypeOfOnnx(99)).toThrow(/no Triton DataType/);
  });

  it('numbers the served variant highest, since Triton serves unversioned calls the highest, and any other variant below it', () => {
    const cm = { manifest: mnist(), placement: 'both' as const, variant: 'int8' as const };
    expect(exportedVariants(cm, 'served')).toEqual(['int8']);
    expect(exportedVariants(cm, ['int8w'])).toEqual(['int8', 'int8w']);
    expect(exportedVariants(cm, 'all')).toEqual(Object.keys(mnist().variants));
    expect(tritonVersions(mnist(), 'int8')).toEqual({ fp16: 1, fp32: 2, int8w: 3, int8: 4 });
    expect(tritonVersions({ variants: { ...mnist().variants, 'pruned50': mnist().variants.int8! } }, 'fp32')).toEqual({ fp16: 1, int8: 2, int8w: 3, pruned50: 4, fp32: 5 });
    expect(existsSync(join(dir, 'mnist', '4', 'model.onnx'))).toBe(true);
  });
});
