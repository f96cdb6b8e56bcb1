/**
 * The one small interface both backends answer: the edge engine (onnxruntime in this process) and the
 * origin client (a remote v2 server). The data plane chooses among them; it does not know how either works.
 * It sits above protocol and registry and below engine and origin, so neither backend imports the other.
 */
import type { InferenceRequest, Tensor } from './protocol/tensor.js';
import type { ModelManifest, VariantName } from './registry/manifest.js';

export interface BackendRequest {
  model: ModelManifest;
  variant: VariantName;
  request: InferenceRequest;
  /** Absolute time (ms since epoch) by which the answer is useless: work not started by then should not start. */
  deadline?: number;
  /**
   * Set when the request itself (its SLO, or its caller's deadline) made `deadline` shorter than the backend's
   * own limit: `why` names what set it, for the 504 (a timeout never counts against the origin either way).
   */
  shortDeadline?: { why: string };
  /** What the origin is predicted to need for this request (round trip + compute, ms), when it is a candidate. */
  expectedOriginMs?: number;
  /** Of that, the origin's predicted compute alone (ms): what the caller's origin budget is charged. */
  originComputeMs?: number;
  /** Aborted when the client goes away: work for it should stop, queued work should not start. */
  signal?: AbortSignal;
  requestId?: string;
  /** Dynamic batching for this request (edge engine): largest batch and longest wait. */
  batching?: { maxBatch: number; maxDelayMs: number };
  /** How long this request could wait and still meet its SLO (budget minus predicted run). */
  slackMs?: number;
  /** Triton's priority level: 1 runs first; queued work is taken in level order, then arrival. */
  priority?: number;
  /**
   * Who is asking: a stable, non-secret id (src/protocol/caller.ts). The engine shares its runs fairly between
   * callers; the origin client sends it on, so the origin does the same and rate-limits per caller.
   */
  caller?: string;
  /**
   * The caller set its own deadline (v2 `parameters.timeout`): work past it is dropped even at the edge, and a
   * remote backend is sent what is left of it as its `timeout`, so a Triton origin drops it in its queue too.
   */
  deadlineFromCaller?: boolean;
  /**
   * Keeps work this request starts for others (a session load, a batch run) alive if the request is
   * cancelled (Workers' ctx.waitUntil); absent outside Workers.
   */
  waitUntil?: (work: Promise<unknown>) => void;
}

/** Timings in ms for server-timing: each backend fills what it measured. */
export interface BackendTimings {
  queue?: number;
  load?: number;
  infer?: number;
  origin?: number;
}

export interface BackendResult {
  outputs: Tensor[];
  timings: BackendTimings;
  /** The variant that actually ran (the origin may report its own). */
  variant: VariantName;
  /** Total batch size of the run this request was part of (edge engine). */
  batch?: number;
  /** The origin's Server-Timing header as it answered (its own load, queue and infer), when it sent one. */
  originServerTiming?: string;
}

/** What every backend does; the contract suite (test/contract/backend.case.ts) holds each to it. */
export interface Backend {
  /** Runs one decoded request on `req.variant`; failures are domain errors (src/errors.ts). */
  infer(req: BackendRequest): Promise<BackendResult>;
  /**
   * Makes a variant ready ahead of requests (the edge engine opens its session), for warm-up and prewarm.
   * Optional: a remote backend has nothing to load from here.
   */
  warm?(model: ModelManifest, variant: VariantName): Promise<void>;
  /** Releases what `warm` and requests loaded of `model` here (Triton's unload); optional like `warm`. */
  unload?(model: ModelManifest): Promise<unknown>;
}
