/**
 * The live state the data plane reads at decision time, as a read-only view: whether the origin is there
 * and healthy, its round trip and Retry-After, and what the edge engine has loaded and queued. The
 * composition roots build it from the engine and the origin client (`liveView`), so the plane never
 * reaches into a backend's internals (its breaker, its sessions).
 */
import type { ModelManifest, VariantName } from '../registry/manifest.js';

/** Read-only live state; every call reads the current value (nothing is cached). */
export interface LiveView {
  /** Whether this gateway has an origin at all. */
  originConfigured(): boolean;
  /** Whether the origin may be called now (its breaker lets calls through); false without an origin. */
  originHealthy(): boolean;
  /** Measured (EWMA) round trip to the origin, excluding its compute, else the assumed one (ms). */
  originRttMs(): number;
  /** Seconds until the origin may be called again, for Retry-After; 0 when it may now. */
  originRetryAfterSeconds(): number;
  /** Variants of `model` whose edge sessions are ready in this isolate. */
  loadedVariants(model: ModelManifest): ReadonlySet<VariantName>;
  /** Predicted ms of edge work queued ahead of a new run. */
  edgeQueueMs(): number;
  /** Whether the edge runtime (onnxruntime-web's WASM) is up in this isolate. */
  edgeRuntimeReady(): boolean;
}

/** What the edge engine reports of itself (OrtEngine answers these). */
export interface EdgeState {
  loadedVariants(model: ModelManifest): ReadonlySet<VariantName>;
  queueMs(): number;
  runtimeReady(): boolean;
}

/** What the origin client reports of the origin (OriginClient answers these). */
export interface OriginState {
  healthy(): boolean;
  rttMs(): number;
  retryAfterSeconds(): number;
}

/** The live view over an edge engine and, when there is one, an origin client; read on every call. */
export function liveView(edge: EdgeState, origin?: OriginState): LiveView {
  return {
    originConfigured: () => origin !== undefined,
    originHealthy: () => origin?.healthy() ?? false,
    originRttMs: () => origin?.rttMs() ?? 0,
    originRetryAfterSeconds: () => origin?.retryAfterSeconds() ?? 0,
    loadedVariants: (model) => edge.loadedVariants(model),
    edgeQueueMs: () => edge.queueMs(),
    edgeRuntimeReady: () => edge.runtimeReady(),
  };
}
