/**
 * The session cache's vocabulary (session-cache.ts): a variant's entry and state, a session lent to a
 * request, and the options of the cache and of one acquire.
 */

export type SessionState = 'loading' | 'ready' | 'failed';

/** What the cache knows of one variant's session. */
export interface SessionEntry<S> {
  state: SessionState;
  /** Set once ready. */
  session?: S;
  /** WASM memory the session holds (reserved from the start of its load). */
  bytes: number;
  /** Cache clock (ms) of the last request that asked for it: the LRU order. */
  lastUsed: number;
  /** Requests holding the session (leases not yet done); such a session is never released. */
  inFlight: number;
  /** Why the load failed, for the requests that waited on it. */
  error?: unknown;
  /** Cache clock (ms) when the load started; a load older than the load timeout is abandoned. */
  startedAt: number;
  /** Evicted while lent: released when the last lease is given back. */
  evicted?: boolean;
}

/** A session lent to one request; `done` gives it back (idempotent). */
export interface Lease<S> {
  session: S;
  done(): void;
}

export interface SessionCacheOptions<S> {
  /** Bytes the sessions may hold together; unset means no limit. */
  budgetBytes?: number | undefined;
  release: (session: S) => Promise<void>;
  now?: () => number;
  /** Longest wait for a load (ms); a load running longer is treated as lost and may be started again. */
  loadTimeoutMs?: number | undefined;
  /** How often a waiting request re-checks a load (ms). */
  pollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Whose budget it is, for messages: the edge isolate's WASM memory (default) or the origin's memory. */
  scope?: 'isolate' | 'origin';
}

export interface AcquireOptions {
  /** Keeps a load started by this request alive after it ends (Workers' ctx.waitUntil). */
  waitUntil?: ((work: Promise<unknown>) => void) | undefined;
  /**
   * How long (ms) a load that finds the budget held by busy sessions waits for one to be given back, then
   * MemoryBusy; 0 (the default) fails at once, Infinity waits up to the load timeout or `deadline`.
   */
  roomWaitMs?: number | undefined;
  /** Cache-clock time after which waiting for room is useless (the request's deadline): then 504. */
  deadline?: number | undefined;
}
