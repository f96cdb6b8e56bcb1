/**
 * The engine's sessions in one isolate, and the one place for its memory bookkeeping. One map, key ->
 * entry: a variant is `loading` (reserving its bytes), `ready` (its session in memory) or, for the requests
 * that waited on it, `failed`. A failed or abandoned load is forgotten at once so a later request retries.
 *
 * No promise is shared across requests (a Workers rule: a promise created in a request that is then
 * cancelled may never settle for another). The first request for a variant starts its load once and hands
 * it to its `waitUntil`, so the load outlives a client that goes away; every request, the first included,
 * waits on its own timer by polling the entry (poll.ts) until it is ready, failed, or the wait times out.
 *
 * The memory budget: a load reserves its bytes when it starts; least recently used idle ready sessions are
 * released to make room. Sessions lent to requests are never released; a request that finds the session
 * it waited for released meanwhile loads it again. When the sessions that could make room are all busy, a
 * load waits for one to be given back for as long as its request allows (`roomWaitMs`: at the edge a short
 * bound, after which the data plane has the origin to fall back to; at the origin, which has none, up to the
 * request's deadline), then fails with MemoryBusy (503), or DeadlineExceeded (504) once the deadline has
 * passed. Contention is never an EngineFailure: nothing is wrong with the variant, so nothing cools it down.
 */
import { DeadlineExceeded, EngineFailure, MemoryBusy } from '../errors.js';
import { pollUntil, sleep } from './poll.js';
import type { AcquireOptions, Lease, SessionCacheOptions, SessionEntry } from './session-types.js';

export type { AcquireOptions, Lease, SessionCacheOptions, SessionEntry, SessionState } from './session-types.js';

/** The config knob that sets each scope's budget, named in the messages of a load that does not fit. */
const BUDGET_KNOB = { isolate: 'edge.isolate_memory_budget_bytes', origin: 'origin_limits.memory_budget_bytes' } as const;

/** Long enough for the largest variant a native origin loads; an edge load takes a second or two. */
const LOAD_TIMEOUT_MS = 120_000;
/** Small next to a load (tens of ms and up), cheap on one thread. */
const POLL_MS = 5;

export class SessionCache<S> {
  private readonly entries = new Map<string, SessionEntry<S>>();
  private readonly now: () => number;
  private readonly loadTimeoutMs: number;
  private readonly scope: 'isolate' | 'origin';

  constructor(private readonly options: SessionCacheOptions<S>) {
    this.now = options.now ?? (() => performance.now());
    this.loadTimeoutMs = options.loadTimeoutMs ?? LOAD_TIMEOUT_MS;
    this.scope = options.scope ?? 'isolate';
  }

  /** The entry of a key, if it is loading or ready (read-only view, for metrics and tests). */
  entry(key: string): Readonly<SessionEntry<S>> | undefined {
    return this.entries.get(key);
  }

  isReady(key: string): boolean {
    return this.entries.get(key)?.state === 'ready';
  }

  /** Keys of the ready sessions, least recently used first. */
  readyKeys(): string[] {
    return [...this.entries].filter(([, e]) => e.state === 'ready').sort((a, b) => a[1].lastUsed - b[1].lastUsed).map(([k]) => k);
  }

  /** Bytes the ready sessions hold. */
  residentBytes(): number {
    let sum = 0;
    for (const e of this.entries.values()) if (e.state === 'ready') sum += e.bytes;
    return sum;
  }

  /**
   * The session of `key` for one request: loads it with `load` unless it is loaded or loading, then waits
   * (polling, on this request's timer) until it is ready. Rejects with the load's error, with MemoryBusy when
   * busy sessions leave no room within `roomWaitMs` (DeadlineExceeded past `deadline`), with an EngineFailure
   * when the variant can never fit the budget or its load times out.
   */
  async acquire(key: string, bytes: number, load: () => Promise<S>, opts: AcquireOptions = {}): Promise<Lease<S>> {
    const started = this.now();
    const deadline = started + this.loadTimeoutMs;
    const roomBy = started + Math.min(opts.roomWaitMs ?? 0, this.loadTimeoutMs);
    let waitedForRoom = false;
    for (;;) {
      let e = this.entries.get(key);
      if (e?.state === 'ready') return this.lend(e);
      if (e && this.now() - e.startedAt >= this.loadTimeoutMs) {
        this.forget(key, e);
        e = undefined;
      }
      // Waiters are not counted in flight: one whose request is cancelled would never count itself out.
      if (e) console.debug(JSON.stringify({ event: 'session_wait', key }));
      const victims = e ? [] : this.makeRoom(key, bytes);
      if (!victims) {
        const busy = `${key} (${mib(bytes)} MiB) does not fit the ${this.scope} memory budget (${BUDGET_KNOB[this.scope]}, ${mib(this.options.budgetBytes!)} MiB) while other sessions are busy`;
        if (opts.deadline !== undefined && this.now() >= opts.deadline) throw new DeadlineExceeded(`${busy}: the request's deadline passed while it waited for memory`);
        if (this.now() >= roomBy) throw new MemoryBusy(waitedForRoom ? `${busy}; none was given back within ${Math.round(this.now() - started)} ms` : busy);
        if (!waitedForRoom) console.log(JSON.stringify({ event: 'session_wait_memory', key, bytes }));
        waitedForRoom = true;
        await (this.options.sleep ?? sleep)(this.options.pollMs ?? POLL_MS);
        continue;
      }
      const entry = e ?? this.start(key, bytes, load, victims, opts.waitUntil);
      const settled = await pollUntil(() => entry.state !== 'loading', { deadline, now: this.now, everyMs: this.options.pollMs ?? POLL_MS, sleep: this.options.sleep ?? sleep });
      if (entry.state === 'failed') throw entry.error;
      if (!settled) {
        if (this.now() - entry.startedAt >= this.loadTimeoutMs) this.forget(key, entry);
        throw new EngineFailure(`${key} did not load within ${this.loadTimeoutMs} ms`);
      }
      if (this.entries.get(key) === entry) return this.lend(entry);
      // Released to make room for another load before this request took it: load it again.
    }
  }

  /**
   * Takes a ready session out of the cache (an unload): no request gets it again; it is released now, or when
   * the requests holding it give it back. A load under way is left to finish (its waiters need it).
   */
  async evict(key: string): Promise<boolean> {
    const e = this.entries.get(key);
    if (e?.state !== 'ready') return false;
    this.entries.delete(key);
    if (e.inFlight > 0) e.evicted = true;
    else await this.options.release(e.session!).catch(() => undefined);
    console.log(JSON.stringify({ event: 'session_evicted', key, bytes: e.bytes, in_flight: e.inFlight }));
    return true;
  }

  /** Lends a ready session: counted in flight (never released) until `done`. */
  private lend(e: SessionEntry<S>): Lease<S> {
    e.inFlight++;
    e.lastUsed = this.now();
    let returned = false;
    return {
      session: e.session!,
      done: () => {
        if (returned) return;
        returned = true;
        e.inFlight--;
        e.lastUsed = this.now();
        if (e.evicted && e.inFlight === 0) void this.options.release(e.session!).catch(() => undefined);
      },
    };
  }

  /** Starts one load: reserves its bytes (releasing idle sessions), runs it, records how it ended. */
  private start(key: string, bytes: number, load: () => Promise<S>, victims: Victim<S>[], waitUntil: AcquireOptions['waitUntil']): SessionEntry<S> {
    const entry: SessionEntry<S> = { state: 'loading', bytes, lastUsed: this.now(), inFlight: 0, startedAt: this.now() };
    this.entries.set(key, entry);
    const work = (async () => {
      for (const victim of victims) {
        await this.options.release(victim.session).catch(() => undefined);
        console.log(JSON.stringify({ event: 'session_released', key: victim.key, bytes: victim.bytes, for: key }));
      }
      return load();
    })().then(
      (session) => {
        if (this.entries.get(key) === entry) {
          entry.session = session;
          entry.state = 'ready';
          console.log(JSON.stringify({ event: 'session_loaded', key, bytes, ms: Math.round(this.now() - entry.startedAt) }));
        } else {
          // Abandoned (timed out) meanwhile, possibly replaced by a newer load: do not leak its memory.
          entry.state = 'failed';
          entry.error = new EngineFailure(`${key} loaded after its load was given up`);
          void this.options.release(session).catch(() => undefined);
        }
      },
      (error: unknown) => {
        entry.error = error;
        entry.state = 'failed';
        this.forget(key, entry);
      },
    );
    waitUntil?.(work);
    console.log(JSON.stringify({ event: 'session_loading', key, bytes }));
    return entry;
  }

  /**
   * Picks the least recently used idle sessions to release so `bytes` more fit, and removes them from the
   * map at once (so a concurrent load cannot count them). Removes nothing, and answers undefined, when that
   * would not be enough (the others are busy); throws when `bytes` exceed the whole budget.
   */
  private makeRoom(key: string, bytes: number): Victim<S>[] | undefined {
    const budget = this.options.budgetBytes;
    if (budget === undefined) return [];
    if (bytes > budget) throw new EngineFailure(`${key} needs ${mib(bytes)} MiB of ${this.scope === 'isolate' ? 'WASM ' : ''}memory, the ${this.scope} budget is ${mib(budget)} MiB (${BUDGET_KNOB[this.scope]})`);
    let used = 0;
    for (const e of this.entries.values()) used += e.bytes;
    const victims: Victim<S>[] = [];
    for (const k of this.readyKeys()) {
      if (used + bytes <= budget) break;
      const e = this.entries.get(k)!;
      if (e.inFlight > 0) continue;
      victims.push({ key: k, session: e.session!, bytes: e.bytes });
      used -= e.bytes;
    }
    if (used + bytes > budget) return undefined;
    for (const v of victims) this.entries.delete(v.key);
    return victims;
  }

  /** Drops an entry if it is still the one in the map (a newer load may have replaced it). */
  private forget(key: string, entry: SessionEntry<S>): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
  }
}

/** An idle session released to make room for a load. */
interface Victim<S> {
  key: string;
  session: S;
  bytes: number;
}

/** MiB, one decimal below 10 (a small isolate budget or an mnist variant would otherwise read 0 or 1). */
const mib = (bytes: number) => (bytes < 10 * 1048576 ? Math.round(bytes / 104857.6) / 10 : Math.round(bytes / 1048576));
