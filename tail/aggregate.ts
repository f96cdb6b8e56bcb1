/**
 * The feedback path's memory and its statistics, pure: observations are kept per (model, variant, colo)
 * as the most recent samples (a bounded window, so the state fits in one KV value and old hardware ages
 * out), and a series is fitted robustly: per item-count bucket, MAD outlier rejection then a trimmed mean
 * (CPU times arrive in whole ms), then weighted least squares of fixed + per-item cost over the buckets.
 *
 * No caller can steer a fit: a full window gives up the oldest sample of the caller holding the most (a
 * flood evicts only its sender's own samples); within a bucket each caller is one vote and the lower median
 * of the votes speaks for it (inflated CPU is the only kind a caller can make); and while any bucket has two
 * callers or more, a bucket only one caller fills is left out (one caller's unusual batch size cannot bend
 * the line). What is left to one caller is bounded where the fit is published (publish.ts, `maxDrift`).
 */
import { fitLine, median, rejectOutliers, trimmedMean } from '../src/lib/robust.js';
import type { LatencyLine } from '../src/latency/line.js';
import { at, scaled } from '../src/latency/line.js';
import type { LearnedFit } from '../src/latency/profiles.js';
import type { Observation, SkipReason } from './events.js';

/** [items, cpu ms, predicted ms or null, caller id]: compact, since the whole state is one KV value. */
export type Sample = [number, number, number | null, string?];

export interface FeedbackState {
  version: 1;
  updated_at: string;
  /** Key `model/variant@colo` -> most recent samples, oldest first. */
  series: Record<string, Sample[]>;
  seen: number;
  used: number;
  skipped: Partial<Record<SkipReason, number>>;
}

/** Samples kept per series: enough for stable medians per bucket, small enough for one KV value. */
export const WINDOW = 256;

export function emptyState(now: string): FeedbackState {
  return { version: 1, updated_at: now, series: {}, seen: 0, used: 0, skipped: {} };
}

export const seriesKey = (o: { model: string; variant: string; colo: string }) => `${o.model}/${o.variant}@${o.colo}`;

/** Splits a series key back into its parts. */
export function parseKey(key: string): { model: string; variant: string; colo: string } {
  const at = key.lastIndexOf('@');
  const slash = key.lastIndexOf('/', at);
  return { model: key.slice(0, slash), variant: key.slice(slash + 1, at), colo: key.slice(at + 1) };
}

/** Adds what a batch of trace events taught (observations and skips) to the state, in place. */
export function record(state: FeedbackState, results: readonly (Observation | { skip: SkipReason })[], now: string, window = WINDOW): FeedbackState {
  for (const r of results) {
    state.seen++;
    if ('skip' in r) {
      state.skipped[r.skip] = (state.skipped[r.skip] ?? 0) + 1;
      continue;
    }
    state.used++;
    const s = (state.series[seriesKey(r)] ??= []);
    push(s, r.caller ? [r.items, r.cpu_ms, r.predicted_ms ?? null, r.caller] : [r.items, r.cpu_ms, r.predicted_ms ?? null], window);
  }
  state.updated_at = now;
  return state;
}

/** `later` added to `earlier` (KV's stored state plus what an isolate collected since): windows kept. */
export function merge(earlier: FeedbackState, later: FeedbackState, window = WINDOW): FeedbackState {
  const out: FeedbackState = { ...earlier, series: { ...earlier.series }, skipped: { ...earlier.skipped } };
  for (const [k, samples] of Object.entries(later.series)) {
    const series = [...(out.series[k] ?? [])];
    for (const sample of samples) push(series, sample, window);
    out.series[k] = series;
  }
  for (const [k, n] of Object.entries(later.skipped) as [SkipReason, number][]) out.skipped[k] = (out.skipped[k] ?? 0) + n;
  out.seen += later.seen;
  out.used += later.used;
  out.updated_at = later.updated_at > earlier.updated_at ? later.updated_at : earlier.updated_at;
  return out;
}

const callerOf = (s: Sample) => s[3] ?? '';

/** Adds a sample; a full window drops the oldest sample of the caller holding the most (ties: the oldest such). */
function push(series: Sample[], sample: Sample, window: number): void {
  series.push(sample);
  while (series.length > window) {
    const counts = new Map<string, number>();
    for (const s of series) counts.set(callerOf(s), (counts.get(callerOf(s)) ?? 0) + 1);
    const most = Math.max(...counts.values());
    series.splice(series.findIndex((s) => counts.get(callerOf(s)) === most), 1);
  }
}

/** Item counts in one bucket: powers of two (1, 2-3, 4-7, ...), as the gateway's batches grow. */
const bucketOf = (items: number) => Math.floor(Math.log2(items));

/**
 * A robust fit of CPU ms vs items from samples. With two or more buckets at least 2x apart in items, a
 * line through the bucket centres; otherwise the prior's shape (the manifest fit) scaled to the one level
 * observed, since one item count cannot tell fixed from per-item cost. Undefined without samples (or with
 * one bucket and no prior).
 */
export function fitSamples(samples: readonly Sample[], prior?: LatencyLine): LearnedFit | undefined {
  const buckets = new Map<number, Sample[]>();
  for (const s of samples) if (s[0] > 0 && s[1] >= 0) buckets.get(bucketOf(s[0]))?.push(s) ?? buckets.set(bucketOf(s[0]), [s]);
  const voted = [...buckets.values()].map(bucketVote);
  // One caller's bucket among buckets many callers share is that caller's alone: left out.
  const shared = voted.some((b) => b.callers >= 2);
  const used = voted.filter((b) => !shared || b.callers >= 2);
  const centres = used.map((b) => b.centre);
  const kept = used.flatMap((b) => b.kept);
  if (kept.length === 0) return undefined;
  const lo = Math.min(...kept.map((s) => s[0]));
  const hi = Math.max(...kept.map((s) => s[0]));
  let fit: LatencyLine | undefined;
  if (centres.length >= 2 && hi >= 2 * lo) fit = fitLine(centres);
  else if (prior) {
    const total = centres.reduce((a, c) => a + c.weight, 0);
    const items = centres.reduce((a, c) => a + c.items * c.weight, 0) / total;
    const level = centres.reduce((a, c) => a + c.ms * c.weight, 0) / total;
    const expected = at(prior, items);
    const scale = expected > 0 ? level / expected : 0;
    const shaped = scaled(prior, scale);
    fit = scale > 0 ? { fixed_ms: Math.max(0, shaped.fixed_ms), per_item_ms: Math.max(0, shaped.per_item_ms) } : { fixed_ms: level, per_item_ms: 0 };
  } else fit = centres.length === 1 ? { fixed_ms: centres[0]!.ms, per_item_ms: 0 } : fitLine(centres);
  if (!fit) return undefined;
  const errors = kept.filter((s) => s[2] !== null && s[1] > 0).map((s) => Math.abs(s[2]! - s[1]) / s[1]);
  return {
    fixed_ms: round(fit.fixed_ms),
    per_item_ms: round(fit.per_item_ms),
    samples: kept.length,
    items: [lo, hi],
    ...(errors.length ? { prediction_error: round(median(errors)) } : {}),
  };
}

/**
 * One bucket's centre: each caller's samples judged alone (MAD rejection on per-item cost, so a bucket's
 * spread of item counts, 4 to 7, is not mistaken for noise; floor: 1 ms quanta), each caller one vote, the
 * vote with the lower median per-item cost the centre, weighted by what all its callers' kept samples
 * number (at most the chosen caller's count per caller).
 */
function bucketVote(group: Sample[]): { centre: { items: number; ms: number; weight: number }; kept: Sample[]; callers: number } {
  const byCaller = new Map<string, Sample[]>();
  for (const s of group) byCaller.get(callerOf(s))?.push(s) ?? byCaller.set(callerOf(s), [s]);
  const votes = [...byCaller.values()].map((mine) => {
    const perItem = mine.map((s) => s[1] / s[0]);
    const { kept: keptPerItem } = rejectOutliers(perItem, 3, 1 / Math.min(...mine.map((s) => s[0])));
    const survivors = mine.filter((s) => keptPerItem.includes(s[1] / s[0]));
    return { survivors, perItem: median(survivors.map((s) => s[1] / s[0])) };
  });
  votes.sort((a, b) => a.perItem - b.perItem);
  const { survivors } = votes[(votes.length - 1) >> 1]!;
  const kept = votes.flatMap((v) => v.survivors);
  const weight = Math.min(kept.length, survivors.length * votes.length);
  return { centre: { items: survivors.reduce((a, s) => a + s[0], 0) / survivors.length, ms: trimmedMean(survivors.map((s) => s[1])), weight }, kept, callers: votes.length };
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;
