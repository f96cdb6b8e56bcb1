/**
 * The monitor's Prometheus families, registered once per isolate: shadow comparisons and skips, what shadow
 * work spent, standings and their changes, and each variant's fidelity from production next to the offline
 * figure the compressor measured (`gateway_variant_fidelity{source="production"|"offline"}`).
 */
import type { Metrics } from '../metrics.js';
import type { ShadowBudget } from './budget.js';
import type { WatchState } from './standing.js';
import { STATES } from './standing.js';

/** What the metrics read of the monitor at scrape time (monitor.ts answers these). */
export interface MonitorReadings {
  budget: Pick<ShadowBudget, 'spentCpuMs' | 'originCalls' | 'running'>;
  keys(): { key: string; state: WatchState }[];
  isolateScore(key: string): { score: number; n: number };
  offlineOf(model: string, variant: string): number | undefined;
}

export function registerMonitorMetrics(metrics: Metrics, monitor: MonitorReadings): void {
  metrics.family('gateway_shadow_comparisons_total', 'counter', 'Shadow checks compared with the reference, by model, variant, where the reference ran and why (served, canary, probe); never counted as caller traffic');
  metrics.family('gateway_shadow_skipped_total', 'counter', 'Shadow checks sampled but not run, by model and reason (concurrency, cpu, origin_rate, load, no_reference, origin_unavailable, failed)');
  metrics.family('gateway_variant_transitions_total', 'counter', 'Changes of a variant\'s standing (demoted, active, canary, promoted, rolled_back), by model, variant and new state');
  metrics.counterFrom('gateway_shadow_cpu_ms_total', 'Predicted compute spent on shadow work in this isolate (ms)', () => [{ labels: {}, value: monitor.budget.spentCpuMs }]);
  metrics.counterFrom('gateway_shadow_origin_calls_total', 'Shadow calls sent to the origin by this isolate', () => [{ labels: {}, value: monitor.budget.originCalls }]);
  metrics.gauge('gateway_shadow_in_flight', 'Shadow checks running in this isolate', () => [{ labels: {}, value: monitor.budget.running }]);
  metrics.gauge('gateway_variant_state', 'A variant\'s standing: 1 for its state, 0 for the others', () =>
    monitor.keys().flatMap(({ key, state }) => {
      const [model, variant] = split(key);
      return STATES.map((s) => ({ labels: { model, variant, state: s }, value: s === state ? 1 : 0 }));
    }),
  );
  metrics.gauge('gateway_variant_fidelity', 'Fidelity against the reference: offline (the manifest) and production (this isolate\'s evidence since its standing last changed; samples in gateway_variant_fidelity_samples)', () =>
    monitor.keys().flatMap(({ key }) => {
      const [model, variant] = split(key);
      const p = monitor.isolateScore(key);
      const offline = monitor.offlineOf(model, variant);
      return [
        ...(offline !== undefined ? [{ labels: { model, variant, source: 'offline' }, value: offline }] : []),
        ...(p.n > 0 ? [{ labels: { model, variant, source: 'production' }, value: p.score }] : []),
      ];
    }),
  );
  metrics.gauge('gateway_variant_fidelity_samples', 'Production samples behind gateway_variant_fidelity{source="production"}', () =>
    monitor.keys().map(({ key }) => {
      const [model, variant] = split(key);
      return { labels: { model, variant }, value: monitor.isolateScore(key).n };
    }),
  );
}

const split = (key: string): [string, string] => [key.slice(0, key.lastIndexOf('/')), key.slice(key.lastIndexOf('/') + 1)];
