/**
 * The per-address count of failed authentications (routes/middleware/failed-auth.ts) on a fake clock: the
 * threshold, the window, the bounded map, and the RATE_LIMITER key it spends.
 */
import { describe, expect, it } from 'vitest';
import { FailedAuthLimit } from '../../routes/middleware/failed-auth.js';
import { parseConfig } from '../../src/config.js';
import { TooManyRequests } from '../../src/errors.js';

const auth = (over: Record<string, unknown> = {}) => parseConfig({ auth: { failed_auth_limit: 3, failed_auth_window_s: 60, ...over } }).auth;

function limited(options: { maxAddresses?: number; rateLimiter?: { limit(o: { key: string }): Promise<{ success: boolean }> } } = {}) {
  const clock = { t: 0 };
  return { clock, limit: new FailedAuthLimit({ ...options, now: () => clock.t }) };
}

const refusal = (f: () => void) => {
  try {
    f();
  } catch (e) {
    return e as TooManyRequests;
  }
  return undefined;
};

describe('failed authentication per address', () => {
  it('lets an address fail the limit, then refuses it with the seconds left of its window', async () => {
    const { clock, limit } = limited();
    for (let i = 0; i < 3; i++) {
      expect(refusal(() => limit.check('198.51.100.7', auth()))).toBeUndefined();
      await limit.failed('198.51.100.7', auth());
    }
    clock.t = 15_500;
    const e = refusal(() => limit.check('198.51.100.7', auth()));
    expect(e).toBeInstanceOf(TooManyRequests);
    expect(e!.status).toBe(429);
    expect(e!.retryAfterSeconds).toBe(45);
    expect(e!.message).toBe('too many failed authentication attempts from this address; retry in 45 s');
    // Another address is not held to it.
    expect(refusal(() => limit.check('198.51.100.8', auth()))).toBeUndefined();
  });

  it('forgets the failures once the window ends', async () => {
    const { clock, limit } = limited();
    for (let i = 0; i < 3; i++) await limit.failed('a', auth());
    clock.t = 60_000;
    expect(refusal(() => limit.check('a', auth()))).toBeUndefined();
    await limit.failed('a', auth());
    expect(refusal(() => limit.check('a', auth()))).toBeUndefined();
  });

  it('counts nothing with a limit of 0', async () => {
    const { limit } = limited();
    for (let i = 0; i < 100; i++) await limit.failed('a', auth({ failed_auth_limit: 0 }));
    expect(refusal(() => limit.check('a', auth({ failed_auth_limit: 0 })))).toBeUndefined();
    expect(limit.size).toBe(0);
  });

  it('holds at most maxAddresses windows, dropping ended ones first, then the oldest', async () => {
    const { clock, limit } = limited({ maxAddresses: 100 });
    for (let i = 0; i < 1000; i++) await limit.failed(`10.0.${i >> 8}.${i & 255}`, auth());
    expect(limit.size).toBe(100);
    for (let i = 0; i < 3; i++) await limit.failed('held', auth());
    clock.t = 30_000;
    for (let i = 0; i < 50; i++) await limit.failed(`late-${i}`, auth());
    expect(limit.size).toBe(100);
    expect(refusal(() => limit.check('held', auth()))).toBeInstanceOf(TooManyRequests);
  });

  it('spends authfail:ip:<address> on the RATE_LIMITER binding and answers 429 when it says no', async () => {
    const keys: string[] = [];
    const { limit } = limited({ rateLimiter: { limit: async ({ key }) => (keys.push(key), { success: keys.length <= 2 }) } });
    const big = auth({ failed_auth_limit: 1000 });
    await limit.failed('203.0.113.5', big);
    await limit.failed('203.0.113.5', big);
    await expect(limit.failed('203.0.113.5', big)).rejects.toMatchObject({ status: 429, retryAfterSeconds: 60 });
    expect(keys).toEqual(['authfail:ip:203.0.113.5', 'authfail:ip:203.0.113.5', 'authfail:ip:203.0.113.5']);
    await limit.failed('203.0.113.5', auth({ failed_auth_limit: 1000, rate_limit: false }));
    expect(keys).toHaveLength(3);
  });
});
