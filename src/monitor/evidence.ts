/**
 * A variant's production evidence in this isolate: the window a verdict is drawn from, which starts afresh
 * when the variant's standing changes (a demotion, a re-admission, an operator's clear, a canary's start),
 * so a verdict after a change rests only on what came after it, and which keeps only the most recent samples
 * (`monitoring.window`): a variant that served well for a week is judged on what it does now, or a drift would
 * have to outweigh the whole week before it showed. And minute buckets of everything, for the dashboard's
 * chart over time. Keyed "model/variant". Bounded: a window's comparisons and a fixed number of buckets.
 */
import type { Evidence, FidelityBucket } from './published.js';
import { addEvidence } from './published.js';

/** Samples in one comparison's evidence (its largest output count). */
const samples = (e: Evidence) => Math.max(0, ...Object.values(e).map((o) => o.n));

function subtract(a: Evidence, b: Evidence): Evidence {
  const out: Evidence = {};
  for (const [name, e] of Object.entries(a)) {
    const o = b[name];
    out[name] = o ? { metric: e.metric, n: e.n - o.n, sum: e.sum - o.sum, sumsq: Math.max(0, e.sumsq - o.sumsq) } : e;
  }
  return out;
}

interface Window {
  since: number;
  /** The comparisons in the window, oldest first, and their sum. */
  ring: Evidence[];
  evidence: Evidence;
}

export class EvidenceLog {
  private readonly windows = new Map<string, Window>();
  private readonly history = new Map<string, FidelityBucket[]>();

  constructor(
    private readonly bucketMs = 60_000,
    private readonly keep = 60,
  ) {}

  /** Adds one comparison's evidence, made at `at` (ms); the window keeps the last `windowSamples` samples. */
  add(key: string, e: Evidence, at: number, windowSamples = Infinity): void {
    const w = this.windows.get(key) ?? { since: 0, ring: [], evidence: {} };
    w.ring.push(e);
    w.evidence = addEvidence(w.evidence, e);
    while (w.ring.length > 1 && samples(w.evidence) - samples(w.ring[0]!) >= windowSamples) w.evidence = subtract(w.evidence, w.ring.shift()!);
    this.windows.set(key, w);
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
    const w = this.windows.get(key);
    return w ? { since: w.since, evidence: w.evidence } : { since: 0, evidence: {} };
  }

  /** Starts the window afresh at `since`: earlier evidence no longer counts for a verdict. */
  restart(key: string, since: number): void {
    this.windows.set(key, { since, ring: [], evidence: {} });
  }

  /** Minute buckets, oldest first (the last `keep`). */
  buckets(key: string): readonly FidelityBucket[] {
    return this.history.get(key) ?? [];
  }
}
