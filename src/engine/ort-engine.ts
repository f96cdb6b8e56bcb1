/**
 * The local inference engine over onnxruntime (onnxruntime-web WASM in the Worker, onnxruntime-node at the
 * origin: same API). One session per model variant, created on first use and shared by concurrent first
 * requests; runs go through one queue (WASM in an isolate is single-threaded) that batches compatible
 * requests together (batch-queue.ts) and lets the selector see how much work is already waiting.
 */
import type * as ortTypes from 'onnxruntime-common';
import { EngineFailure } from '../errors.js';
import { datatypeOfOrt, DATATYPE_INFO } from '../protocol/datatypes.js';
import type { InferenceRequest, Tensor } from '../protocol/tensor.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import type { Backend, BackendRequest, BackendResult } from '../backend.js';
import type { ModelStore } from './model-store.js';
import { variantKey } from './model-store.js';
import type { QueueItem } from './batch-queue.js';
import { BatchQueue } from './batch-queue.js';
import { batchSignature, joinRequests, splitOutputs } from './tensor-batch.js';

export interface OrtModule {
  InferenceSession: { create(bytes: Uint8Array, options?: ortTypes.InferenceSession.SessionOptions): Promise<ortTypes.InferenceSession> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => ortTypes.Tensor;
}

export interface OrtEngineOptions {
  ort: OrtModule;
  store: ModelStore;
  sessionOptions?: ortTypes.InferenceSession.SessionOptions;
  /** Predicts a run's duration (ms) so queued work can be reported to the selector. */
  predictMs?: (model: ModelManifest, variant: VariantName, items: number) => number;
  /**
   * WASM memory this isolate may give to sessions (measured `edge_memory_bytes` of each, less the
   * runtime's own base that they all share). Least recently used idle sessions are released to make room.
   */
  memoryBudgetBytes?: number;
  /** Run different variants concurrently (a native runtime with threads); the Worker's WASM cannot. */
  queuePerVariant?: boolean;
  now?: () => number;
}

/** onnxruntime-web's initial WASM memory, included in every variant's measured `edge_memory_bytes`. */
export const WASM_BASE_BYTES = 16 * 1024 * 1024;

interface Resident {
  bytes: number;
  lastUsed: number;
  inFlight: number;
  session: ortTypes.InferenceSession;
}

interface RunResult {
  outputs: Tensor[];
  startedAt: number;
  endedAt: number;
  batch: number;
}

export class OrtEngine implements Backend {
  private readonly sessions = new Map<string, Promise<ortTypes.InferenceSession>>();
  private readonly loaded = new Set<string>();
  private readonly resident = new Map<string, Resident>();
  /** One run queue for the isolate (WASM: one thread), or one per variant (native runtime, many cores). */
  private readonly queues = new Map<string, BatchQueue<RunResult>>();
  private readonly now: () => number;
  /** Sizes of the batches run, for metrics. */
  onBatch?: (model: ModelManifest, variant: VariantName, requests: number, items: number) => void;

  constructor(private readonly options: OrtEngineOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  private queueFor(key: string): BatchQueue<RunResult> {
    const id = this.options.queuePerVariant ? key : '*';
    let q = this.queues.get(id);
    if (!q) {
      q = new BatchQueue<RunResult>((batch) => this.runBatch(batch as EngineItem[]), this.now, (ms) => new Promise((r) => setTimeout(r, ms)));
      this.queues.set(id, q);
    }
    return q;
  }

  /** Variants of `model` whose sessions are ready in this isolate. */
  loadedVariants(model: ModelManifest): Set<VariantName> {
    const out = new Set<VariantName>();
    for (const v of Object.keys(model.variants) as VariantName[]) if (this.loaded.has(variantKey(model, v))) out.add(v);
    return out;
  }

  /** Predicted ms of work queued ahead of a new run. */
  queueMs(): number {
    let ms = 0;
    for (const q of this.queues.values()) ms += q.pendingMs();
    return ms;
  }

  /** The session for a variant, loading it once however many requests ask at the same time. */
  session(model: ModelManifest, variant: VariantName): Promise<ortTypes.InferenceSession> {
    const key = variantKey(model, variant);
    let pending = this.sessions.get(key);
    if (!pending) {
      pending = this.load(model, variant, key);
      this.sessions.set(key, pending);
      // A failed load is forgotten so a later request can try again.
      pending.then(
        (session) => {
          this.loaded.add(key);
          this.resident.set(key, { bytes: sessionBytes(model, variant), lastUsed: this.now(), inFlight: 0, session });
        },
        () => this.sessions.delete(key),
      );
    }
    return pending;
  }

  /** Backend.warm: opens the variant's session ahead of requests (configured warm-up, prewarm). */
  async warm(model: ModelManifest, variant: VariantName): Promise<void> {
    await this.session(model, variant);
  }

  /** Fetches and opens a variant; any failure (missing, corrupt, unloadable) is an EngineFailure. */
  private async load(model: ModelManifest, variant: VariantName, key: string): Promise<ortTypes.InferenceSession> {
    let bytes: Uint8Array | undefined;
    try {
      bytes = await this.options.store.get(model, variant);
    } catch (cause) {
      throw new EngineFailure(`could not fetch ${key}: ${(cause as Error).message}`, { cause });
    }
    if (!bytes) throw new EngineFailure(`variant file ${key} is not in any model store`);
    await this.makeRoom(key, sessionBytes(model, variant));
    try {
      return await this.options.ort.InferenceSession.create(bytes, this.options.sessionOptions);
    } catch (cause) {
      throw new EngineFailure(`could not load ${key}: ${(cause as Error).message}`, { cause });
    }
  }

  /** Whether the WASM runtime is up in this isolate (some session loaded). */
  runtimeReady(): boolean {
    return this.loaded.size > 0;
  }

  /** Bytes the resident sessions hold (beyond the runtime's base). */
  residentBytes(): number {
    let sum = 0;
    for (const r of this.resident.values()) sum += r.bytes;
    return sum;
  }

  /** Keys of the sessions in memory, least recently used first. */
  residentKeys(): string[] {
    return [...this.resident.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed).map(([k]) => k);
  }

  /** Releases least recently used idle sessions until `bytes` more fit the budget; fails if they cannot. */
  private async makeRoom(key: string, bytes: number): Promise<void> {
    const budget = this.options.memoryBudgetBytes;
    if (budget === undefined) return;
    if (bytes > budget) throw new EngineFailure(`${key} needs ${mib(bytes)} MiB of WASM memory, the isolate budget is ${mib(budget)} MiB`);
    for (const victim of this.residentKeys()) {
      if (this.residentBytes() + bytes <= budget) return;
      const r = this.resident.get(victim)!;
      if (r.inFlight > 0) continue;
      this.resident.delete(victim);
      this.sessions.delete(victim);
      this.loaded.delete(victim);
      await r.session.release().catch(() => undefined);
      console.log(JSON.stringify({ event: 'session_released', key: victim, bytes: r.bytes, for: key }));
    }
    if (this.residentBytes() + bytes > budget) throw new EngineFailure(`${key} does not fit the isolate memory budget while other sessions are busy`);
  }

  async infer(req: BackendRequest): Promise<BackendResult> {
    const { model, variant, request } = req;
    const t0 = this.now();
    const wasLoaded = this.loaded.has(variantKey(model, variant));
    const session = await this.session(model, variant);
    const tLoaded = this.now();
    const size = model.batch_axis ? (request.inputs[0]?.shape[0] ?? 1) : 1;
    const predict = (items: number) => this.options.predictMs?.(model, variant, items) ?? 0;
    const batching = model.batch_axis && req.batching ? req.batching : { maxBatch: 1, maxDelayMs: 0 };
    const item: EngineItem = {
      key: `${variantKey(model, variant)}#${batching.maxBatch > 1 ? batchSignature(request) : Math.random()}`,
      size,
      policy: batching,
      // Waiting for company is only worth it while this request's own SLO slack lasts.
      startBy: tLoaded + Math.max(0, req.slackMs ?? 0),
      enqueuedAt: tLoaded,
      predictMs: predict,
      session,
      model,
      variant,
      request,
    };
    let done: RunResult;
    const resident = this.resident.get(variantKey(model, variant));
    if (resident) {
      resident.inFlight++;
      resident.lastUsed = this.now();
    }
    try {
      done = await this.queueFor(variantKey(model, variant)).submit(item);
    } catch (cause) {
      if (cause instanceof EngineFailure) throw cause;
      throw new EngineFailure(`edge inference failed for ${model.name}/${variant}: ${(cause as Error).message}`, { cause });
    } finally {
      if (resident) resident.inFlight--;
    }
    return {
      outputs: done.outputs,
      variant,
      batch: done.batch,
      timings: { ...(wasLoaded ? {} : { load: tLoaded - t0 }), queue: done.startedAt - tLoaded, infer: done.endedAt - done.startedAt },
    };
  }

  /** Runs queued requests as one batch and hands each its own rows. */
  private async runBatch(batch: EngineItem[]): Promise<RunResult[]> {
    const head = batch[0]!;
    const startedAt = this.now();
    const joined = joinRequests(batch.map((i) => i.request));
    const outputs = await this.run(head.session, joined);
    const endedAt = this.now();
    const sizes = batch.map((i) => i.size);
    const total = sizes.reduce((a, b) => a + b, 0);
    this.onBatch?.(head.model, head.variant, batch.length, total);
    return splitOutputs(outputs, sizes).map((o) => ({ outputs: o, startedAt, endedAt, batch: total }));
  }

  private async run(session: ortTypes.InferenceSession, request: InferenceRequest): Promise<Tensor[]> {
    const { ort } = this.options;
    const feeds: Record<string, ortTypes.Tensor> = {};
    for (const t of request.inputs) feeds[t.name] = new ort.Tensor(DATATYPE_INFO[t.datatype].ort, t.data, t.shape);
    const names = request.outputs ?? session.outputNames;
    const results = await session.run(feeds, [...names]);
    return names.map((name) => {
      const out = results[name];
      if (!out) throw new Error(`the model did not produce output '${name}'`);
      const datatype = datatypeOfOrt(out.type);
      if (!datatype) throw new Error(`output '${name}' has unsupported type ${out.type}`);
      return { name, datatype, shape: [...out.dims], data: out.data as Tensor['data'] };
    });
  }
}

function sessionBytes(model: ModelManifest, variant: VariantName): number {
  const v = model.variants[variant]!;
  return Math.max(v.bytes, v.edge_memory_bytes - WASM_BASE_BYTES);
}

const mib = (bytes: number) => Math.round(bytes / 1048576);

interface EngineItem extends QueueItem<RunResult> {
  session: ortTypes.InferenceSession;
  model: ModelManifest;
  variant: VariantName;
  request: InferenceRequest;
}
