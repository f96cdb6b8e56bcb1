/**
 * Runs a verified variant on the device with onnxruntime-web (WASM). One session per artifact URL, made
 * on first use and kept; a session that fails to load is forgotten so the next call can try again.
 * The runtime is the page's `ort` when given (it points `ort.env.wasm.wasmPaths` at its own copy of the
 * .wasm files), else `import('onnxruntime-web')`, loaded on first device run, never at import time.
 */
import { datatypeOfOrt, KINDS } from './tensors.js';
import type { Tensor, TensorData } from './types.js';

/** The part of onnxruntime-web the SDK uses. */
export interface OrtLike {
  env: { wasm: { numThreads?: number; wasmPaths?: unknown; proxy?: boolean } };
  Tensor: new (type: string, data: TensorData, dims: readonly number[]) => OrtTensorLike;
  InferenceSession: { create(model: Uint8Array, options?: Record<string, unknown>): Promise<OrtSessionLike> };
}
interface OrtTensorLike {
  type: string;
  dims: readonly number[];
  data: unknown;
}
interface OrtSessionLike {
  readonly outputNames: readonly string[];
  run(feeds: Record<string, OrtTensorLike>): Promise<Record<string, OrtTensorLike>>;
}

export interface OrtOptions {
  /** onnxruntime-web, as the page loaded it; default: `import('onnxruntime-web')`. */
  ort?: OrtLike | undefined;
  /** Where the page serves onnxruntime-web's .wasm/.mjs files (sets `ort.env.wasm.wasmPaths`). */
  wasmPaths?: string | undefined;
  /** WASM threads; default 1 (threads need cross-origin isolation). */
  numThreads?: number | undefined;
}

export class DeviceRunner {
  private runtime: Promise<OrtLike> | undefined;
  private readonly sessions = new Map<string, Promise<OrtSessionLike>>();

  constructor(private readonly options: OrtOptions) {}

  private ort(): Promise<OrtLike> {
    return (this.runtime ??= (async () => {
      const ort = this.options.ort ?? ((await import('onnxruntime-web')) as unknown as OrtLike);
      ort.env.wasm.numThreads = this.options.numThreads ?? 1;
      if (this.options.wasmPaths !== undefined) ort.env.wasm.wasmPaths = this.options.wasmPaths;
      return ort;
    })());
  }

  /** Whether a session for `url` is already made (or being made). */
  loaded(url: string): boolean {
    return this.sessions.has(url);
  }

  /** Makes (or reuses) the session for `url` from `bytes`. */
  session(url: string, bytes: Uint8Array): Promise<OrtSessionLike> {
    let s = this.sessions.get(url);
    if (!s) {
      s = this.ort().then((ort) => ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' }));
      s.catch(() => this.sessions.delete(url));
      this.sessions.set(url, s);
    }
    return s;
  }

  /** Runs the session for `url` (made by session()) on `inputs`. */
  async run(url: string, inputs: Tensor[], outputs?: string[]): Promise<Tensor[]> {
    const session = await this.sessions.get(url);
    if (!session) throw new Error(`no session for ${url}`);
    const ort = await this.ort();
    const feeds: Record<string, OrtTensorLike> = {};
    for (const t of inputs) feeds[t.name] = new ort.Tensor(KINDS[t.datatype].ort, t.data, t.shape);
    const result = await session.run(feeds);
    const names = outputs ?? session.outputNames;
    return names.map((name) => {
      const o = result[name];
      if (!o) throw new Error(`the model has no output '${name}'`);
      const datatype = datatypeOfOrt(o.type);
      if (!datatype) throw new Error(`output '${name}': unsupported type ${o.type}`);
      let data = o.data as TensorData;
      // onnxruntime-web may hand float16 back as Float16Array where the runtime has one: keep half bits.
      if (datatype === 'FP16' && !(data instanceof Uint16Array)) data = new Uint16Array((data as unknown as { buffer: ArrayBuffer }).buffer.slice(0));
      return { name, datatype, shape: [...o.dims], data };
    });
  }
}
