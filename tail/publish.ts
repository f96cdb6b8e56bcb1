/**
 * From the feedback state to the `learned` section the gateway reads from the POLICY KV (schema:
 * src/latency/profiles.ts), pure. A fit is published only from enough samples, per colo and fleet-wide
 * (all colos pooled), and moves at most `maxChange`x from what was published before (or from the manifest
 * the first time) over the item counts observed, so one bad window cannot swing routing; a variant without
 * enough new samples keeps what it had; and no fit ever stands more than `maxDrift`x from the prior, so a
 * replayed trace of one caller, publish after publish, cannot walk it away (0.34 ms to 1,300 ms in 12 minutes
 * of doubling, before that bound).
 */
import type { LatencyLine } from '../src/latency/line.js';
import { at } from '../src/latency/line.js';
import type { LearnedFit, LearnedProfiles, LearnedVariant } from '../src/latency/profiles.js';
import type { VariantName } from '../src/registry/manifest.js';
import type { FeedbackState, Sample } from './aggregate.js';
import { fitSamples, parseKey } from './aggregate.js';

export interface PublishOptions {
  /** Samples (after outlier rejection) a fit needs to be published. */
  minSamples: number;
  /** Largest factor a published prediction may move by in one publish. */
  maxChange: number;
  /**
   * Largest factor a published prediction may ever stand from the prior (the manifest's fit at the fleet's
   * speed) over the items observed: what no sequence of publishes, and so no caller, can go beyond. A fleet
   * that truly runs further off than this has a wrong `edge.speed_factor`, which ops set (the publish line
   * says "held at the drift bound").
   */
  maxDrift?: number | undefined;
  now: string;
  source: string;
  /** The manifest's fit of a variant (bench-machine ms): shape for single-size data, anchor for the first cap. */
  prior?: (model: string, variant: VariantName) => LatencyLine | undefined;
}

/**
 * `next` moved toward from `prev` only as far as keeps its prediction within maxChange x of prev's at
 * both ends of the observed item range: the largest blend next*a + prev*(1-a) that does (bisection).
 */
export function capChange(next: LearnedFit, prev: LatencyLine | undefined, maxChange: number): LearnedFit {
  if (!prev) return next;
  const ends = next.items ?? [1, 1];
  const within = (f: LatencyLine) =>
    ends.every((i) => {
      const p = at(prev, i);
      const n = at(f, i);
      return p <= 0 || (n <= p * maxChange && n >= p / maxChange);
    });
  const blend = (a: number): LatencyLine => ({ fixed_ms: prev.fixed_ms + a * (next.fixed_ms - prev.fixed_ms), per_item_ms: prev.per_item_ms + a * (next.per_item_ms - prev.per_item_ms) });
  if (within(next)) return next;
  let lo = 0;
  let hi = 1;
  for (let k = 0; k < 30; k++) {
    const mid = (lo + hi) / 2;
    if (within(blend(mid))) lo = mid;
    else hi = mid;
  }
  const f = blend(lo);
  return { ...next, fixed_ms: round(f.fixed_ms), per_item_ms: round(f.per_item_ms) };
}

/** What a publish decided, per model/variant/colo, for the Tail Worker's log line. */
export interface PublishReport {
  learned: LearnedProfiles;
  /** Whether anything differs from `previous` (no KV write otherwise). */
  changed: boolean;
  lines: string[];
}

/** The learned section from the state, given what was published before. */
export function publish(state: FeedbackState, previous: LearnedProfiles | undefined, opts: PublishOptions): PublishReport {
  const grouped = new Map<string, { model: string; variant: VariantName; colos: Map<string, Sample[]> }>();
  for (const [key, samples] of Object.entries(state.series)) {
    const { model, variant, colo } = parseKey(key);
    const g = grouped.get(`${model}/${variant}`) ?? { model, variant: variant as VariantName, colos: new Map() };
    g.colos.set(colo, samples);
    grouped.set(`${model}/${variant}`, g);
  }
  const models: LearnedProfiles['models'] = structuredClone(previous?.models ?? {});
  const lines: string[] = [];
  for (const { model, variant, colos } of grouped.values()) {
    const prior = opts.prior?.(model, variant);
    const before = previous?.models[model]?.[variant];
    const fleet = fitSamples([...colos.values()].flat(), prior);
    let entry: LearnedVariant | undefined = before ? structuredClone(before) : undefined;
    /** The fit as published: within maxChange of `prev`, within maxDrift of the prior; `held` when the latter bit. */
    const bound = (fit: LearnedFit, prev: LatencyLine | undefined) => {
      const stepped = capChange(fit, prev, opts.maxChange);
      const held = opts.maxDrift && prior ? capChange(stepped, prior, opts.maxDrift) : stepped;
      return { capped: held, held: held !== stepped };
    };
    if (fleet && fleet.samples >= opts.minSamples) {
      const { capped, held } = bound(fleet, before ?? prior);
      entry = { ...capped, ...(entry?.colos ? { colos: entry.colos } : {}) };
      lines.push(`${model}/${variant}: ${describe(capped, fleet, held)}`);
    } else lines.push(`${model}/${variant}: ${fleet?.samples ?? 0} samples, fewer than ${opts.minSamples}: ${before ? 'kept the last publish' : 'nothing published'}`);
    if (!entry) continue;
    for (const [colo, samples] of colos) {
      const fit = fitSamples(samples, prior);
      if (!fit || fit.samples < opts.minSamples || colo === 'unknown') continue;
      const { capped, held } = bound(fit, before?.colos?.[colo] ?? entry);
      entry.colos = { ...entry.colos, [colo]: capped };
      lines.push(`${model}/${variant}@${colo}: ${describe(capped, fit, held)}`);
    }
    (models[model] ??= {})[variant] = entry;
  }
  const changed = JSON.stringify(models) !== JSON.stringify(previous?.models ?? {});
  return { learned: { published_at: changed || !previous ? opts.now : previous.published_at, source: opts.source, models }, changed, lines };
}

function describe(published: LearnedFit, fitted: LearnedFit, held: boolean): string {
  const capped = published.fixed_ms !== fitted.fixed_ms || published.per_item_ms !== fitted.per_item_ms;
  const err = fitted.prediction_error !== undefined ? `, gateway predictions off by ${Math.round(fitted.prediction_error * 100)}% (median)` : '';
  return `${published.fixed_ms} + ${published.per_item_ms} x items ms from ${fitted.samples} samples${capped ? ` (capped; fitted ${fitted.fixed_ms} + ${fitted.per_item_ms} x items)` : ''}${held ? ', held at the drift bound (MAX_DRIFT x the manifest at EDGE_SPEED_FACTOR)' : ''}${err}`;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
