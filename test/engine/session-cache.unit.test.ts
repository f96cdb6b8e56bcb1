/**
 * The session cache on its own, with fake sessions: concurrent first requests share one load, failed and
 * abandoned loads are forgotten so a later request retries, the memory budget releases only idle sessions
 * in LRU order, contention (busy sessions holding the budget) is MemoryBusy after a bounded wait, never an
 * EngineFailure, and waiters give up at their own deadline.
 */
import { describe, expect, it, vi } from 'vitest';
import { SessionCache } from '../../src/engine/session-cache.js';
import { EngineFailure, MemoryBusy } from '../../src/errors.js';

const MiB = 1024 * 1024;

interface FakeSession {
  name: string;
  released: boolean;
}

/** A load the test settles by hand. */
function deferred(name: string) {
  let resolve!: (s: FakeSession) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<FakeSession>((res, rej) => ((resolve = res), (reject = rej)));
  const session: FakeSession = { name, released: false };
  return { promise, session, resolve: () => resolve(session), reject };
}

function cache(options: { budgetBytes?: number; loadTimeoutMs?: number } = {}) {
  let t = 0;
  return new SessionCache<FakeSession>({
    ...options,
    release: async (s) => void (s.released = true),
    // A clock that moves on every reading keeps the LRU order strict.
    now: () => ++t,
    pollMs: 1,
  });
}

const ready = (name: string) => () => Promise.resolve({ name, released: false });

describe('SessionCache', () => {
  it('starts one load for concurrent first requests of a variant and lends each the same session', async () => {
    const c = cache();
    const load = deferred('a');
    const loader = vi.fn(() => load.promise);
    const waiters = Array.from({ length: 5 }, () => c.acquire('m/a', 10, loader));
    // Waiting is not being in flight: a waiter whose request is cancelled must not pin the session.
    expect(c.entry('m/a')).toMatchObject({ state: 'loading', inFlight: 0 });
    load.resolve();
    const leases = await Promise.all(waiters);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(new Set(leases.map((l) => l.session)).size).toBe(1);
    expect(c.entry('m/a')).toMatchObject({ state: 'ready', inFlight: 5 });
    for (const l of leases) l.done();
    expect(c.entry('m/a')!.inFlight).toBe(0);
  });

  it('reports a failed load to every waiter, forgets it, and loads again for a later request', async () => {
    const c = cache();
    const load = deferred('a');
    const waiters = [c.acquire('m/a', 10, () => load.promise), c.acquire('m/a', 10, () => load.promise)];
    load.reject(new Error('corrupt file'));
    for (const w of waiters) await expect(w).rejects.toThrow('corrupt file');
    expect(c.entry('m/a')).toBeUndefined();
    const retry = vi.fn(ready('a'));
    const lease = await c.acquire('m/a', 10, retry);
    expect(retry).toHaveBeenCalledTimes(1);
    expect(lease.session.name).toBe('a');
    expect(c.isReady('m/a')).toBe(true);
  });

  it('hands the load to the first caller’s waitUntil, once', async () => {
    const c = cache();
    const waitUntil = vi.fn();
    await Promise.all([c.acquire('m/a', 10, ready('a'), { waitUntil }), c.acquire('m/a', 10, ready('a'), { waitUntil })]);
    expect(waitUntil).toHaveBeenCalledTimes(1);
    await expect(waitUntil.mock.calls[0]![0]).resolves.toBeUndefined();
  });

  it('releases the least recently used idle session to make room', async () => {
    const c = cache({ budgetBytes: 100 });
    const a = await c.acquire('m/a', 40, ready('a'));
    const b = await c.acquire('m/b', 40, ready('b'));
    b.done();
    a.done();
    const third = await c.acquire('m/c', 40, ready('c'));
    expect(b.session.released).toBe(true);
    expect(a.session.released).toBe(false);
    expect(c.readyKeys()).toEqual(['m/a', 'm/c']);
    expect(c.residentBytes()).toBe(80);
    third.done();
  });

  it('never releases a session in use, and says so when nothing idle can make room', async () => {
    const c = cache({ budgetBytes: 100 });
    const a = await c.acquire('m/a', 60, ready('a'));
    await expect(c.acquire('m/b', 60, ready('b'))).rejects.toThrow(/does not fit the isolate memory budget \(edge\.isolate_memory_budget_bytes, 0 MiB\) while other sessions are busy/);
    expect(a.session.released).toBe(false);
    expect(c.readyKeys()).toEqual(['m/a']);
    a.done();
    const b = await c.acquire('m/b', 60, ready('b'));
    expect(a.session.released).toBe(true);
    expect(c.readyKeys()).toEqual(['m/b']);
    b.done();
  });

  it('fails contention with MemoryBusy (503, a 1 s Retry-After), never an EngineFailure that would cool the variant down', async () => {
    const c = cache({ budgetBytes: 100 * MiB });
    const a = await c.acquire('m/a', 60 * MiB, ready('a'));
    const loader = vi.fn(ready('b'));
    const err = await c.acquire('m/b', 60 * MiB, loader).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemoryBusy);
    expect(err).not.toBeInstanceOf(EngineFailure);
    expect(err).toMatchObject({ status: 503, retryAfterSeconds: 1, message: 'm/b (60 MiB) does not fit the isolate memory budget (edge.isolate_memory_budget_bytes, 100 MiB) while other sessions are busy' });
    expect(loader).not.toHaveBeenCalled();
    a.done();
  });

  it('waits up to roomWaitMs for a busy session to be given back, then releases it and loads', async () => {
    const c = cache({ budgetBytes: 100 });
    const a = await c.acquire('m/a', 60, ready('a'));
    const b = c.acquire('m/b', 60, ready('b'), { roomWaitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 10));
    expect(c.entry('m/b')).toBeUndefined();
    a.done();
    const lease = await b;
    expect(a.session.released).toBe(true);
    expect(c.readyKeys()).toEqual(['m/b']);
    lease.done();
  });

  it('gives up after roomWaitMs with MemoryBusy saying how long it waited', async () => {
    let t = 0;
    const c = new SessionCache<FakeSession>({ budgetBytes: 100, release: async () => undefined, now: () => t, pollMs: 1, sleep: async () => void (t += 10) });
    const a = await c.acquire('m/a', 60, ready('a'));
    const asked = t;
    const err = await c.acquire('m/b', 60, ready('b'), { roomWaitMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemoryBusy);
    expect((err as Error).message).toMatch(/while other sessions are busy; none was given back within 50 ms$/);
    expect(t - asked).toBe(50);
    a.done();
  });

  it("at the origin, waits for room up to the request's deadline and then answers 504, not a crash", async () => {
    let t = 0;
    const c = new SessionCache<FakeSession>({ budgetBytes: 100, scope: 'origin', release: async () => undefined, now: () => t, pollMs: 1, sleep: async () => void (t += 10) });
    const a = await c.acquire('m/a', 60, ready('a'));
    const err = await c.acquire('m/b', 60, ready('b'), { roomWaitMs: Infinity, deadline: 50 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 504, message: expect.stringMatching(/^m\/b \(0 MiB\) does not fit the origin memory budget \(origin_limits\.memory_budget_bytes, 0 MiB\) while other sessions are busy: the request's deadline passed while it waited for memory$/) });
    expect(t).toBeGreaterThanOrEqual(50);
    a.done();
  });

  it('loads a session again for a waiting request when it was released to make room before that request took it', async () => {
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    let sleeps = 0;
    const c = new SessionCache<FakeSession>({
      budgetBytes: 100,
      release: async (s) => void (s.released = true),
      pollMs: 1,
      // The first waiter's first pause lasts until the test opens the gate; every other pause is 1 ms.
      sleep: (ms) => (sleeps++ === 0 ? gate : new Promise((r) => setTimeout(r, ms))),
    });
    const first = deferred('a');
    const loadA = vi.fn(() => (loadA.mock.calls.length === 1 ? first.promise : ready('a again')()));
    const waiter = c.acquire('m/a', 40, loadA);
    first.resolve();
    await vi.waitFor(() => expect(c.isReady('m/a')).toBe(true));
    // Before the waiter looks again, another variant needs the room m/a holds (idle: nobody took it yet).
    (await c.acquire('m/b', 70, ready('b'))).done();
    expect(first.session.released).toBe(true);
    openGate();
    const lease = await waiter;
    expect(loadA).toHaveBeenCalledTimes(2);
    expect(lease.session.name).toBe('a again');
    expect(lease.session.released).toBe(false);
    lease.done();
  });

  it('counts a loading variant against the budget, so two concurrent loads cannot overshoot it', async () => {
    const c = cache({ budgetBytes: 100 });
    const load = deferred('a');
    const first = c.acquire('m/a', 60, () => load.promise);
    await expect(c.acquire('m/b', 60, ready('b'))).rejects.toThrow(/does not fit/);
    load.resolve();
    (await first).done();
  });

  it('refuses a variant larger than the whole budget without loading it', async () => {
    const c = cache({ budgetBytes: 1 << 20 });
    const loader = vi.fn(ready('big'));
    await expect(c.acquire('m/big', 3 << 20, loader)).rejects.toThrow(/needs 3 MiB of WASM memory, the isolate budget is 1 MiB \(edge\.isolate_memory_budget_bytes\)/);
    expect(loader).not.toHaveBeenCalled();
  });

  it('gives up waiting at the deadline, forgets the lost load, and starts a new one for a later request', async () => {
    const c = new SessionCache<FakeSession>({ release: async (s) => void (s.released = true), loadTimeoutMs: 50, pollMs: 5 });
    const lost = deferred('a');
    const t0 = performance.now();
    await expect(c.acquire('m/a', 10, () => lost.promise)).rejects.toThrow(/m\/a did not load within 50 ms/);
    const waited = performance.now() - t0;
    expect(waited).toBeGreaterThanOrEqual(45);
    expect(waited).toBeLessThan(1000);
    expect(c.entry('m/a')).toBeUndefined();
    const lease = await c.acquire('m/a', 10, ready('a2'));
    expect(lease.session.name).toBe('a2');
    // The lost load finishing late neither replaces the new session nor keeps its own memory.
    lost.resolve();
    await vi.waitFor(() => expect(lost.session.released).toBe(true));
    expect(c.entry('m/a')!.session!.name).toBe('a2');
    lease.done();
  });

  it('evicts an idle session at once and loads it again for the next request', async () => {
    const c = cache();
    const lease = await c.acquire('m/a', 10, ready('a'));
    lease.done();
    const first = lease.session;
    expect(await c.evict('m/a')).toBe(true);
    expect(first.released).toBe(true);
    expect(c.entry('m/a')).toBeUndefined();
    expect(c.residentBytes()).toBe(0);
    const again = await c.acquire('m/a', 10, ready('a'));
    expect(again.session).not.toBe(first);
    again.done();
  });

  it('releases an evicted session that requests hold only when the last gives it back', async () => {
    const c = cache();
    const [one, two] = [await c.acquire('m/a', 10, ready('a')), await c.acquire('m/a', 10, ready('a'))];
    expect(await c.evict('m/a')).toBe(true);
    expect(c.entry('m/a')).toBeUndefined();
    one.done();
    expect(one.session.released).toBe(false);
    two.done();
    await vi.waitFor(() => expect(two.session.released).toBe(true));
  });

  it('leaves a load under way to finish for its waiters, and has nothing to evict of an unknown key', async () => {
    const c = cache();
    const load = deferred('a');
    const waiter = c.acquire('m/a', 10, () => load.promise);
    expect(await c.evict('m/a')).toBe(false);
    expect(await c.evict('m/b')).toBe(false);
    load.resolve();
    (await waiter).done();
    expect(load.session.released).toBe(false);
  });
});
