/**
 * The data plane's contract with its fronts and its composition roots: what a front tells it about a
 * request (InferContext), the typed result it hands back (InferOutcome), and what a root hands it
 * (DataPlaneDeps, ConfigSource). Types only; src/dataplane.ts re-exports them.
 */
import type { Backend, BackendTimings } from '../backend.js';
import type { GatewayConfig } from '../config.js';
import type { ArtifactStore } from '../engine/model-store.js';
import type { LatencyLearner } from '../latency/learner.js';
import type { Metrics } from '../metrics.js';
import type { FidelityMonitor } from '../monitor/monitor.js';
import type { InferResponseBody } from '../protocol/v2-response.js';
import type { VariantName } from '../registry/manifest.js';
import type { Registry } from '../registry/registry.js';
import type { LiveView } from '../select/live.js';
import type { RequestRouting } from '../select/request-params.js';
import type { RouteDecision } from '../select/select.js';

/** Where the plane reads its config, at the start of every verb: PolicySource (KV hot reload) is one. */
export interface ConfigSource {
  /** `waitUntil` keeps a reload this call starts alive if its request is cancelled (PolicySource). */
  get(waitUntil?: (work: Promise<unknown>) => void): Promise<GatewayConfig>;
}

/** What a front tells the plane about one request besides its body. */
export interface InferContext {
  /** What its headers ask of the routing (SLO, strictness, deadline, pin, Client Hints), read by the front. */
  routing: RequestRouting;
  requestBytes: number;
  requestId?: string;
  /** Keeps background work (a prewarm load) alive after the response (Workers' ctx.waitUntil). */
  waitUntil?: (work: Promise<unknown>) => void;
  /** The incoming request's signal: aborted when the client goes away, so the backend call is abandoned too. */
  signal?: AbortSignal;
  /** Who is asking (src/protocol/caller.ts): its fair share of the engine, and of the origin, which is told. */
  caller?: string;
}

/** The typed result of one inference; the routes render it (body, binary blocks, routing headers). */
export interface InferOutcome {
  body: InferResponseBody;
  /** Output bytes for the binary tensor extension, in output order (empty for plain JSON). */
  blocks: Uint8Array[];
  /** What answered: the variant that ran, where (`x-served-by`), and why. */
  served: { variant: VariantName; site: 'edge' | 'origin'; reason: string };
  /** Milliseconds spent choosing, then what the serving backend measured (load, queue, infer, origin). */
  timings: { select: number } & BackendTimings;
  /** The predicted compute of what served (its candidate's `compute_ms`, no network): Server-Timing `predicted`. */
  predictedMs?: number | undefined;
  decision: RouteDecision;
  /**
   * How the answer stands against the SLO: `predicted-miss` when no candidate was predicted to meet it (served
   * best effort), `missed` when one was but the measured server time plus the estimated network exceeded it.
   */
  slo: SloOutcome;
  /** Items of this request, and of the edge run it was part of (dynamic batching): the feedback log needs both. */
  items: number;
  batch?: number | undefined;
  /**
   * The request's body as received (decoded) and the raw bytes of its input tensors: the feedback path learns
   * only from bodies near their tensors' size (a padded body's parse cost is its sender's, not the model's).
   */
  wire: { body_bytes: number; tensor_bytes: number };
}

export type SloOutcome = 'met' | 'predicted-miss' | 'missed';

/** Everything the plane is handed by a composition root (src/worker.ts, origin/server.ts). */
export interface DataPlaneDeps {
  registry: Registry;
  backends: { edge: Backend; origin?: Backend | undefined };
  live: LiveView;
  config: ConfigSource;
  /** What `plane.config` is until the first read of `config`: the deployment's config. */
  initialConfig: GatewayConfig;
  metrics?: Metrics | undefined;
  /**
   * The isolate's latency learner, built once by the composition root (seeded there by the fleet's fits for
   * its colo) and shared with the engine's queue estimate: the plane never makes one of its own.
   */
  learner: LatencyLearner;
  /**
   * The isolate's fidelity monitor, built once by the composition root: shadow checks, demotions, canaries.
   * Absent (the origin): no shadow work, nothing held out.
   */
  monitor?: FidelityMonitor | undefined;
  /** Where device artifacts are read, in order (assets, then R2); none: every artifact is 404. */
  artifacts?: readonly ArtifactStore[] | undefined;
  now?: () => number;
}
