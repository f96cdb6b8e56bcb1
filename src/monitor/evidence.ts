/**
 * A variant's production evidence in this isolate: the window a verdict is drawn from, which starts afresh
 * when the variant's standing changes (a demotion, a re-admission, an operator's clear, a canary's start),
 * so a verdict after a change rests only on what came after it; and minute buckets of everything, for the
 * dashboard's chart over time. Keyed "model/variant". Bounded: a fixed number of buckets per variant.
 */
import type { Evidence, FidelityBucket } from './published.js';
import { addEvidence } from './published.js';

export class EvidenceLog {
  private readonly windows = new Map<string, { since: number; evidence: Evidence }>();
  private readonly history = new Map<string, FidelityBucket[]>();

  constructor(
    private readonly bucketMs = 60_000,
    private readonly keep = 60,
  ) {}

  /** Adds one comparison's evidence, made at `at` (ms). */
  add(key: string, e: Evidence, at: number): void {
    const w = this.windows.get(key);
    this.windows.set(key, { since: w?.since ?? 0, evidence: addEvidence(w?.evidence ?? {}, e) });
    const buckets = this.history.get(key) ?? [];
    const t = Math.floor(at / this.bucketMs) * this.bucketMs;
    const last = buckets.at(-1);
    if (last && last.t === t) last.outputs = addEvidence(last.outputs, e);
    else buckets.push({ t, outputs: addEvidence({}, e) });
    if (buckets.length > this.keep) buckets.splice(0, buckets.length - this.keep);
    this.history.set(key, buckets);
  }

  /** The evidence since the window last started (and when that was). */
  window(key: string): { since: number; evidence: Evidence } {
    return this.windows.get(key) ?? { since: 0, evidence: {} };
  }

  /** Starts the window afresh at `since`: earlier evidence no longer counts for a verdict. */
  restart(key: string, since: number): void {
    this.windows.set(key, { since, evidence: {} });
  }

  /** Minute buckets, oldest first (the last `keep`). */
  buckets(key: string): readonly FidelityBucket[] {
    return this.history.get(key) ?? [];
  }
}
