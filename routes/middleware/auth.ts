/**
 * API keys, the admin token, the caller id and per-caller rate limits. Keys are never stored in clear: config
 * and the API_KEYS KV namespace hold their SHA-256. 401 when a credential is missing, 403 when it is wrong,
 * 429 with Retry-After when the RATE_LIMITER binding says no. Every inference request gets a caller id
 * (src/protocol/caller.ts): from its key, else its address; at the origin (`trustCallerId`), the one the
 * gateway sends, so the origin's limits and fair share are per tenant, not one bucket for all gateway traffic.
 */
import type { MiddlewareHandler } from 'hono';
import { Forbidden, TooManyRequests, Unauthorized } from '../../src/errors.js';
import { sha256Hex } from '../../src/lib/sha256.js';
import { CALLER_HEADER, callerOfAddress, callerOfKeyHash, parseCallerId } from '../../src/protocol/caller.js';
import type { V2Env } from '../env.js';

/** The credential a caller presents: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
function presented(header: (name: string) => string | undefined): string | undefined {
  const auth = header('authorization');
  if (auth?.toLowerCase().startsWith('bearer ')) return auth.slice(7).trim() || undefined;
  return header('x-api-key')?.trim() || undefined;
}

export interface AuthBindings {
  apiKeys?: KVNamespace | undefined;
  rateLimiter?: RateLimit | undefined;
  /** Workers Analytics Engine dataset for per-request data points, when bound. */
  analytics?: AnalyticsEngineDataset | undefined;
  /**
   * Take the caller id from CALLER_HEADER when a request sends one: the origin, whose callers are gateways
   * holding the shared secret. Never at the gateway, whose clients could claim another caller's share.
   */
  trustCallerId?: boolean | undefined;
}

/**
 * Requires an API key on inference routes when any is configured, sets the request's caller id, then applies
 * the rate limit per caller id.
 */
export function apiKeyAuth(bindings: AuthBindings): MiddlewareHandler<V2Env> {
  return async function apiKeyAuth(c, next) {
    const auth = c.get('plane').config.auth;
    const required = auth.api_keys_sha256.length > 0 || (auth.kv_keys && !!bindings.apiKeys);
    let keyHash: string | undefined;
    if (required) {
      const key = presented((n) => c.req.header(n));
      if (!key) throw new Unauthorized('an API key is required: send Authorization: Bearer <key> or x-api-key');
      const hash = await sha256Hex(key);
      const known = auth.api_keys_sha256.includes(hash) || (auth.kv_keys && bindings.apiKeys ? (await bindings.apiKeys.get(hash)) !== null : false);
      if (!known) throw new Forbidden('unknown API key');
      keyHash = hash;
    }
    // Checked after the credential: only a caller holding the secret may speak for another.
    const sent = bindings.trustCallerId ? c.req.header(CALLER_HEADER) : undefined;
    const caller = sent !== undefined ? parseCallerId(sent) : keyHash ? callerOfKeyHash(keyHash) : await callerOfAddress(c.req.header('cf-connecting-ip') ?? 'local');
    c.set('caller', caller);
    if (auth.rate_limit && bindings.rateLimiter) {
      const { success } = await bindings.rateLimiter.limit({ key: `caller:${caller}` });
      if (!success) throw new TooManyRequests(auth.rate_limit_period_s);
    }
    await next();
  };
}

/** Options of adminAuth. */
export interface AdminAuthOptions {
  /**
   * With no admin token configured, leave the admin surfaces open (local development: `npm start` sets the
   * ADMIN_OPEN var). Default false: a plain deploy fails closed.
   */
  openWithoutToken?: boolean;
}

/**
 * Requires the admin token on admin surfaces (/admin, /metrics, /dashboard). Without a configured token
 * they answer 403 saying how to configure one, unless explicitly opened for local development.
 */
export function adminAuth({ openWithoutToken = false }: AdminAuthOptions = {}): MiddlewareHandler<V2Env> {
  return async function adminAuth(c, next) {
    const expected = c.get('plane').config.auth.admin_token_sha256;
    if (expected) {
      const token = presented((n) => c.req.header(n));
      if (!token) throw new Unauthorized('the admin token is required: send Authorization: Bearer <token>');
      if ((await sha256Hex(token)) !== expected) throw new Forbidden('wrong admin token');
    } else if (!openWithoutToken) {
      throw new Forbidden('admin surfaces are closed: no admin token is configured; set auth.admin_token_sha256 in GATEWAY_CONFIG to the SHA-256 of a token (printf %s "$TOKEN" | sha256sum), or for local development only set the var ADMIN_OPEN=true');
    }
    await next();
  };
}
