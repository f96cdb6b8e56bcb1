/**
 * The local inference engine over onnxruntime (onnxruntime-web WASM in the Worker, onnxruntime-node at the
 * origin: same API). One session per model variant, created on first use and shared by concurrent first
 * requests; runs go through one FIFO queue because WASM in an isolate is single-threaded, which also lets
 * the selector see how much work is already waiting.
 */
import type * as ortTypes from 'onnxruntime-common';
import { EngineFailure } from '../errors.js';
import { datatypeOfOrt, DATATYPE_INFO } from '../protocol/datatypes.js';
import type { Tensor } from '../protocol/tensor.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import type { Backend, BackendRequest, BackendResult } from './backend.js';
import type { ModelStore } from './model-store.js';
import { variantKey } from './model-store.js';

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
  now?: () => number;
}

export class OrtEngine implements Backend {
  private readonly sessions = new Map<string, Promise<ortTypes.InferenceSession>>();
  private readonly loaded = new Set<string>();
  private tail: Promise<unknown> = Promise.resolve();
  private queuedMs = 0;
  private readonly now: () => number;

  constructor(private readonly options: OrtEngineOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Variants of `model` whose sessions are ready in this isolate. */
  loadedVariants(model: ModelManifest): Set<VariantName> {
    const out = new Set<VariantName>();
    for (const v of Object.keys(model.variants) as VariantName[]) if (this.loaded.has(variantKey(model, v))) out.add(v);
    return out;
  }

  /** Predicted ms of work queued ahead of a new run. */
  queueMs(): number {
    return this.queuedMs;
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
        () => this.loaded.add(key),
        () => this.sessions.delete(key),
      );
    }
    return pending;
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
    try {
      return await this.options.ort.InferenceSession.create(bytes, this.options.sessionOptions);
    } catch (cause) {
      throw new EngineFailure(`could not load ${key}: ${(cause as Error).message}`, { cause });
    }
  }

  async infer(req: BackendRequest): Promise<BackendResult> {
    const { model, variant, request } = req;
    const t0 = this.now();
    const wasLoaded = this.loaded.has(variantKey(model, variant));
    const session = await this.session(model, variant);
    const tLoaded = this.now();
    const items = model.batch_axis ? (request.inputs[0]?.shape[0] ?? 1) : 1;
    const predicted = this.options.predictMs?.(model, variant, items) ?? 0;
    this.queuedMs += predicted;
    const run = this.tail.then(async () => {
      const tStart = this.now();
      try {
        const outputs = await this.run(session, req);
        return { outputs, tStart, tEnd: this.now() };
      } finally {
        this.queuedMs -= predicted;
      }
    });
    this.tail = run.catch(() => undefined);
    let done;
    try {
      done = await run;
    } catch (cause) {
      if (cause instanceof EngineFailure) throw cause;
      throw new EngineFailure(`edge inference failed for ${model.name}/${variant}: ${(cause as Error).message}`, { cause });
    }
    return {
      outputs: done.outputs,
      variant,
      timings: { ...(wasLoaded ? {} : { load: tLoaded - t0 }), queue: done.tStart - tLoaded, infer: done.tEnd - done.tStart },
    };
  }

  private async run(session: ortTypes.InferenceSession, req: BackendRequest): Promise<Tensor[]> {
    const { ort } = this.options;
    const feeds: Record<string, ortTypes.Tensor> = {};
    for (const t of req.request.inputs) feeds[t.name] = new ort.Tensor(DATATYPE_INFO[t.datatype].ort, t.data, t.shape);
    const names = req.request.outputs ?? session.outputNames;
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
