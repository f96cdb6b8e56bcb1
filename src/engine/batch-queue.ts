/**
 * The run queue of one isolate's engine, with SLO-aware dynamic batching. WASM in a Worker is single
 * threaded, so runs are serialized; while one runs, requests for the same model variant and shape pile up
 * and the next run takes them together (Triton's dynamic batcher, but the wait for more is bounded by the
 * tightest SLO slack in the batch, not only by a fixed max_queue_delay).
 *
 * No background loop: each waiting request drives the queue in its own request context when nothing is
 * running, so no request depends on another request's context staying alive (a Workers rule). Waiters
 * poll on their own timers instead of being woken: in workerd, settling a promise that belongs to another
 * request's context is I/O on its behalf (refused, or lost when that request has finished). A run is
 * handed to its driver's `waitUntil`, so a driver whose client goes away still finishes the others' run.
 *
 * Waiting for more requests is a bet, taken only when it is likely to pay (batch-bet.ts).
 *
 * Which request runs next: the one whose caller has had the least compute lately (a fair share per caller,
 * caller-share.ts, shared by all the engine's queues), then Triton's priority (best, lowest level first),
 * then the earliest deadline, then the oldest. The caller's share comes before the priority because a
 * client chooses its own priority: at the origin one tenant's priority-1 flood must not starve another
 * tenant. With one caller (or none named) the order is Triton's, ties broken by deadline. Requests of
 * other callers and levels with the same key may share the chosen run (that delays nobody). Each run is
 * charged to its requests' callers: its predicted cost when it starts, corrected by what it took.
 *
 * Work nobody waits for is dropped, never run: a request whose client left (its signal aborted) leaves the
 * queue at its next poll, and one whose deadline has passed before its run starts is failed with `expired()` instead
 * of running (when the owner gives it a deadline: the origin does, see ort-engine.ts). Each request of a
 * batch gets its own outcome (`Settled`), so one bad request fails only itself (the engine isolates it).
 */
import { ClientClosedRequest } from '../errors.js';
import { ArrivalHistory } from './batch-bet.js';
import { CallerShare } from './caller-share.js';

/** How often a waiting request re-checks the queue (ms): small next to a run, cheap on one thread. */
const POLL_MS = 2;

export interface BatchPolicy {
  /** Largest total batch (sum of the requests' batch sizes); 1 turns batching off. */
  maxBatch: number;
  /** Longest wait to gather more requests (ms), further bounded by the requests' slack. */
  maxDelayMs: number;
}

export interface QueueItem<R> {
  /** Requests with the same key may share a run. */
  key: string;
  /** This request's batch size. */
  size: number;
  policy: BatchPolicy;
  /** Latest time (queue clock, ms) the run may start and still meet the SLO. */
  startBy: number;
  enqueuedAt: number;
  predictMs: (totalItems: number) => number;
  /** Aborted when the caller goes away: the request leaves the queue. */
  signal?: AbortSignal | undefined;
  /** Latest time (queue clock) a run including this request may start; after it the request fails with `expired()`. */
  deadline?: number | undefined;
  /** Triton's priority level: 1 first; the queue runs the best level's oldest request next (absent: last). */
  priority?: number | undefined;
  /** Who sent it (an opaque id): the queue shares its runs fairly between callers. */
  caller?: string | undefined;
  /** Predicted compute of this request run alone (ms); absent: `predictMs(size)`. */
  costMs?: number | undefined;
  /** The error a request whose deadline passed in the queue fails with. */
  expired?: () => Error;
  result?: Settled<R>;
}

/** One request's outcome of a run. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export interface BatchRun<R> {
  items: QueueItem<R>[];
  startedAt: number;
}

export class BatchQueue<R> {
  private readonly queue: QueueItem<R>[] = [];
  private running = false;
  /** Queue clock at which the run in progress is predicted to end (0: none running). */
  private runEndsAt = 0;
  /** Per key: whether arrivals lately found company, for the bet on waiting. */
  private readonly arrivals = new ArrivalHistory();

  constructor(
    /** Runs a batch; one outcome per request, in order (a run that throws fails them all). */
    private readonly run: (batch: QueueItem<R>[]) => Promise<Settled<R>[]>,
    private readonly now: () => number,
    private readonly sleep: (ms: number) => Promise<void>,
    /** Each caller's recent compute; pass one ledger to every queue of an engine. */
    private readonly share: CallerShare = new CallerShare(now),
  ) {}

  /** Predicted ms of work waiting (each item alone; batching only makes it less). */
  pendingMs(): number {
    return this.queue.reduce((ms, item) => ms + costOf(item), 0);
  }

  /**
   * Predicted ms before `item` would start if it were queued now: what is left of the run in progress, plus
   * every waiting request the queue would run before it (each alone: batching only makes it less).
   */
  aheadMs(item: Pick<QueueItem<R>, 'caller' | 'priority' | 'deadline'>): number {
    const rank = this.rank(item);
    let ms = Math.max(0, this.runEndsAt - this.now());
    for (const q of this.queue) if (q !== item && compare(this.rank(q), rank) <= 0) ms += costOf(q);
    return ms;
  }

  get length(): number {
    return this.queue.length;
  }

  /**
   * Queues one request and resolves with its own result once a run that includes it has finished.
   * `waitUntil` (Workers' ctx.waitUntil) keeps a run this request drives alive if the request is cancelled.
   */
  async submit(item: QueueItem<R>, waitUntil?: (work: Promise<unknown>) => void): Promise<R> {
    this.queue.push(item);
    // Only keys that can batch keep history (a key per request would otherwise grow the map forever).
    const done = item.policy.maxBatch > 1 ? this.arrivals.arrived(item.key) : undefined;
    try {
      return await this.settle(item, waitUntil);
    } finally {
      done?.();
    }
  }

  private async settle(item: QueueItem<R>, waitUntil?: (work: Promise<unknown>) => void): Promise<R> {
    while (!item.result) {
      if (item.signal?.aborted) {
        this.remove(item);
        throw new ClientClosedRequest();
      }
      if (!this.running) {
        this.running = true;
        const drive = this.runNext().finally(() => (this.running = false));
        waitUntil?.(drive.catch(() => undefined));
        await drive;
      } else {
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    }
    if (item.result.ok) return item.result.value;
    throw item.result.error;
  }

  /** Takes the head request and every compatible one behind it (up to maxBatch), waits if worth it, runs. */
  private async runNext(): Promise<void> {
    this.dropAbandoned();
    const head = this.next();
    if (!head) return;
    let batch = this.gather(head);
    const total = () => batch.reduce((n, i) => n + i.size, 0);
    if (head.policy.maxBatch > 1 && total() < head.policy.maxBatch) {
      const slack = Math.min(...batch.map((i) => i.startBy)) - this.now();
      const wait = Math.min(head.policy.maxDelayMs - (this.now() - head.enqueuedAt), slack);
      if (wait > 0 && this.arrivals.worthWaiting(head.key, head.predictMs, total())) {
        await this.sleep(wait);
        batch = this.gather(head);
      }
    }
    for (const item of batch) this.remove(item);
    const live = batch.filter((item) => !this.abandoned(item));
    if (live.length === 0) return;
    batch = live;
    // Charged when it starts, so requests deciding meanwhile see it; corrected by what it took at the end.
    const predicted = batch.reduce((ms, item) => ms + costOf(item), 0);
    for (const item of batch) this.share.charge(item.caller, costOf(item));
    const startedAt = this.now();
    this.runEndsAt = startedAt + predicted;
    try {
      const results = await this.run(batch);
      batch.forEach((item, i) => (item.result = results[i] ?? { ok: false, error: new Error('the run returned no result for this request') }));
    } catch (error) {
      for (const item of batch) item.result = { ok: false, error };
    } finally {
      this.runEndsAt = 0;
      const took = this.now() - startedAt;
      if (predicted > 0) for (const item of batch) this.share.charge(item.caller, ((took - predicted) * costOf(item)) / predicted);
    }
  }

  /** Keys with arrival history (bounded). */
  get trackedKeys(): number {
    return this.arrivals.size;
  }

  private remove(item: QueueItem<R>): void {
    const at = this.queue.indexOf(item);
    if (at >= 0) this.queue.splice(at, 1);
  }

  /**
   * Settles a request that may no longer start (its deadline passed). Only plain data is read here: the
   * driver runs in another request's context, and in workerd touching that request's I/O objects (its
   * AbortSignal) from here is refused; each waiter checks its own signal in its own loop (`submit`).
   */
  private abandoned(item: QueueItem<R>): boolean {
    if (item.deadline !== undefined && this.now() > item.deadline) {
      item.result = { ok: false, error: item.expired?.() ?? new Error('deadline passed before the run started') };
      return true;
    }
    return false;
  }

  private dropAbandoned(): void {
    for (const item of [...this.queue]) if (this.abandoned(item)) this.remove(item);
  }

  /** The request to run next: see the module comment for the order. */
  private next(): QueueItem<R> | undefined {
    let best: QueueItem<R> | undefined;
    let bestRank: Rank | undefined;
    for (const item of this.queue) {
      const rank = this.rank(item);
      // Strictly better only: among equals the earlier arrival (queue order) keeps its place.
      if (!bestRank || compare(rank, bestRank) < 0) [best, bestRank] = [item, rank];
    }
    return best;
  }

  private rank(item: Pick<QueueItem<R>, 'caller' | 'priority' | 'deadline'>): Rank {
    return [this.share.usage(item.caller), item.priority ?? Infinity, item.deadline ?? Infinity];
  }

  private gather(head: QueueItem<R>): QueueItem<R>[] {
    const batch = [head];
    let size = head.size;
    for (const item of this.queue) {
      if (item === head || item.key !== head.key) continue;
      if (size + item.size > head.policy.maxBatch) break;
      batch.push(item);
      size += item.size;
    }
    return batch;
  }
}

/** The order of waiting requests: caller's recent compute, priority level, deadline (lower runs first). */
type Rank = [usage: number, priority: number, deadline: number];

function compare(a: Rank, b: Rank): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  return 0;
}

function costOf<R>(item: QueueItem<R>): number {
  return item.costMs ?? item.predictMs(item.size);
}
