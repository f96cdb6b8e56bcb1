/**
 * Triton's statistics counted from the plane's measurements: items and runs (a batched run is one execution,
 * whichever requests shared it), durations in ns, per batch size and per variant, failures apart.
 */
import { describe, expect, it } from 'vitest';
import type { SuccessRecord } from '../../src/dataplane/statistics.js';
import { Statistics } from '../../src/dataplane/statistics.js';

const MODEL = { name: 'm', version: '1', batch_axis: true };

/** A success of a request of batch `size` that ran in a run of batch `batch` at the edge. */
function edge(size: number, batch: number | undefined, over: Partial<SuccessRecord> = {}): SuccessRecord {
  return {
    request: { inputs: [{ name: 'x', datatype: 'FP32', shape: [size, 4], data: new Float32Array(size * 4) }] },
    result: { variant: 'int8', timings: { queue: 1, infer: 6 }, batch },
    target: 'edge',
    decodeMs: 0.5,
    encodeMs: 0.25,
    totalMs: 10,
    ...over,
  };
}

describe('model statistics', () => {
  it('answers zeros in Triton\'s shape for a model nothing was counted for', () => {
    const stat = new Statistics(() => 5).model(MODEL);
    const none = { count: 0, ns: 0 };
    expect(stat).toEqual({
      name: 'm',
      version: '1',
      last_inference: 0,
      inference_count: 0,
      execution_count: 0,
      inference_stats: { success: none, fail: none, queue: none, compute_input: none, compute_infer: none, compute_output: none, cache_hit: none, cache_miss: none },
      response_stats: {},
      batch_stats: [],
      memory_usage: [],
      variant_stats: [],
    });
  });

  it('counts a run that batched three requests as one execution of its batch size, its compute once', () => {
    const stats = new Statistics(() => 1_700_000_000_000);
    stats.succeeded(MODEL, edge(1, 4));
    stats.succeeded(MODEL, edge(1, 4));
    stats.succeeded(MODEL, edge(2, 4));
    const s = stats.model(MODEL);
    expect(s.inference_count).toBe(4);
    expect(s.execution_count).toBe(1);
    expect(s.last_inference).toBe(1_700_000_000_000);
    expect(s.inference_stats.success).toEqual({ count: 3, ns: 30_000_000 });
    expect(s.inference_stats.queue).toEqual({ count: 3, ns: 3_000_000 });
    expect(s.inference_stats.compute_input).toEqual({ count: 3, ns: 1_500_000 });
    expect(s.inference_stats.compute_infer).toEqual({ count: 3, ns: 18_000_000 });
    expect(s.inference_stats.compute_output).toEqual({ count: 3, ns: 750_000 });
    expect(s.batch_stats).toEqual([
      { batch_size: 4, compute_input: { count: 1, ns: 1_500_000 }, compute_infer: { count: 1, ns: 6_000_000 }, compute_output: { count: 1, ns: 750_000 } },
    ]);
  });

  it('counts a request that ran alone as one execution of its own batch size, origin round trip as compute', () => {
    const stats = new Statistics();
    stats.succeeded(MODEL, edge(3, undefined, { target: 'origin', result: { variant: 'fp32', timings: { origin: 20 } } }));
    stats.succeeded(MODEL, edge(1, 1));
    const s = stats.model(MODEL);
    expect(s.execution_count).toBe(2);
    expect(s.inference_count).toBe(4);
    expect(s.batch_stats.map((b) => [b.batch_size, b.compute_infer.count, b.compute_infer.ns])).toEqual([
      [1, 1, 6_000_000],
      [3, 1, 20_000_000],
    ]);
    expect(s.inference_stats.queue).toEqual({ count: 2, ns: 1_000_000 });
  });

  it('counts one item per request of a model without a batch axis', () => {
    const stats = new Statistics();
    const model = { ...MODEL, batch_axis: false };
    stats.succeeded(model, edge(7, undefined));
    expect(stats.model(model)).toMatchObject({ inference_count: 1, execution_count: 1, batch_stats: [{ batch_size: 1 }] });
  });

  it('counts failures with their time, apart from successes and executions', () => {
    const stats = new Statistics();
    stats.failed(MODEL, 2);
    stats.failed(MODEL, 3);
    const s = stats.model(MODEL);
    expect(s.inference_stats.fail).toEqual({ count: 2, ns: 5_000_000 });
    expect(s.inference_stats.success.count).toBe(0);
    expect(s).toMatchObject({ inference_count: 0, execution_count: 0, last_inference: 0 });
  });

  it('breaks successes down per variant and target, each entry in the same shape', () => {
    const stats = new Statistics();
    stats.succeeded(MODEL, edge(1, 1));
    stats.succeeded(MODEL, edge(1, 1, { target: 'origin', result: { variant: 'fp32', timings: { origin: 9 } } }));
    stats.succeeded(MODEL, edge(2, 2));
    const v = stats.model(MODEL).variant_stats;
    expect(v.map((s) => [s.target, s.variant, s.inference_count, s.execution_count])).toEqual([
      ['edge', 'int8', 3, 2],
      ['origin', 'fp32', 1, 1],
    ]);
    expect(Object.keys(v[0]!).sort()).toEqual(['batch_stats', 'execution_count', 'inference_count', 'inference_stats', 'last_inference', 'target', 'variant']);
  });

  it('keeps versions and models apart', () => {
    const stats = new Statistics();
    stats.succeeded(MODEL, edge(1, 1));
    expect(stats.model({ name: 'm', version: '2' }).inference_count).toBe(0);
    expect(stats.model({ name: 'other', version: '1' }).inference_count).toBe(0);
  });
});
