/**
 * An in-process token bucket with the Workers Rate Limiting binding's shape (`limit({ key })`), so the
 * origin reuses the gateway's auth and rate-limit middleware unchanged: the origin has no binding of its own.
 */
export interface TokenBucketOptions {
  /** Requests allowed per period and key. */
  limit: number;
  periodMs: number;
  now?: () => number;
}

export class TokenBucketLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly now: () => number;

  constructor(private readonly options: TokenBucketOptions) {
    this.now = options.now ?? (() => Date.now());
  }

  async limit({ key }: { key: string }): Promise<{ success: boolean }> {
    const { limit, periodMs } = this.options;
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: limit, at: now };
    b.tokens = Math.min(limit, b.tokens + ((now - b.at) * limit) / periodMs);
    b.at = now;
    const success = b.tokens >= 1;
    if (success) b.tokens -= 1;
    this.buckets.set(key, b);
    // Forget full buckets now and then so a stream of one-off keys cannot grow the map without end.
    if (this.buckets.size > 10_000) for (const [k, v] of this.buckets) if (v.tokens >= limit) this.buckets.delete(k);
    return { success };
  }
}
