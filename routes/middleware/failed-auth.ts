/**
 * Throttling of failed authentication per client address. A wrong credential (an unknown API key, a wrong
 * admin token: the 403s of auth.ts) costs a SHA-256 and, with `auth.kv_keys`, a KV read, and 300 of them used
 * to cost 300 × 403 and nothing else. Now each address may fail `auth.failed_auth_limit` times per
 * `auth.failed_auth_window_s`; past that it is answered 429 with Retry-After until its window ends, before any
 * credential it sends is hashed or looked up (a right key from that address waits too: the address is the
 * only thing known about a guesser). A missing credential (401) costs nothing and is not counted.
 *
 * The count is this isolate's, in a map of at most `maxAddresses` entries (the oldest window goes first), so a
 * flood of addresses cannot grow it without end. With the RATE_LIMITER binding each failure also spends the
 * separate key `authfail:ip:<address>` on it: a ceiling shared by the isolates of a location, at the binding's
 * rate, that an address spraying many isolates still meets.
 */
import { TooManyRequests } from '../../src/errors.js';
import type { GatewayConfig } from '../../src/config.js';

type AuthConfig = GatewayConfig['auth'];

/** Something with the Workers Rate Limiting binding's shape (the origin passes a token bucket). */
export interface RateLimitLike {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface FailedAuthOptions {
  rateLimiter?: RateLimitLike | undefined;
  /** Addresses whose windows are kept at once; default 10 000. */
  maxAddresses?: number;
  now?: () => number;
}

export class FailedAuthLimit {
  private readonly windows = new Map<string, { failures: number; endsAt: number }>();
  private readonly maxAddresses: number;
  private readonly now: () => number;

  constructor(private readonly options: FailedAuthOptions = {}) {
    this.maxAddresses = options.maxAddresses ?? 10_000;
    this.now = options.now ?? (() => Date.now());
  }

  /** Throws 429 when `address` has failed `auth.failed_auth_limit` times in its current window. */
  check(address: string, auth: AuthConfig): void {
    if (auth.failed_auth_limit === 0) return;
    const w = this.windows.get(address);
    const now = this.now();
    if (w && now < w.endsAt && w.failures >= auth.failed_auth_limit) throw refused(Math.ceil((w.endsAt - now) / 1000));
  }

  /** Counts one wrong credential of `address`; throws 429 when the RATE_LIMITER binding says this was one too many. */
  async failed(address: string, auth: AuthConfig): Promise<void> {
    if (auth.failed_auth_limit > 0) this.count(address, auth.failed_auth_window_s * 1000);
    if (auth.rate_limit && this.options.rateLimiter) {
      const { success } = await this.options.rateLimiter.limit({ key: `authfail:ip:${address}` });
      if (!success) throw refused(auth.rate_limit_period_s);
    }
  }

  /** Addresses with a window held (for tests of the bound). */
  get size(): number {
    return this.windows.size;
  }

  private count(address: string, windowMs: number): void {
    const now = this.now();
    let w = this.windows.get(address);
    if (!w || now >= w.endsAt) {
      this.windows.delete(address);
      if (this.windows.size >= this.maxAddresses) this.evict(now);
      w = { failures: 0, endsAt: now + windowMs };
      this.windows.set(address, w);
    }
    w.failures++;
  }

  /** Drops ended windows; if none had ended, the oldest one (Map order is insertion order). */
  private evict(now: number): void {
    for (const [k, w] of this.windows) if (now >= w.endsAt) this.windows.delete(k);
    if (this.windows.size >= this.maxAddresses) this.windows.delete(this.windows.keys().next().value!);
  }
}

function refused(retryAfterSeconds: number): TooManyRequests {
  return new TooManyRequests(Math.max(1, retryAfterSeconds), 'too many failed authentication attempts from this address');
}
