/**
 * mnist-wide (the wide MLP trained by `npm run models`, tools/models/mnist-wide) through the gateway in
 * workerd: real mnist test digits, one request each and concurrent ones the batcher coalesces, classified
 * as well as its manifest says the model classifies the whole test split.
 */
import { describe, expect, it } from 'vitest';
import catalog from '../../models/catalog.json';
import { classes, digits, get, post } from '../helpers.js';

const N = 64;
const body = (from: number, n: number) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [n, 784], data: digits.inputs.slice(from, from + n).flat() }] });
const headers = { 'x-model-variant': 'fp32', 'x-slo-ms': '20000' };
const manifest = catalog.models.find((m) => m.name === 'mnist-wide');

describe('mnist-wide through the gateway', () => {
  it('is in the catalog with a batch axis and a measured test accuracy', async () => {
    expect(manifest, 'mnist-wide in the catalog (npm run models && npm run catalog)').toBeDefined();
    expect(manifest!.batch_axis).toBe(true);
    expect(manifest!.test_accuracy).toBeGreaterThan(0.9);
    const res = await get('/v2/models/mnist-wide');
    expect(res.status).toBe(200);
  });

  it('classifies real digits, batched and one by one, as accurately as its manifest says', async () => {
    const batched = await post('/v2/models/mnist-wide/infer', body(0, N), headers);
    expect(batched.status, JSON.stringify(batched.body)).toBe(200);
    expect(batched.body.outputs[0].shape).toEqual([N, 10]);
    const predicted = classes(batched.body.outputs[0]);
    const correct = predicted.filter((c, i) => c === digits.labels[i]).length;
    // 64 digits: the manifest's 92.5% on 2,000 digits, less a binomial margin (~3 standard deviations).
    expect(correct / N).toBeGreaterThanOrEqual(manifest!.test_accuracy! - 0.1);
    // Concurrent batch-1 requests (coalesced by the batcher) get the same classes as the batch-64 request.
    const singles = await Promise.all(Array.from({ length: 16 }, (_, i) => post('/v2/models/mnist-wide/infer', body(i, 1), headers)));
    singles.forEach((res, i) => {
      expect(res.status).toBe(200);
      expect(res.body.outputs[0].shape).toEqual([1, 10]);
      expect(classes(res.body.outputs[0])).toEqual([predicted[i]]);
    });
  });
});
