/**
 * Dynamic batching inside workerd with the real engine: concurrent requests for the same variant share
 * runs, and each caller still gets exactly its own rows back.
 */
import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { classes, digits, mnistBody, post } from '../helpers.js';

describe('dynamic batching', () => {
  it('coalesces concurrent requests into batched runs and splits the answers back per request', async () => {
    // Warm the variant so every request below queues for runs, not for the load.
    await post('/v2/models/mnist/infer', mnistBody(0, 1), { 'x-model-variant': 'fp32', 'x-slo-ms': '10000' });
    const before = await batchCounts();
    const answers = await Promise.all(
      Array.from({ length: 24 }, (_, i) => post('/v2/models/mnist/infer', mnistBody(i, 1 + (i % 3)), { 'x-model-variant': 'fp32', 'x-slo-ms': '10000' })),
    );
    answers.forEach((res, i) => {
      expect(res.status).toBe(200);
      const n = 1 + (i % 3);
      expect(res.body.outputs[0].shape).toEqual([n, 10]);
      const predicted = classes(res.body.outputs[0]);
      const correct = predicted.filter((c, k) => c === digits.labels[i + k]).length;
      expect(correct).toBeGreaterThanOrEqual(n - 1);
    });
    const after = await batchCounts();
    const runs = after.count - before.count;
    const items = after.sum - before.sum;
    expect(items).toBe(answers.reduce((n, _, i) => n + 1 + (i % 3), 0));
    // Fewer runs than requests: some were batched together.
    expect(runs).toBeLessThan(answers.length);
  });

  it('keeps requests with different shapes out of each other\'s batches', async () => {
    const a = post('/v2/models/mnist/infer', mnistBody(0, 2), { 'x-model-variant': 'fp32', 'x-slo-ms': '10000' });
    const b = post('/v2/models/mnist/infer', { ...mnistBody(2, 1), outputs: [{ name: 'logits' }] }, { 'x-model-variant': 'fp32', 'x-slo-ms': '10000' });
    const [ra, rb] = await Promise.all([a, b]);
    expect(classes(ra.body.outputs[0])).toEqual(digits.labels.slice(0, 2));
    expect(classes(rb.body.outputs[0])).toEqual([digits.labels[2]]);
  });
});

async function batchCounts(): Promise<{ count: number; sum: number }> {
  const text = await (await SELF.fetch('http://gateway.test/metrics')).text();
  const count = Number(/nv_inference_batch_size_count\{model="mnist",variant="fp32"\} (\d+)/.exec(text)?.[1] ?? 0);
  const sum = Number(/nv_inference_batch_size_sum\{model="mnist",variant="fp32"\} (\d+)/.exec(text)?.[1] ?? 0);
  return { count, sum };
}
