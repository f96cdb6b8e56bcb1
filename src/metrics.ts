/**
 * Per-isolate metrics in Prometheus text format, with Triton-like names (nv_inference_*), plus the
 * gateway's own (routing, origin, breaker). Counters and histograms only; no dependency, no timers.
 */
type Labels = Record<string, string>;

const DURATION_BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

function escapeLabel(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

function key(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeLabel(String(labels[k]))}"`)
    .join(',');
}

/** One labelled series of a counter. */
export interface Series {
  labels: Labels;
  value: number;
}

interface Histogram {
  labels: string;
  buckets: number[];
  counts: number[];
  sum: number;
  count: number;
}

interface Family {
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
}

export class Metrics {
  private readonly families = new Map<string, Family>();
  private readonly values = new Map<string, Map<string, Series>>();
  private readonly histograms = new Map<string, Map<string, Histogram>>();
  /** Series read at scrape time: gauges, and counters kept by someone else (counterFrom). */
  private readonly reads = new Map<string, () => { labels: Labels; value: number }[]>();

  constructor() {
    this.family('nv_inference_request_success', 'counter', 'Successful inference requests by model, variant and target');
    this.family('nv_inference_request_failure', 'counter', 'Failed inference requests by model and HTTP status');
    this.family('nv_inference_request_duration_ms', 'histogram', 'End-to-end inference request duration inside the gateway (ms)');
    this.family('nv_inference_compute_infer_duration_ms', 'histogram', 'Edge engine run time (ms)');
    this.family('gateway_route_decisions_total', 'counter', 'Routing decisions by model, target, variant and whether the SLO was predicted met');
    this.family('gateway_origin_requests_duration_ms', 'histogram', 'Origin round trips (ms)');
    this.family('gateway_edge_fallbacks_total', 'counter', 'Edge failures that fell back to the origin');
    this.family('gateway_variant_cooldowns_total', 'counter', 'Edge variants taken out of routing for the cooldown, by model, variant and reason');
    this.family('gateway_origin_fallbacks_total', 'counter', 'Origin failures answered at the edge instead');
    this.family('gateway_edge_memory_contention_total', 'counter', 'Edge loads that found the isolate memory budget held by busy sessions for longer than edge.memory_wait_ms, by model, variant and what answered instead (origin, or none: 503); no cooldown');
  }

  family(name: string, type: Family['type'], help: string): void {
    this.families.set(name, { type, help });
  }

  inc(name: string, labels: Labels, by = 1): void {
    let series = this.values.get(name);
    if (!series) this.values.set(name, (series = new Map()));
    const k = key(labels);
    const s = series.get(k);
    if (s) s.value += by;
    else series.set(k, { labels: { ...labels }, value: by });
  }

  observe(name: string, labels: Labels, value: number, buckets = DURATION_BUCKETS_MS): void {
    let series = this.histograms.get(name);
    if (!series) this.histograms.set(name, (series = new Map()));
    const k = key(labels);
    let h = series.get(k);
    if (!h) series.set(k, (h = { labels: k, buckets, counts: buckets.map(() => 0), sum: 0, count: 0 }));
    h.buckets.forEach((b, i) => {
      if (value <= b) h!.counts[i]!++;
    });
    h.sum += value;
    h.count++;
  }

  /** A gauge read at scrape time (e.g. breaker state), so it is never stale. */
  gauge(name: string, help: string, read: () => { labels: Labels; value: number }[]): void {
    this.family(name, 'gauge', help);
    this.reads.set(name, read);
  }

  /**
   * A counter whose running totals another component keeps (e.g. the statistics' queue time), read at scrape
   * time so the two cannot disagree; `read` must only ever grow each series.
   */
  counterFrom(name: string, help: string, read: () => { labels: Labels; value: number }[]): void {
    this.family(name, 'counter', help);
    this.reads.set(name, read);
  }

  /** Value of one counter series, for tests and the dashboard. */
  counter(name: string, labels: Labels): number {
    return this.values.get(name)?.get(key(labels))?.value ?? 0;
  }

  /** Every series of a counter with its labels, in the order they first counted, for the dashboard. */
  series(name: string): Series[] {
    return [...(this.values.get(name)?.values() ?? [])].map((s) => ({ labels: { ...s.labels }, value: s.value }));
  }

  /** Sum of a counter over all its series. */
  total(name: string): number {
    let sum = 0;
    for (const s of this.values.get(name)?.values() ?? []) sum += s.value;
    return sum;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, fam] of this.families) {
      lines.push(`# HELP ${name} ${fam.help}`, `# TYPE ${name} ${fam.type}`);
      if (fam.type === 'counter') for (const [k, s] of this.values.get(name) ?? []) lines.push(`${name}{${k}} ${s.value}`);
      if (fam.type !== 'histogram') for (const g of this.reads.get(name)?.() ?? []) lines.push(`${name}{${key(g.labels)}} ${g.value}`);
      if (fam.type === 'histogram') {
        for (const h of this.histograms.get(name)?.values() ?? []) {
          const sep = h.labels ? ',' : '';
          h.buckets.forEach((b, i) => lines.push(`${name}_bucket{${h.labels}${sep}le="${b}"} ${h.counts[i]}`));
          lines.push(`${name}_bucket{${h.labels}${sep}le="+Inf"} ${h.count}`, `${name}_sum{${h.labels}} ${h.sum}`, `${name}_count{${h.labels}} ${h.count}`);
        }
      }
    }
    return lines.join('\n') + '\n';
  }
}
