/**
 * PolicySource's reads of KV, with a fake namespace whose reads the test settles by hand: the request that
 * finds the TTL passed waits for its own read, requests meanwhile get the last good config at once (none
 * awaits another request's read), the read goes to waitUntil, and a lost read is given up after a while.
 */
import { describe, expect, it, vi } from 'vitest';
import { mergeModels, PolicySource, RELOAD_TIMEOUT_MS } from '../src/policy-source.js';

/** A KV namespace whose `get` calls stay pending until the test answers them, in order. */
function fakeKv() {
  const reads: ((value: string | null) => void)[] = [];
  const kv = { get: vi.fn(() => new Promise<string | null>((resolve) => reads.push(resolve))) };
  return { kv: kv as unknown as KVNamespace, get: kv.get, answer: (i: number, value: unknown) => reads[i]!(value === null ? null : JSON.stringify(value)) };
}

const base = { policy_ttl_ms: 0, models: { mnist: { slo_ms: 100 } } };
const sloOf = (config: { models: Record<string, { slo_ms?: number | undefined }> }) => config.models.mnist?.slo_ms;

describe('PolicySource', () => {
  it('lets the request that finds the TTL passed wait for its own read, and serves others the last good config meanwhile', async () => {
    const { kv, get, answer } = fakeKv();
    const policy = new PolicySource(base, undefined, kv);
    const first = policy.get();
    const during = await policy.get();
    expect(sloOf(during)).toBe(100);
    expect(get).toHaveBeenCalledTimes(1);
    answer(0, { models: { mnist: { slo_ms: 1234 } } });
    expect(sloOf(await first)).toBe(1234);
    // The next request reads again (TTL 0) and, once answered, sees the same policy.
    const next = policy.get();
    answer(1, { models: { mnist: { slo_ms: 1234 } } });
    expect(sloOf(await next)).toBe(1234);
  });

  it('hands its read to waitUntil so it completes if the request is cancelled', async () => {
    const { kv, answer } = fakeKv();
    const policy = new PolicySource(base, undefined, kv);
    const waitUntil = vi.fn();
    const pending = policy.get(waitUntil);
    expect(waitUntil).toHaveBeenCalledTimes(1);
    answer(0, null);
    await pending;
    await expect(waitUntil.mock.calls[0]![0]).resolves.toBeUndefined();
  });

  it('does not read KV again within the TTL', async () => {
    const { kv, get, answer } = fakeKv();
    let now = 0;
    const policy = new PolicySource({ ...base, policy_ttl_ms: 1000 }, undefined, kv, () => now);
    const first = policy.get();
    answer(0, null);
    await first;
    now = 999;
    await policy.get();
    expect(get).toHaveBeenCalledTimes(1);
  });

  it('gives up a read unfinished after RELOAD_TIMEOUT_MS, reads again, and ignores the lost read’s late answer', async () => {
    const { kv, get, answer } = fakeKv();
    let now = 0;
    const policy = new PolicySource(base, undefined, kv, () => now);
    const lost = vi.fn();
    void policy.get(lost);
    now = RELOAD_TIMEOUT_MS - 1;
    await policy.get();
    expect(get).toHaveBeenCalledTimes(1);
    now = RELOAD_TIMEOUT_MS;
    const retry = policy.get();
    expect(get).toHaveBeenCalledTimes(2);
    answer(1, { models: { mnist: { slo_ms: 222 } } });
    expect(sloOf(await retry)).toBe(222);
    answer(0, { models: { mnist: { slo_ms: 111 } } });
    await lost.mock.calls[0]![0];
    expect(sloOf(policy.describe().config)).toBe(222);
  });

  it('keeps the last good config and records the error when KV cannot be read', async () => {
    const kv = { get: vi.fn(async () => Promise.reject(new Error('KV is down'))) } as unknown as KVNamespace;
    const policy = new PolicySource(base, undefined, kv);
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect(sloOf(await policy.get())).toBe(100);
    expect(policy.describe().status.last_error).toBe('could not read KV: KV is down');
  });
});

describe('the KV overlay', () => {
  it('merges per model and per field: a KV entry for one model keeps the deployment fields it does not name', async () => {
    const { kv, answer } = fakeKv();
    const deployed = { policy_ttl_ms: 0, models: { mnist: { slo_ms: 100, accuracy_floor: 0.5 }, other: { slo_ms: 7 } } };
    const policy = new PolicySource(deployed, undefined, kv);
    const read = policy.get();
    answer(0, { models: { mnist: { variants: ['int8'] }, added: { slo_ms: 9 } } });
    const config = await read;
    expect(config.models.mnist).toEqual({ slo_ms: 100, accuracy_floor: 0.5, variants: ['int8'] });
    expect(config.models.other).toEqual({ slo_ms: 7 });
    expect(config.models.added).toEqual({ slo_ms: 9 });
    const sources = policy.describe().sources;
    expect(sources['models.mnist.variants']).toBe('kv');
    expect(sources['models.mnist.slo_ms']).toBe('deployment');
  });

  it('lets a KV field override the deployed value of the same field', async () => {
    const { kv, answer } = fakeKv();
    const policy = new PolicySource({ policy_ttl_ms: 0, models: { mnist: { slo_ms: 100, batching: true } } }, undefined, kv);
    const read = policy.get();
    answer(0, { models: { mnist: { slo_ms: 40 } } });
    expect((await read).models.mnist).toEqual({ slo_ms: 40, batching: true });
  });

  it('takes learned profiles from KV whole, next to the routing sections, and rejects a malformed one', async () => {
    const { kv, answer } = fakeKv();
    const policy = new PolicySource({ policy_ttl_ms: 0, models: { mnist: { slo_ms: 100 } } }, undefined, kv);
    const learned = { published_at: '2026-01-01T00:00:00Z', models: { mnist: { int8: { fixed_ms: 0.2, per_item_ms: 0.05, samples: 40 } } } };
    const first = policy.get();
    answer(0, { models: { mnist: { slo_ms: 40 } }, learned });
    const config = await first;
    expect(config.learned?.models.mnist?.int8).toEqual(learned.models.mnist.int8);
    expect(config.models.mnist?.slo_ms).toBe(40);
    expect(policy.describe().sources['learned.models.mnist.int8.fixed_ms']).toBe('kv');
    const second = policy.get();
    answer(1, { learned: { ...learned, models: { mnist: { int8: { fixed_ms: -1, per_item_ms: 0, samples: 1 } } } } });
    expect((await second).learned?.models.mnist?.int8?.fixed_ms).toBe(0.2);
    expect(policy.describe().status.last_error).toMatch(/learned\.models\.mnist\.int8\.fixed_ms/);
  });
});

describe('merging a model\'s sections', () => {
  it('keeps the deployed knobs of a section the KV entry names only some of', () => {
    const merged = mergeModels(
      { mnist: { slo_ms: 80, monitoring: { floor: 0.95, shadow_rate: 0.1 }, device: { allow: false } } },
      { mnist: { monitoring: { cleared: { int8: '2026-01-01T00:00:00Z' } }, variants: ['int8'] }, other: { slo_ms: 5 } },
    );
    expect(merged).toEqual({
      mnist: { slo_ms: 80, variants: ['int8'], monitoring: { floor: 0.95, shadow_rate: 0.1, cleared: { int8: '2026-01-01T00:00:00Z' } }, device: { allow: false } },
      other: { slo_ms: 5 },
    });
  });
});
