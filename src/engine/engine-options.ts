/**
 * The engine's options (what the composition roots choose: the Worker's isolate, the origin's process) and
 * the facts about a variant's memory and a run's failure the engine decides by, kept apart from its queue
 * and session logic (ort-engine.ts).
 */
import type * as ortTypes from 'onnxruntime-common';
import { EngineFailure, GatewayError, ModelRejectedInput } from '../errors.js';
import { cleanRuntimeMessage } from '../lib/runtime-error.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import type { AdmissionLimit } from './admission.js';
import type { ModelStore } from './model-store.js';
import type { OrtModule } from './ort-session.js';

export interface OrtEngineOptions {
  ort: OrtModule;
  store: ModelStore;
  sessionOptions?: ortTypes.InferenceSession.SessionOptions;
  /**
   * Predicts a run's duration (ms) from its items (requestItems: the manifest's latency unit), so queued work
   * can be reported to the selector and admission can judge a request before it runs.
   */
  predictMs?: (model: ModelManifest, variant: VariantName, items: number) => number;
  /**
   * WASM memory this isolate may give to sessions (measured `edge_memory_bytes` of each, less the
   * runtime's own base that they all share). Least recently used idle sessions are released to make room.
   */
  memoryBudgetBytes?: number;
  /** Longest wait for a session to load (ms), after which the load counts as lost; see session-cache.ts. */
  loadTimeoutMs?: number;
  /** Run different variants concurrently (a native runtime with threads); the Worker's WASM cannot. */
  queuePerVariant?: boolean;
  /**
   * Never start a run after its request's deadline: it fails 504 instead (the origin, whose caller has hung
   * up by then). Off at the edge, where a late answer still reaches a client that is waiting for it.
   */
  dropPastDeadline?: boolean;
  /** Admission by predicted cost (admission.ts); needs `predictMs`. */
  admission?: AdmissionLimit;
  /**
   * When busy sessions hold the memory a load needs: wait for one to be given back up to the request's
   * deadline (the origin, which has nothing to fall back to; past it, 504).
   */
  waitForMemory?: boolean;
  /**
   * Otherwise (the edge), how long such a load waits (ms, never past the request's deadline) before failing
   * with MemoryBusy, which the data plane answers from the origin without cooling the variant down. Default 0.
   */
  memoryWaitMs?: number;
  now?: () => number;
}

/** onnxruntime-web's initial WASM memory, included in every variant's measured `edge_memory_bytes`. */
export const WASM_BASE_BYTES = 16 * 1024 * 1024;

/**
 * A failure of the runtime rather than of the input: a WASM trap (the module may be in an unknown state), an
 * allocation the isolate could not make, an Emscripten abort.
 */
export function servingSideFault(cause: unknown): boolean {
  if (typeof WebAssembly !== 'undefined' && cause instanceof WebAssembly.RuntimeError) return true;
  if (cause instanceof RangeError && /allocation|memory/i.test(cause.message)) return true;
  const message = cause instanceof Error ? cause.message : String(cause);
  return /^Aborted\(|\bout of memory\b|\bbad_alloc\b|memory access out of bounds|unreachable/i.test(message.slice(0, 500));
}

/**
 * Whose fault a failed run of one request of `key` is (see ort-engine.ts's module comment): the runtime's
 * (EngineFailure), else the input's (ModelRejectedInput, `unproven` while the variant has not answered yet).
 */
export function runFailure(model: ModelManifest, key: string, cause: unknown, proven: boolean): GatewayError {
  if (cause instanceof GatewayError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  if (servingSideFault(cause)) return new EngineFailure(`${key} failed in the runtime: ${cleanRuntimeMessage(message)}`, { cause });
  return new ModelRejectedInput(`model '${model.name}' rejected the input: ${cleanRuntimeMessage(message)}`, { cause, unproven: !proven });
}

/** What a loaded variant is counted for against the memory budget: its WASM heap less the shared base, at least its file. */
export function sessionBytes(model: ModelManifest, variant: VariantName): number {
  const v = model.variants[variant]!;
  return Math.max(v.bytes, v.edge_memory_bytes - WASM_BASE_BYTES);
}
