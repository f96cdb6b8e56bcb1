/**
 * API keys, the admin token, the caller id and per-caller rate limits. Keys are never stored in clear: config
 * and the API_KEYS KV namespace hold their SHA-256. 401 when a credential is missing, 403 when it is wrong,
 * 429 with Retry-After when the RATE_LIMITER binding says no, or when the caller's address has failed
 * authentication too often (failed-auth.ts). Every inference request gets a caller id (src/protocol/caller.ts):
 * from its key, else its address; at the origin (`trustCallerId`), the one the gateway sends, so the origin's
 * limits and fair share are per tenant, not one bucket for all gateway traffic.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { Forbidden, TooManyRequests, Unauthorized } from '../../src/errors.js';
import { sha256Hex } from '../../src/lib/sha256.js';
import { CALLER_HEADER, callerOfAddress, callerOfKeyHash, parseCallerId } from '../../src/protocol/caller.js';
import type { V2Env } from '../env.js';
import type { FailedAuthLimit } from './failed-auth.js';

/** The caller's address as the platform states it: Cloudflare's `cf-connecting-ip` ('local' when absent). */
export function connectingIp(c: Context<V2Env>): string {
  return c.req.header('cf-connecting-ip') ?? 'local';
}

/** How both guards learn who is calling and keep count of wrong credentials. */
export interface CallerOptions {
  /** Failed authentications per address; one per app, shared by both guards. */
  failures: FailedAuthLimit;
  /** Default `connectingIp`; the origin on Node passes the socket's address. */
  clientAddress?: (c: Context<V2Env>) => string;
}

/** The `Authorization: Bearer <credential>` a caller presents. */
function bearer(header: (name: string) => string | undefined): string | undefined {
  const auth = header('authorization');
  return auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() || undefined : undefined;
}

/** The API key a caller presents: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
function presentedKey(header: (name: string) => string | undefined): string | undefined {
  return bearer(header) ?? (header('x-api-key')?.trim() || undefined);
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

/** Whether inference (and the device tier) needs an API key: keys in config, or the API_KEYS namespace in use. */
export function keysRequired(auth: { api_keys_sha256: readonly string[]; kv_keys: boolean }, apiKeysBound: boolean): boolean {
  return auth.api_keys_sha256.length > 0 || (auth.kv_keys && apiKeysBound);
}

/**
 * Requires an API key on inference routes when any is configured, sets the request's caller id, then applies
 * the rate limit per caller id.
 */
export function apiKeyAuth(bindings: AuthBindings, { failures, clientAddress = connectingIp }: CallerOptions): MiddlewareHandler<V2Env> {
  return async function apiKeyAuth(c, next) {
    const auth = c.get('plane').config.auth;
    const required = keysRequired(auth, !!bindings.apiKeys);
    c.set('keyRequired', required);
    const address = clientAddress(c);
    let keyHash: string | undefined;
    if (required) {
      const key = presentedKey((n) => c.req.header(n));
      if (!key) throw new Unauthorized('an API key is required: send Authorization: Bearer <key> or x-api-key');
      failures.check(address, auth);
      const hash = await sha256Hex(key);
      // The admin token opens the operator's surfaces only: a leak of a client's credentials must not be one of
      // the admin's, nor the reverse (config refuses it in api_keys_sha256; the API_KEYS namespace is checked here).
      if (hash === auth.admin_token_sha256) {
        await failures.failed(address, auth);
        throw new Forbidden('the admin token is not an API key: it opens /admin, /metrics and /dashboard only');
      }
      const known = auth.api_keys_sha256.includes(hash) || (auth.kv_keys && bindings.apiKeys ? (await bindings.apiKeys.get(hash)) !== null : false);
      if (!known) {
        await failures.failed(address, auth);
        throw new Forbidden('unknown API key');
      }
      keyHash = hash;
    }
    // Checked after the credential: only a caller holding the secret may speak for another.
    const sent = bindings.trustCallerId ? c.req.header(CALLER_HEADER) : undefined;
    const caller = sent !== undefined ? parseCallerId(sent) : keyHash ? callerOfKeyHash(keyHash) : await callerOfAddress(address);
    c.set('caller', caller);
    if (auth.rate_limit && bindings.rateLimiter) {
      const { success } = await bindings.rateLimiter.limit({ key: `caller:${caller}` });
      if (!success) throw new TooManyRequests(auth.rate_limit_period_s);
    }
    await next();
  };
}

/** Options of adminAuth. */
export interface AdminAuthOptions extends CallerOptions {
  /**
   * With no admin token configured, leave the admin surfaces open (local development: `npm start` sets the
   * ADMIN_OPEN var). Default false: a plain deploy fails closed.
   */
  openWithoutToken?: boolean;
  /** The 403's words when closed for want of a token; default: how to set `auth.admin_token_sha256`. */
  closedReason?: string;
}

const CLOSED = 'admin surfaces are closed: no admin token is configured; set auth.admin_token_sha256 in GATEWAY_CONFIG to the SHA-256 of a token (printf %s "$TOKEN" | sha256sum), or for local development only set the var ADMIN_OPEN=true';

/**
 * Requires the admin token, as `Authorization: Bearer` only, on admin surfaces (/admin, /metrics, /dashboard):
 * `x-api-key` carries API keys, and an API key is never the admin token. Without a configured token they
 * answer 403 saying how to configure one, unless explicitly opened for local development.
 */
export function adminAuth({ openWithoutToken = false, closedReason = CLOSED, failures, clientAddress = connectingIp }: AdminAuthOptions): MiddlewareHandler<V2Env> {
  return async function adminAuth(c, next) {
    const auth = c.get('plane').config.auth;
    const expected = auth.admin_token_sha256;
    if (expected) {
      const token = bearer((n) => c.req.header(n));
      if (!token) throw new Unauthorized(`the admin token is required: send Authorization: Bearer <token>${c.req.header('x-api-key') ? ' (x-api-key carries API keys, never the admin token)' : ''}`);
      const address = clientAddress(c);
      failures.check(address, auth);
      if ((await sha256Hex(token)) !== expected) {
        await failures.failed(address, auth);
        throw new Forbidden('wrong admin token');
      }
    } else if (!openWithoutToken) {
      throw new Forbidden(closedReason);
    }
    await next();
  };
}
