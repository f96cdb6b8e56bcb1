/**
 * Closing the loop: every edge run and origin round trip the plane makes is learned by the isolate's
 * latency learner (learner.ts), and the work in flight on each backend is tracked so the
 * selector can predict the wait ahead of a new request. The backends are wrapped, not changed: what they
 * report (the engine's `infer` time and batch, the origin's own `infer` from its Server-Timing) is read
 * from their results, whichever path (chosen or fallback) called them.
 */
import type { Backend, BackendRequest, BackendResult } from '../backend.js';
import { parseServerTiming } from '../lib/server-timing.js';
import type { Metrics } from '../metrics.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import { requestItems } from '../registry/registry.js';
import type { LatencyLearner, LearnTarget } from './learner.js';

/** Buckets of |actual - predicted| / predicted. */
const ERROR_RATIO_BUCKETS = [0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5];

/**
 * What feedback reads of the config in force, at every run: the speed factors and the learning switches. The
 * gateway's config has these fields; it is a layer above (it holds the learned profiles' schema), so it is
 * not imported here.
 */
export interface FeedbackConfig {
  edge: { speed_factor: number };
  origin: { speed_factor: number };
  learning: { enabled: boolean; origin_parallelism: number };
}

interface InFlight {
  target: LearnTarget;
  model: ModelManifest;
  variant: VariantName;
  items: number;
  since: number;
}

export class Feedback {
  private readonly inflight = new Set<InFlight>();

  constructor(
    readonly learner: LatencyLearner,
    private readonly metrics: Metrics,
    /** The config in force (speed factors, learning knobs). */
    private readonly config: () => FeedbackConfig,
    private readonly now: () => number = () => performance.now(),
  ) {
    metrics.family('gateway_prediction_error_ratio', 'histogram', 'Learned prediction error of each timed run, |actual - predicted| / predicted, before it was learned');
    metrics.family('gateway_latency_readings_rejected_total', 'counter', 'Timed runs not learned: suspect (frozen clock) or invalid readings, or any edge reading while the clock is frozen');
    metrics.gauge('gateway_clock_frozen', 'Whether edge runs of this isolate read a frozen clock (1) and are not learned', () => [{ labels: {}, value: learner.clockFrozen() ? 1 : 0 }]);
    metrics.gauge('gateway_latency_estimate_ms', 'Latency line per run (fixed + per_item x items), learned and its prior (source: fleet fit, else manifest x speed factor)', () =>
      learner.snapshot().flatMap((s) => {
        const labels = { model: s.model, variant: s.variant, target: s.target };
        return [
          { labels: { ...labels, term: 'fixed', source: 'learned' }, value: s.estimate.fixed_ms },
          { labels: { ...labels, term: 'per_item', source: 'learned' }, value: s.estimate.per_item_ms },
          { labels: { ...labels, term: 'fixed', source: s.prior_source }, value: s.prior.fixed_ms },
          { labels: { ...labels, term: 'per_item', source: s.prior_source }, value: s.prior.per_item_ms },
        ];
      }),
    );
    metrics.gauge('gateway_latency_observations', 'Runs each learned estimate rests on', () =>
      learner.snapshot().map((s) => ({ labels: { model: s.model, variant: s.variant, target: s.target }, value: s.estimate.observations })),
    );
  }

  private speed(target: LearnTarget): number {
    const c = this.config();
    return target === 'edge' ? c.edge.speed_factor : c.origin.speed_factor;
  }

  /** `backend`, tracked in flight and learned from, as `target`. */
  wrap(target: LearnTarget, backend: Backend): Backend {
    const infer = async (req: BackendRequest): Promise<BackendResult> => {
      const entry: InFlight = { target, model: req.model, variant: req.variant, items: requestItems(req.model, req.request.inputs), since: this.now() };
      this.inflight.add(entry);
      try {
        const result = await backend.infer(req);
        this.learn(entry, req, result);
        return result;
      } finally {
        this.inflight.delete(entry);
      }
    };
    return backend.warm ? { infer, warm: (model, variant) => backend.warm!(model, variant) } : { infer };
  }

  private learn(entry: InFlight, req: BackendRequest, result: BackendResult): void {
    if (!this.config().learning.enabled) return;
    const { target, model, items } = entry;
    let run: { items: number; ms: number; weight: number } | undefined;
    if (target === 'edge' && result.timings.infer !== undefined) {
      // A batched run timed all its requests' items: learn it once, each request weighing its share.
      const own = model.batch_axis ? (req.request.inputs[0]?.shape[0] ?? 1) : 1;
      const batch = Math.max(own, result.batch ?? own);
      run = { items: (items * batch) / own, ms: result.timings.infer, weight: own / batch };
    } else if (target === 'origin') {
      // Its `infer` only: a cold load is not the cost of a run, and its queue is what `originAheadMs` predicts.
      const infer = parseServerTiming(result.originServerTiming)['infer'];
      if (infer !== undefined) run = { items, ms: infer, weight: 1 };
    }
    if (!run) return;
    const seen = this.learner.observe(target, model, result.variant, run, this.speed(target));
    const labels = { model: model.name, variant: result.variant, target };
    if (!seen.learned) {
      const reason = seen.reading === 'invalid' ? 'invalid' : seen.reading === 'suspect' ? 'suspect' : 'frozen_clock';
      this.metrics.inc('gateway_latency_readings_rejected_total', { ...labels, reason });
      return;
    }
    this.metrics.observe('gateway_prediction_error_ratio', labels, Math.abs(run.ms - seen.predicted) / seen.predicted, ERROR_RATIO_BUCKETS);
  }

  /**
   * Predicted edge work ahead of a new request: the learned cost of what is in flight at the edge (runs of
   * the same variant counted as one batch), less what the single WASM thread has already worked off since
   * the oldest of them arrived.
   */
  edgeAheadMs(): number {
    const groups = new Map<string, { model: ModelManifest; variant: VariantName; items: number }>();
    let oldest = Infinity;
    for (const e of this.inflight) {
      if (e.target !== 'edge') continue;
      oldest = Math.min(oldest, e.since);
      const key = `${e.model.name}/${e.variant}`;
      const g = groups.get(key) ?? { model: e.model, variant: e.variant, items: 0 };
      g.items += e.items;
      groups.set(key, g);
    }
    let ms = 0;
    for (const g of groups.values()) ms += this.learner.predict('edge', g.model, g.variant, g.items, this.speed('edge'));
    return groups.size ? Math.max(0, ms - (this.now() - oldest)) : 0;
  }

  /** Predicted wait at the origin: the learned compute of the calls in flight, over the origin's parallelism. */
  originAheadMs(): number {
    let ms = 0;
    for (const e of this.inflight) if (e.target === 'origin') ms += this.learner.predict('origin', e.model, e.variant, e.items, this.speed('origin'));
    return ms / this.config().learning.origin_parallelism;
  }

  /** Calls in flight per target, for tests and the dashboard. */
  inFlight(target: LearnTarget): number {
    let n = 0;
    for (const e of this.inflight) if (e.target === target) n++;
    return n;
  }
}
