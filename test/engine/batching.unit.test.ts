/**
 * Dynamic batching: the run queue coalesces compatible requests, bounds its wait by SLO slack, never mixes
 * incompatible requests, and splits results back; tensor join/split round-trips.
 */
import { describe, expect, it } from 'vitest';
import type { QueueItem } from '../../src/engine/batch-queue.js';
import { BatchQueue } from '../../src/engine/batch-queue.js';
import { CallerShare } from '../../src/engine/caller-share.js';
import { batchSignature, joinRequests, splitOutputs } from '../../src/engine/tensor-batch.js';
import type { InferenceRequest } from '../../src/protocol/tensor.js';

function harness(runMs = 5) {
  const clock = { t: 0 };
  const runs: string[][] = [];
  const sleeps: number[] = [];
  const queue = new BatchQueue<string>(
    async (batch) => {
      runs.push(batch.map((b) => (b as any).id));
      await new Promise((r) => setTimeout(r, runMs));
      clock.t += runMs;
      return batch.map((b) => ({ ok: true as const, value: `done:${(b as any).id}` }));
    },
    () => clock.t,
    async (ms) => {
      sleeps.push(ms);
      clock.t += ms;
      await new Promise((r) => setTimeout(r, 1));
    },
  );
  const item = (id: string, key = 'k', size = 1, startBy = 1000, maxBatch = 8, maxDelayMs = 0): QueueItem<string> & { id: string } => ({
    id,
    key,
    size,
    policy: { maxBatch, maxDelayMs },
    startBy,
    enqueuedAt: clock.t,
    // A fixed cost per run (1 ms) and 0.1 ms per item: sharing a run saves the fixed part.
    predictMs: (n) => 1 + 0.1 * n,
  });
  return { queue, runs, sleeps, item, clock };
}

describe('BatchQueue', () => {
  it('runs requests that arrive while another runs as one batch, and gives each its own result', async () => {
    const { queue, runs, item } = harness();
    const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => queue.submit(item(id))));
    expect(results).toEqual(['done:a', 'done:b', 'done:c', 'done:d']);
    // The first starts at once (no delay configured); the three that queued behind it share the next run.
    expect(runs).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('runs waiting requests by priority level (1 first), oldest first within a level, as Triton does', async () => {
    const { queue, runs, item } = harness();
    const at = (id: string, key: string, priority?: number) => ({ ...item(id, key), ...(priority === undefined ? {} : { priority }) });
    // 'a' runs at once; the rest queue behind it with different keys, so each runs alone, in priority order.
    await Promise.all([queue.submit(at('a', 'a', 2)), queue.submit(at('low', 'l', 2)), queue.submit(at('none', 'n')), queue.submit(at('high', 'h', 1)), queue.submit(at('low2', 'm', 2))]);
    expect(runs).toEqual([['a'], ['high'], ['low'], ['low2'], ['none']]);
  });

  it('runs the caller with the least recent compute first, whatever priority the busy caller sends', async () => {
    const { queue, runs, item } = harness();
    const from = (id: string, caller: string, priority: number) => ({ ...item(id, id), caller, priority });
    // h0 runs at once and is charged to h; v's request, though of a worse level, goes before h's others.
    await Promise.all([queue.submit(from('h0', 'h', 1)), queue.submit(from('h1', 'h', 1)), queue.submit(from('h2', 'h', 1)), queue.submit(from('v1', 'v', 2))]);
    expect(runs).toEqual([['h0'], ['v1'], ['h1'], ['h2']]);
  });

  it('alternates between callers by the compute each was charged, not by how many requests each sent', async () => {
    const { queue, runs, item } = harness();
    const from = (id: string, caller: string, cost: number) => ({ ...item(id, id), caller, costMs: cost });
    // a0 starts; then b (cheap runs) and a (a costly one) wait. Runs are charged what they took (5 ms each),
    // so b, having spent nothing, goes first, then the two alternate.
    await Promise.all([queue.submit(from('a0', 'a', 5)), queue.submit(from('a1', 'a', 5)), queue.submit(from('a2', 'a', 5)), queue.submit(from('b1', 'b', 5)), queue.submit(from('b2', 'b', 5))]);
    expect(runs).toEqual([['a0'], ['b1'], ['a1'], ['b2'], ['a2']]);
  });

  it('breaks ties by the earliest deadline, then by arrival', async () => {
    const { queue, runs, item } = harness();
    const due = (id: string, deadline?: number) => ({ ...item(id, id), ...(deadline === undefined ? {} : { deadline }) });
    await Promise.all([queue.submit(due('first')), queue.submit(due('late', 500)), queue.submit(due('none')), queue.submit(due('soon', 100)), queue.submit(due('mid', 300))]);
    expect(runs).toEqual([['first'], ['soon'], ['mid'], ['late'], ['none']]);
  });

  it("shares one ledger between an engine's queues: compute on one variant counts on another", async () => {
    const clock = { t: 0 };
    const share = new CallerShare(() => clock.t);
    const runs: string[] = [];
    let gate: Promise<void> = Promise.resolve();
    // Each run takes its request's cost on the clock, once the gate is open.
    const make = () =>
      new BatchQueue<string>(
        async (batch) => {
          await gate;
          for (const b of batch) (runs.push((b as any).id), (clock.t += b.costMs!));
          return batch.map(() => ({ ok: true as const, value: '' }));
        },
        () => clock.t,
        async () => {},
        share,
      );
    const big = make();
    const small = make();
    const mk = (id: string, caller: string, costMs: number) => ({ id, key: id, caller, size: 1, policy: { maxBatch: 1, maxDelayMs: 0 }, startBy: 0, enqueuedAt: 0, predictMs: () => 1, costMs });
    await big.submit(mk('h-big', 'h', 1000));
    expect(share.usage('h')).toBeCloseTo(1000 * 2 ** -0.1, 0);
    let open!: () => void;
    gate = new Promise<void>((r) => (open = r));
    const first = small.submit(mk('x', 'x', 10));
    await new Promise((r) => setTimeout(r, 5));
    // On the other queue h arrives before v, but v goes first: h has spent 1000 ms on the big variant.
    const waiting = [small.submit(mk('h-small', 'h', 10)), small.submit(mk('v-small', 'v', 10))];
    open();
    await Promise.all([first, ...waiting]);
    expect(runs).toEqual(['h-big', 'x', 'v-small', 'h-small']);
  });

  it('predicts the wait ahead of a request by the order it would run in, not by arrival', async () => {
    const clock = { t: 0 };
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const queue = new BatchQueue<string>(async (batch) => (await gate, batch.map(() => ({ ok: true as const, value: '' }))), () => clock.t, async () => {});
    const mk = (id: string, caller: string, costMs: number) => ({ id, key: id, caller, size: 1, policy: { maxBatch: 1, maxDelayMs: 0 }, startBy: 0, enqueuedAt: 0, predictMs: () => 1, costMs });
    const running = queue.submit(mk('h0', 'h', 400));
    await new Promise((r) => setTimeout(r, 5));
    const queued = [queue.submit(mk('h1', 'h', 400)), queue.submit(mk('h2', 'h', 400))];
    await new Promise((r) => setTimeout(r, 5));
    clock.t = 100;
    // 300 ms left of h0's run; h's own next request waits behind h's queued 800 ms as well, v's does not.
    expect(queue.aheadMs(mk('h3', 'h', 400))).toBe(300 + 800);
    expect(queue.aheadMs(mk('v1', 'v', 50))).toBe(300);
    release();
    await Promise.all([running, ...queued]);
    expect(queue.aheadMs(mk('v2', 'v', 50))).toBe(0);
  });

  it('never puts requests with different keys in one run', async () => {
    const { queue, runs, item } = harness();
    await Promise.all([queue.submit(item('a', 'x')), queue.submit(item('b', 'y')), queue.submit(item('c', 'x'))]);
    for (const run of runs) expect(new Set(run.map((id) => (id === 'b' ? 'y' : 'x'))).size).toBe(1);
    expect(runs.flat().sort()).toEqual(['a', 'b', 'c']);
  });

  it('caps a run at the largest batch, counting each request by its own batch size', async () => {
    const { queue, runs, item } = harness();
    await Promise.all([
      queue.submit(item('a', 'k', 3, 1000, 4, 1)),
      queue.submit(item('b', 'k', 2, 1000, 4, 1)),
      queue.submit(item('c', 'k', 1, 1000, 4, 1)),
      queue.submit(item('d', 'k', 2, 1000, 4, 1)),
    ]);
    // a (3) waits 1 ms for company but b (2) would overflow 4; in order, b + d fill the next run... but c
    // stands between them: runs keep arrival order and stop at the first request that does not fit.
    expect(runs).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('turns batching off with a largest batch of one', async () => {
    const { queue, runs, item } = harness();
    await Promise.all(['a', 'b', 'c'].map((id) => queue.submit(item(id, 'k', 1, 1000, 1))));
    expect(runs).toEqual([['a'], ['b'], ['c']]);
  });

  it('waits for company no longer than the delay, and no longer than the tightest slack', async () => {
    const { queue, sleeps, item } = harness();
    await queue.submit(item('a', 'k', 1, 1000, 8, 4));
    expect(sleeps).toEqual([4]);
    sleeps.length = 0;
    await queue.submit(item('b', 'k', 1, harness().clock.t + 1.5, 8, 4));
    expect(sleeps.every((ms) => ms <= 4)).toBe(true);
    sleeps.length = 0;
    // No slack left: no wait at all.
    const { queue: q2, sleeps: s2, item: item2 } = harness();
    await q2.submit(item2('c', 'k', 1, 0, 8, 4));
    expect(s2).toEqual([]);
  });

  it('does not wait when the model costs the same per item batched or not (nothing to save)', async () => {
    const { queue, sleeps, item } = harness();
    await queue.submit({ ...item('a', 'k', 1, 1000, 8, 4), predictMs: (n: number) => 5 * n });
    expect(sleeps).toEqual([]);
  });

  it('stops waiting for a serial caller however fast it sends, and waits again in a burst', async () => {
    const { queue, sleeps, item, clock } = harness(1);
    // Back to back, no gap at all: each request arrives only after the previous answer. The first waits
    // (no history: a plain batcher), and soon none does, though they come closer together than the wait.
    const waited: boolean[] = [];
    for (let i = 0; i < 8; i++) {
      const before = sleeps.length;
      await queue.submit(item(`s${i}`, 'k', 1, clock.t + 1000, 8, 4));
      waited.push(sleeps.length > before);
    }
    expect(waited[0]).toBe(true);
    expect(waited.slice(4)).toEqual([false, false, false, false]);
    // Then a burst: arrivals that find others in flight make the next request wait for company again.
    await Promise.all(Array.from({ length: 12 }, (_, i) => queue.submit(item(`burst${i}`, 'k', 1, clock.t + 1000, 8, 4))));
    sleeps.length = 0;
    await queue.submit(item('next', 'k', 1, clock.t + 1000, 8, 4));
    expect(sleeps).toEqual([4]);
  });

  it('still waits once every 16 runs of a serial caller, so a crowd its history cannot see is found again', async () => {
    const { queue, sleeps, item, clock } = harness(1);
    const waited: boolean[] = [];
    for (let i = 0; i < 40; i++) {
      const before = sleeps.length;
      await queue.submit(item(`s${i}`, 'k', 1, clock.t + 1000, 8, 4));
      waited.push(sleeps.length > before);
    }
    // The first two wait (history starts at "yes"), then one probe in every 16 runs, never more.
    const probes = waited.flatMap((w, i) => (w && i >= 4 ? [i] : []));
    expect(probes.length).toBeGreaterThanOrEqual(1);
    expect(probes.length).toBeLessThanOrEqual(3);
    for (let k = 1; k < probes.length; k++) expect(probes[k]! - probes[k - 1]!).toBe(16);
  });

  it('keeps no arrival history for requests that cannot batch', async () => {
    const { queue, item } = harness();
    for (let i = 0; i < 50; i++) await queue.submit(item(`u${i}`, `unique${i}`, 1, 1000, 1));
    expect(queue.trackedKeys).toBe(0);
  });

  it('gives each request of a run its own outcome', async () => {
    const queue = new BatchQueue<string>(
      async (batch) => batch.map((b) => ((b as any).id === 'bad' ? { ok: false as const, error: new Error('refused') } : { ok: true as const, value: (b as any).id })),
      () => 0,
      async () => {},
    );
    const mk = (id: string) => ({ id, key: 'k', size: 1, policy: { maxBatch: 8, maxDelayMs: 0 }, startBy: 0, enqueuedAt: 0, predictMs: () => 1 });
    const settled = await Promise.allSettled([queue.submit(mk('a')), queue.submit(mk('bad')), queue.submit(mk('c'))]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('drops a queued request whose client left, without running it', async () => {
    const { queue, runs, item } = harness(20);
    const gone = new AbortController();
    const first = queue.submit(item('a'));
    const second = queue.submit({ ...item('b'), signal: gone.signal });
    const third = queue.submit(item('c'));
    gone.abort();
    const settled = await Promise.allSettled([first, second, third]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason.status).toBe(499);
    expect(runs.flat()).not.toContain('b');
  });

  it('never starts a run for a request whose deadline passed while it waited', async () => {
    const { queue, runs, item } = harness(20);
    const first = queue.submit(item('a'));
    // Due to start by t=5 on the queue clock; the run ahead of it ends at t=20.
    const late = queue.submit({ ...item('b'), deadline: 5, expired: () => Object.assign(new Error('too late'), { status: 504 }) });
    const settled = await Promise.allSettled([first, late]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    expect((settled[1] as PromiseRejectedResult).reason.message).toBe('too late');
    expect(runs).toEqual([['a']]);
  });

  it('hands a failed run\'s error to every request in it', async () => {
    const queue = new BatchQueue<string>(async () => Promise.reject(new Error('boom')), () => 0, async () => {});
    const mk = (id: string): QueueItem<string> => ({ key: 'k', size: 1, policy: { maxBatch: 8, maxDelayMs: 0 }, startBy: 0, enqueuedAt: 0, predictMs: () => 1 });
    const settled = await Promise.allSettled([queue.submit(mk('a')), queue.submit(mk('b'))]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
  });
});

describe('joining and splitting tensors', () => {
  const req = (rows: number[][]): InferenceRequest => ({ inputs: [{ name: 'x', datatype: 'FP32', shape: [rows.length, 2], data: Float32Array.from(rows.flat()) }], parameters: {} });

  it('joins along axis 0 and splits back per request', () => {
    const joined = joinRequests([req([[1, 2]]), req([[3, 4], [5, 6]])]);
    expect(joined.inputs[0]!.shape).toEqual([3, 2]);
    expect([...joined.inputs[0]!.data]).toEqual([1, 2, 3, 4, 5, 6]);
    const split = splitOutputs([{ name: 'y', datatype: 'FP32', shape: [3, 1], data: Float32Array.from([10, 20, 30]) }], [1, 2]);
    expect(split.map((o) => [...o[0]!.data])).toEqual([[10], [20, 30]]);
    expect(split[1]![0]!.shape).toEqual([2, 1]);
  });

  it('gives requests with other non-batch dims or outputs another signature', () => {
    const a = req([[1, 2]]);
    const b: InferenceRequest = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: new Float32Array(3) }], parameters: {} };
    expect(batchSignature(a)).toBe(batchSignature(req([[5, 6], [7, 8]])));
    expect(batchSignature(a)).not.toBe(batchSignature(b));
    expect(batchSignature(a)).not.toBe(batchSignature({ ...a, outputs: ['y'] }));
  });

  it('refuses to split outputs whose first axis is not the batch', () => {
    expect(() => splitOutputs([{ name: 'y', datatype: 'FP32', shape: [1, 3], data: new Float32Array(3) }], [1, 2])).toThrow(/rows for a batch of 3/);
  });
});
