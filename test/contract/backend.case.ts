/**
 * The contract every Backend keeps (src/backend.ts), registered against each implementation so they
 * cannot drift: the edge engine on onnxruntime-web (test/contract/edge.test.ts) and the origin client
 * talking to the real origin on onnxruntime-node (test/contract/origin.test.ts). Real model files, real
 * inference, real assertions: labels of real digits, per-row batch answers, probability rows.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, BackendRequest } from '../../src/backend.js';
import { GatewayError } from '../../src/errors.js';
import type { Tensor } from '../../src/protocol/tensor.js';
import type { ModelManifest, VariantName } from '../../src/registry/manifest.js';
import type { Registry } from '../../src/registry/registry.js';
import samples from '../../models/mnist/samples.json';

const digits = samples as { inputs: number[][]; labels: number[] };

export interface ContractSubject {
  /** The backend under test (built once, reused by every case, as in production). */
  backend: Backend;
  registry: Registry;
  /** A model with INT64 inputs (a transformer) this backend can serve, when it has one. */
  int64Model?: string | undefined;
}

function mnistRows(from: number, n: number): Tensor {
  return { name: 'input', datatype: 'FP32', shape: [n, 784], data: Float32Array.from(digits.inputs.slice(from, from + n).flat()) };
}

function ask(model: ModelManifest, variant: VariantName, inputs: Tensor[], outputs?: string[]): BackendRequest {
  return { model, variant, request: { inputs, parameters: {}, ...(outputs ? { outputs } : {}) }, deadline: Date.now() + 30_000, requestId: 'contract' };
}

/** Row `i` of a [n, ...] output as numbers. */
function row(t: Tensor, i: number): number[] {
  const size = t.shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from(t.data as Float32Array).slice(i * size, (i + 1) * size);
}

const argmax = (xs: number[]) => xs.reduce((best, x, i) => (x > xs[best]! ? i : best), 0);
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i]!)));

/** A deterministic pseudo-random FP32 tensor in [0, 1). */
function noise(name: string, shape: number[], seed = 1): Tensor {
  let s = seed;
  const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => ((s = (s * 16807) % 2147483647) / 2147483647));
  return { name, datatype: 'FP32', shape, data };
}

/** Registers the contract's cases for `subject` under `name`. */
export function backendContract(name: string, subject: ContractSubject): void {
  describe(`${name} keeps the backend contract`, () => {
    const { backend, registry } = subject;
    const mnist = () => registry.get('mnist');

    it.each(['fp32', 'fp16', 'int8', 'int8w'] as const)('classifies 100 real digits with %s and reports that variant as the one that ran', async (variant) => {
      const res = await backend.infer(ask(mnist(), variant, [mnistRows(0, 100)]));
      expect(res.variant).toBe(variant);
      expect(res.outputs).toHaveLength(1);
      const logits = res.outputs[0]!;
      expect(logits).toMatchObject({ name: 'logits', datatype: 'FP32', shape: [100, 10] });
      const correct = Array.from({ length: 100 }, (_, i) => argmax(row(logits, i)) === digits.labels[i]).filter(Boolean).length;
      expect(correct, `${variant}: correct of 100`).toBeGreaterThanOrEqual(90);
    });

    it('answers each row of a batch as that row alone would be answered', async () => {
      const batch = (await backend.infer(ask(mnist(), 'fp32', [mnistRows(20, 6)]))).outputs[0]!;
      expect(batch.shape).toEqual([6, 10]);
      for (let i = 0; i < 6; i++) {
        const alone = (await backend.infer(ask(mnist(), 'fp32', [mnistRows(20 + i, 1)]))).outputs[0]!;
        expect(alone.shape).toEqual([1, 10]);
        expect(maxDiff(row(batch, i), row(alone, 0)), `row ${i}`).toBeLessThan(1e-4);
      }
      // Different digits, different answers: the rows are not one row repeated.
      expect(maxDiff(row(batch, 0), row(batch, 1))).toBeGreaterThan(1e-2);
    });

    it('returns the outputs asked for, by name', async () => {
      const res = await backend.infer(ask(mnist(), 'int8', [mnistRows(3, 2)], ['logits']));
      expect(res.outputs.map((o) => o.name)).toEqual(['logits']);
      expect(res.outputs[0]!.shape).toEqual([2, 10]);
      expect([argmax(row(res.outputs[0]!, 0)), argmax(row(res.outputs[0]!, 1))]).toEqual(digits.labels.slice(3, 5));
    });

    it('serves a model of another input layout: the text-direction classifier gives a probability row per image', async () => {
      const cls = registry.get('ppocr-cls');
      const res = await backend.infer(ask(cls, 'fp32', [noise('x', [2, 3, 48, 192])]));
      expect(res.variant).toBe('fp32');
      const probs = res.outputs[0]!;
      expect(probs).toMatchObject({ name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [2, 2] });
      for (let i = 0; i < 2; i++) {
        const p = row(probs, i);
        expect(p.every((x) => x >= 0 && x <= 1)).toBe(true);
        expect(p[0]! + p[1]!).toBeCloseTo(1, 4);
      }
    });

    it.runIf(subject.int64Model !== undefined)('runs INT64 token inputs and answers each sequence of a batch as it would alone', async () => {
      const model = registry.get(subject.int64Model!);
      const ids = [101n, 2023n, 2003n, 1037n, 3231n, 6251n, 1012n, 102n, 101n, 7592n, 2088n, 999n, 102n, 0n, 0n, 0n];
      const mask = ids.map((_, i) => (i >= 13 ? 0n : 1n));
      const tokens = (from: number, n: number): Tensor[] => [
        { name: 'input_ids', datatype: 'INT64', shape: [n, 8], data: BigInt64Array.from(ids.slice(from * 8, (from + n) * 8)) },
        { name: 'attention_mask', datatype: 'INT64', shape: [n, 8], data: BigInt64Array.from(mask.slice(from * 8, (from + n) * 8)) },
      ];
      const both = (await backend.infer(ask(model, 'fp32', tokens(0, 2)))).outputs[0]!;
      const hidden = model.outputs[0]!.shape.at(-1)!;
      expect(both).toMatchObject({ name: model.outputs[0]!.name, datatype: 'FP32', shape: [2, 8, hidden] });
      expect(Array.from(both.data as Float32Array).every(Number.isFinite)).toBe(true);
      for (const i of [0, 1]) {
        const alone = (await backend.infer(ask(model, 'fp32', tokens(i, 1)))).outputs[0]!;
        expect(maxDiff(row(both, i), row(alone, 0)), `sequence ${i}`).toBeLessThan(1e-3);
      }
    });

    it('reports what it measured as finite, non-negative milliseconds', async () => {
      const { timings } = await backend.infer(ask(mnist(), 'fp32', [mnistRows(0, 1)]));
      const values = Object.values(timings);
      expect(values.length).toBeGreaterThan(0);
      for (const ms of values) expect(Number.isFinite(ms) && ms! >= 0, String(ms)).toBe(true);
    });

    it('refuses a variant the model does not have as the caller\'s mistake (400)', async () => {
      const err = await backend.infer(ask(mnist(), 'int4' as VariantName, [mnistRows(0, 1)])).catch((e: unknown) => e);
      // The edge's own InvalidInput, or the origin's 400 passed on (OriginRejected): the same status either way.
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).status).toBe(400);
      expect((err as Error).message).toMatch(/int4/);
    });

    it('refuses a tensor the model cannot take with a domain error, never a raw exception', async () => {
      const wrong: Tensor = { name: 'input', datatype: 'FP32', shape: [1, 783], data: new Float32Array(783) };
      const err = await backend.infer(ask(mnist(), 'fp32', [wrong])).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GatewayError);
      expect((err as GatewayError).status).toBeGreaterThanOrEqual(400);
      // And the backend still serves the next request.
      const ok = await backend.infer(ask(mnist(), 'fp32', [mnistRows(7, 1)]));
      expect(argmax(row(ok.outputs[0]!, 0))).toBe(digits.labels[7]);
    });
  });
}
