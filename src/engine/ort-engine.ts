/**
 * The local inference engine over onnxruntime (onnxruntime-web WASM in the Worker, onnxruntime-node at the
 * origin: same API). One session per model variant, loaded on first use and kept within the isolate's
 * memory budget by the session cache (session-cache.ts, where concurrent first requests share one load
 * without sharing a promise); runs go through one queue (WASM in an isolate is single-threaded) that
 * batches compatible requests together (batch-queue.ts) and lets the selector see how much work is waiting.
 *
 * Why a run failed decides who pays for it. onnxruntime refusing a request's values (a token id beyond the
 * vocabulary, a size its layers cannot take) is the caller's: 422 with the reason cleaned to one line
 * (ModelRejectedInput), and in a batch only that request fails: the batch is re-run one request at a time.
 * A WASM trap, memory exhaustion, or a session that does not produce what its manifest promised is the
 * serving side's (EngineFailure: fallback and cooldown). A variant that has not yet answered anything in this
 * process is marked `unproven`, since then the file may be what is wrong (serve.ts asks the origin).
 *
 * With `admission` (the origin: one process serving every caller) a request is judged by its predicted
 * cost before it loads or queues (admission.ts), and queued work is never started once it can no longer
 * finish by its deadline. Runs are shared fairly between callers (caller-share.ts, one ledger for all queues).
 */
import type * as ortTypes from 'onnxruntime-common';
import { DeadlineExceeded, EngineFailure, GatewayError } from '../errors.js';
import type { InferenceRequest, Tensor } from '../protocol/tensor.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import { requestItems } from '../registry/registry.js';
import type { Backend, BackendRequest, BackendResult } from '../backend.js';
import { admit } from './admission.js';
import { variantKey } from './model-store.js';
import type { QueueItem, Settled } from './batch-queue.js';
import { BatchQueue } from './batch-queue.js';
import { CallerShare } from './caller-share.js';
import { openSession, runSession } from './ort-session.js';
import { sleep } from './poll.js';
import type { Lease } from './session-cache.js';
import { SessionCache } from './session-cache.js';
import { batchSignature, joinRequests, splitOutputs } from './tensor-batch.js';
import { runFailure, sessionBytes, type OrtEngineOptions } from './engine-options.js';

export type { OrtModule } from './ort-session.js';
export type { OrtEngineOptions } from './engine-options.js';
export { servingSideFault, WASM_BASE_BYTES } from './engine-options.js';

type Session = ortTypes.InferenceSession;
type WaitUntil = BackendRequest['waitUntil'];

interface RunResult {
  outputs: Tensor[];
  startedAt: number;
  endedAt: number;
  batch: number;
}

export class OrtEngine implements Backend {
  private readonly cache: SessionCache<Session>;
  /** One run queue for the isolate (WASM: one thread), or one per variant (native runtime, many cores). */
  private readonly queues = new Map<string, BatchQueue<RunResult>>();
  private readonly now: () => number;
  /** Variants (keys) that have answered at least one request in this process. */
  private readonly proven = new Set<string>();
  /** Each caller's recent compute, shared by every queue: fair shares span variants. */
  private readonly share: CallerShare;
  /** Sizes of the batches run, for metrics. */
  onBatch?: (model: ModelManifest, variant: VariantName, requests: number, items: number) => void;

  constructor(private readonly options: OrtEngineOptions) {
    this.now = options.now ?? (() => performance.now());
    this.share = new CallerShare(this.now);
    const { memoryBudgetBytes: budgetBytes, loadTimeoutMs, waitForMemory } = options;
    this.cache = new SessionCache<Session>({ budgetBytes, loadTimeoutMs, release: (s) => s.release(), now: this.now, ...(waitForMemory ? { scope: 'origin' as const } : {}) });
  }

  private queueFor(key: string): BatchQueue<RunResult> {
    const id = this.options.queuePerVariant ? key : '*';
    let q = this.queues.get(id);
    if (!q) {
      q = new BatchQueue<RunResult>((batch) => this.runBatch(batch as EngineItem[]), this.now, sleep, this.share);
      this.queues.set(id, q);
    }
    return q;
  }

  /** Variants of `model` whose sessions are ready in this isolate. */
  loadedVariants(model: ModelManifest): Set<VariantName> {
    const out = new Set<VariantName>();
    for (const v of Object.keys(model.variants) as VariantName[]) if (this.cache.isReady(variantKey(model, v))) out.add(v);
    return out;
  }

  /** Predicted ms of work queued ahead of a new run. */
  queueMs(): number {
    let ms = 0;
    for (const q of this.queues.values()) ms += q.pendingMs();
    return ms;
  }

  /**
   * The session for a variant, loading it once however many requests ask at the same time (prewarm, warm,
   * the origin's startup). `waitUntil` keeps a load this call starts alive past the caller's request.
   */
  async session(model: ModelManifest, variant: VariantName, waitUntil?: WaitUntil): Promise<Session> {
    const lease = await this.lease(model, variant, waitUntil);
    lease.done();
    return lease.session;
  }

  /** Backend.warm: opens the variant's session ahead of requests (configured warm-up, prewarm). */
  async warm(model: ModelManifest, variant: VariantName, waitUntil?: WaitUntil): Promise<void> {
    await this.session(model, variant, waitUntil);
  }

  /** Backend.unload: releases this isolate's sessions of `model` (a busy one once its runs end); the variants released. */
  async unload(model: ModelManifest): Promise<VariantName[]> {
    const out: VariantName[] = [];
    for (const v of Object.keys(model.variants) as VariantName[]) if (await this.cache.evict(variantKey(model, v))) out.push(v);
    return out;
  }

  /**
   * A session lent for one use. `leftMs`: the time to the request's deadline, if it has one; the origin waits
   * that long for busy sessions to make room (then 504), the edge at most `memoryWaitMs` of it (then MemoryBusy).
   */
  private lease(model: ModelManifest, variant: VariantName, waitUntil: WaitUntil, leftMs?: number): Promise<Lease<Session>> {
    const { ort, store, sessionOptions, waitForMemory } = this.options;
    const open = () => openSession(ort, store, model, variant, sessionOptions);
    const room = waitForMemory
      ? { roomWaitMs: Infinity, deadline: leftMs === undefined ? undefined : this.now() + leftMs }
      : { roomWaitMs: Math.max(0, Math.min(this.options.memoryWaitMs ?? 0, leftMs ?? Infinity)) };
    return this.cache.acquire(variantKey(model, variant), sessionBytes(model, variant), open, { waitUntil, ...room });
  }

  /** Whether the WASM runtime is up in this isolate (some session loaded). */
  runtimeReady(): boolean {
    return this.cache.readyKeys().length > 0;
  }

  /** Bytes the resident sessions hold (beyond the runtime's base). */
  residentBytes(): number {
    return this.cache.residentBytes();
  }

  /** Keys of the sessions in memory, least recently used first. */
  residentKeys(): string[] {
    return this.cache.readyKeys();
  }

  async infer(req: BackendRequest): Promise<BackendResult> {
    const { model, variant, request } = req;
    const key = variantKey(model, variant);
    const t0 = this.now();
    const wasLoaded = this.cache.isReady(key);
    const queue = this.queueFor(key);
    const costMs = this.options.predictMs?.(model, variant, requestItems(model, request.inputs));
    const { admission } = this.options;
    // At the edge a late answer is still wanted, unless the caller set the deadline itself (v2 `timeout`).
    const drop = this.options.dropPastDeadline || req.deadlineFromCaller;
    // The latest time the run may start, on the queue's clock (the request's deadline is wall-clock time):
    // under admission, early enough to finish by the deadline.
    const latestStart = () => (drop && req.deadline !== undefined ? this.now() + (req.deadline - Date.now()) - (admission ? (costMs ?? 0) : 0) : undefined);
    const judge = (latest: number | undefined) => {
      if (!admission || costMs === undefined) return;
      const aheadMs = () => queue.aheadMs({ caller: req.caller, priority: req.priority, deadline: latest });
      admit({ name: `${model.name}/${variant}`, costMs, latestStart: latest, now: this.now(), aheadMs, limit: admission });
    };
    // Judged before a session is loaded (a 400 MB load for a request that will be refused is waste) and again after.
    judge(latestStart());
    const lease = await this.lease(model, variant, req.waitUntil, req.deadline === undefined ? undefined : req.deadline - Date.now());
    const tLoaded = this.now();
    const size = model.batch_axis ? (request.inputs[0]?.shape[0] ?? 1) : 1;
    const predict = (items: number) => this.options.predictMs?.(model, variant, items) ?? 0;
    const batching = model.batch_axis && req.batching ? req.batching : { maxBatch: 1, maxDelayMs: 0 };
    const deadline = latestStart();
    try {
      judge(deadline);
    } catch (e) {
      lease.done();
      throw e;
    }
    const item: EngineItem = {
      key: `${key}#${batching.maxBatch > 1 ? batchSignature(request) : Math.random()}`,
      signal: req.signal,
      deadline,
      priority: req.priority,
      caller: req.caller,
      costMs,
      expired: () => new DeadlineExceeded(`${model.name}/${variant}: the request's deadline passed while it waited to run${admission ? ' (or it could no longer finish by it)' : ''}`),
      size,
      policy: batching,
      // Waiting for company is only worth it while this request's own SLO slack lasts.
      startBy: tLoaded + Math.max(0, req.slackMs ?? 0),
      enqueuedAt: tLoaded,
      predictMs: predict,
      session: lease.session,
      model,
      variant,
      request,
    };
    const run = queue.submit(item, req.waitUntil).finally(() => lease.done());
    // Kept alive if this request is cancelled: its `finally` would never run and the session stay pinned.
    req.waitUntil?.(run.catch(() => undefined));
    let done: RunResult;
    try {
      done = await run;
    } catch (cause) {
      if (cause instanceof GatewayError) throw cause;
      throw new EngineFailure(`edge inference failed for ${model.name}/${variant}: ${(cause as Error).message}`, { cause });
    }
    return {
      outputs: done.outputs,
      variant,
      batch: done.batch,
      timings: { ...(wasLoaded ? {} : { load: tLoaded - t0 }), queue: done.startedAt - tLoaded, infer: done.endedAt - done.startedAt },
    };
  }

  /**
   * Runs queued requests as one batch and hands each its own rows. When the batch fails, each request is
   * run alone, so a request the model refuses fails only itself (a poisoned neighbour costs one extra run).
   */
  private async runBatch(batch: EngineItem[]): Promise<Settled<RunResult>[]> {
    const head = batch[0]!;
    const startedAt = this.now();
    let outputs: Tensor[];
    try {
      outputs = await runSession(this.options.ort, head.session, joinRequests(batch.map((i) => i.request)));
    } catch (cause) {
      if (batch.length === 1) return [{ ok: false, error: this.runFailure(head, cause) }];
      const alone: Settled<RunResult>[] = [];
      for (const item of batch) alone.push(...(await this.runBatch([item])));
      return alone;
    }
    const endedAt = this.now();
    const sizes = batch.map((i) => i.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    this.proven.add(variantKey(head.model, head.variant));
    this.onBatch?.(head.model, head.variant, batch.length, total);
    return splitOutputs(outputs, sizes).map((o) => ({ ok: true, value: { outputs: o, startedAt, endedAt, batch: total } }));
  }

  /** Whose fault a failed run of one request is: see the module comment. */
  private runFailure(item: EngineItem, cause: unknown): GatewayError {
    const key = variantKey(item.model, item.variant);
    return runFailure(item.model, key, cause, this.proven.has(key));
  }
}

interface EngineItem extends QueueItem<RunResult> {
  session: Session;
  model: ModelManifest;
  variant: VariantName;
  request: InferenceRequest;
}
