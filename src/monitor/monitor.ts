/**
 * The isolate's fidelity monitor: one per isolate, built by the composition root like the latency learner.
 * It keeps each variant's production evidence (evidence.ts), its standing (standing.ts) and the shadow budget
 * (budget.ts); it judges the evidence of this isolate and the fleet's (the `fidelity` the Tail Worker
 * publishes) after every comparison and on the first look each second, and tells routing which variants are
 * held out and why, and whether a request is in a canary's share. Every change of standing is logged as a
 * `variant_state` event, counted, and kept for the dashboard. The shadow runs themselves are the data
 * plane's (src/dataplane/shadow.ts): this room knows no backend.
 */
import type { Metrics } from '../metrics.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import type { BudgetLimits, SkipReason, Ticket } from './budget.js';
import { ShadowBudget } from './budget.js';
import { EvidenceLog } from './evidence.js';
import type { Evidence, FidelityProfiles } from './published.js';
import { evidenceSince, scoreOf } from './published.js';
import type { CanaryGate, Standing, Transition, WatchState } from './standing.js';
import { clear, held, reconcile, step } from './standing.js';
import { registerMonitorMetrics } from './metrics.js';
import type { Verdict, VerdictRule } from './verdict.js';
import { judge } from './verdict.js';

/** What the monitor reads of the config for one model (src/config/monitoring.ts resolves it). */
export interface WatchSettings {
  enabled: boolean;
  shadowRate: number;
  rule: VerdictRule;
  /** The most recent samples a verdict is drawn from, per variant (this isolate's, and the fleet's). */
  windowSamples: number;
  limits: BudgetLimits;
  /** Operators' clears: variant -> when (ms). */
  cleared: Record<VariantName, number>;
  canary?: { variant: VariantName; share: number; minSamples: number; maxLatencyMs: number; pinCallers: readonly string[]; started: number };
}

/** What routing is told for one request. */
export interface MonitorRouting {
  /** Variants held out of automatic choice, with the reason their candidate shows. */
  held: ReadonlyMap<VariantName, string>;
  /** The canary, when this request was drawn for its share and a check of its answer is paid for (`ticket`). */
  prefer?: VariantName;
  ticket?: Ticket;
}

/** One variant as explain, the dashboard and /admin/variants show it. */
export interface VariantWatch {
  variant: VariantName;
  state: WatchState;
  since: string;
  reason: string;
  offline: number;
  floor: number;
  /** This isolate's evidence since `since`, and the fleet's fresh buckets, each with its verdict. */
  isolate: Verdict;
  fleet?: Verdict | undefined;
}

/** A change of a variant's standing, as logged (`variant_state`) and shown. */
export interface WatchEvent extends Transition {
  model: string;
  variant: VariantName;
}

export interface MonitorOptions {
  metrics: Metrics;
  /** Predicted compute (ms) of a one-item run of a variant at the edge: the canary's latency gate. */
  latencyMs: (model: ModelManifest, variant: VariantName) => number;
  /** The offline fidelity the router ranks a variant by (src/select/facts.ts fidelityScore). */
  offline: (model: ModelManifest, variant: VariantName) => number;
  now?: () => number;
  random?: () => number;
}

const EVENTS_KEPT = 50;
const REFRESH_MS = 1_000;

export class FidelityMonitor {
  readonly budget: ShadowBudget;
  readonly evidence = new EvidenceLog();
  /** The last changes of standing, newest last. */
  readonly events: WatchEvent[] = [];
  private readonly standings = new Map<string, Standing>();
  private readonly canaryOf = new Map<string, string>();
  private readonly refreshedAt = new Map<string, number>();
  private readonly models = new Map<string, ModelManifest>();
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: MonitorOptions) {
    this.now = opts.now ?? (() => Date.now());
    this.random = opts.random ?? Math.random;
    this.budget = new ShadowBudget(this.now);
    registerMonitorMetrics(opts.metrics, this);
  }

  /** The variant's standing (active unless judged otherwise). */
  standing(model: ModelManifest, variant: VariantName): Standing {
    return this.standings.get(`${model.name}/${variant}`) ?? { state: 'active', since: 0, reason: 'no verdict yet' };
  }

  /** Applies config (a canary started or ended, clears) and the fleet's evidence; at most once a second per model unless `force`. */
  refresh(model: ModelManifest, s: WatchSettings, fleet: FidelityProfiles | undefined, force = false): void {
    const now = this.now();
    if (!force && now - (this.refreshedAt.get(model.name) ?? -Infinity) < REFRESH_MS) return;
    this.refreshedAt.set(model.name, now);
    this.models.set(model.name, model);
    const canary = s.canary && model.variants[s.canary.variant] ? `${s.canary.variant}@${s.canary.started}` : '';
    const before = this.canaryOf.get(model.name);
    this.canaryOf.set(model.name, canary);
    for (const variant of Object.keys(model.variants)) {
      const key = `${model.name}/${variant}`;
      const isCanary = s.canary?.variant === variant && canary !== '';
      let st = this.standings.get(key) ?? { state: isCanary ? 'canary' : 'active', since: isCanary ? s.canary!.started : 0, reason: isCanary ? 'canary' : 'no verdict yet' };
      if (before !== undefined && before !== canary && (isCanary || before.startsWith(`${variant}@`))) st = this.apply(model, variant, reconcile(st, isCanary, now));
      const clearedAt = s.cleared[variant];
      if (clearedAt !== undefined && clearedAt > st.since && clearedAt <= now) {
        st = this.apply(model, variant, clear(st, clearedAt, 'cleared by an operator (config)'));
        this.evidence.restart(key, clearedAt);
      }
      this.standings.set(key, st);
      if (s.enabled) this.judge(model, variant, s, fleet);
    }
  }

  /** Held variants and the canary draw for one request; `draw` (inference, not explain) prices the canary's check. */
  routing(model: ModelManifest, s: WatchSettings, fleet: FidelityProfiles | undefined, draw?: (variant: VariantName) => { cpuMs: number; origin: boolean; queueMs: number } | undefined): MonitorRouting {
    this.refresh(model, s, fleet);
    const heldOut = new Map<VariantName, string>();
    for (const variant of Object.keys(model.variants)) {
      const st = this.standing(model, variant);
      if (!held(st.state)) continue;
      heldOut.set(variant, st.state === 'canary' ? `canary: serves its ${round(s.canary!.share * 100)}% share, every answer checked` : st.reason);
    }
    const canary = s.canary?.variant;
    if (!s.enabled) {
      if (canary && heldOut.has(canary)) heldOut.set(canary, 'canary: monitoring is off, so it is not served');
      return { held: heldOut };
    }
    if (!draw || !canary || this.standing(model, canary).state !== 'canary' || this.random() >= s.canary!.share) return { held: heldOut };
    const cost = draw(canary);
    const ticket = cost ? this.budget.take(s.limits, cost) : 'no_reference';
    if (typeof ticket === 'string') {
      this.skipped(model, ticket);
      return { held: heldOut };
    }
    heldOut.delete(canary);
    return { held: heldOut, prefer: canary, ticket };
  }

  /** Whether this request is sampled for a shadow check (its rate; the budget is asked separately). */
  sampled(s: WatchSettings): boolean {
    return s.enabled && s.shadowRate > 0 && this.random() < s.shadowRate;
  }

  /** Counts a shadow check not run, by reason. */
  skipped(model: ModelManifest, reason: SkipReason): void {
    this.opts.metrics.inc('gateway_shadow_skipped_total', { model: model.name, reason });
  }

  /** One comparison's evidence for `variant`, then its verdict. */
  record(model: ModelManifest, variant: VariantName, evidence: Evidence, s: WatchSettings, fleet: FidelityProfiles | undefined): void {
    this.evidence.add(`${model.name}/${variant}`, evidence, this.now(), s.windowSamples);
    this.judge(model, variant, s, fleet);
  }

  /** An operator's clear in this isolate: a demotion lifted, a rollback back to canary, fresh evidence from now. */
  clear(model: ModelManifest, variant: VariantName): Standing {
    const key = `${model.name}/${variant}`;
    const st = this.apply(model, variant, clear(this.standing(model, variant), this.now()));
    // Fresh evidence from now, whether or not the standing changed.
    this.evidence.restart(key, st.since);
    this.standings.set(key, st);
    return st;
  }

  /** Every variant of `model` with its standing and both verdicts. */
  watch(model: ModelManifest, s: WatchSettings, fleet: FidelityProfiles | undefined): VariantWatch[] {
    this.refresh(model, s, fleet);
    return Object.keys(model.variants).map((variant) => {
      const st = this.standing(model, variant);
      const { isolate, fleet: f } = this.verdicts(model, variant, s, fleet);
      return { variant, state: st.state, since: new Date(st.since).toISOString(), reason: st.reason, offline: this.opts.offline(model, variant), floor: s.rule.floor, isolate, fleet: f };
    });
  }

  /** The production score of a variant in this isolate (window), for the metrics. */
  isolateScore(key: string): { score: number; n: number } {
    return scoreOf(this.evidence.window(key).evidence);
  }

  /** The offline fidelity of a variant of a model this monitor has seen, for the metrics. */
  offlineOf(model: string, variant: VariantName): number | undefined {
    const m = this.models.get(model);
    return m?.variants[variant] ? this.opts.offline(m, variant) : undefined;
  }

  /** Every (model, variant) with a standing, for the metrics. */
  keys(): { key: string; state: WatchState }[] {
    return [...this.standings].map(([key, st]) => ({ key, state: st.state }));
  }

  private verdicts(model: ModelManifest, variant: VariantName, s: WatchSettings, fleet: FidelityProfiles | undefined): { isolate: Verdict; fleet?: Verdict } {
    const st = this.standing(model, variant);
    const isolate = judge(this.evidence.window(`${model.name}/${variant}`).evidence, s.rule);
    const buckets = fleet?.models[model.name]?.[variant]?.buckets;
    return buckets ? { isolate, fleet: judge(evidenceSince(buckets, st.since, s.windowSamples), s.rule) } : { isolate };
  }

  private judge(model: ModelManifest, variant: VariantName, s: WatchSettings, fleet: FidelityProfiles | undefined): void {
    const key = `${model.name}/${variant}`;
    this.models.set(model.name, model);
    const st = this.standing(model, variant);
    const { isolate, fleet: f } = this.verdicts(model, variant, s, fleet);
    const gate = s.canary?.variant === variant ? this.gate(model, variant, s.canary) : undefined;
    const next = this.apply(model, variant, step(st, f ? [isolate, f] : [isolate], this.now(), gate));
    this.standings.set(key, next);
  }

  private gate(model: ModelManifest, variant: VariantName, c: NonNullable<WatchSettings['canary']>): CanaryGate {
    const ms = this.opts.latencyMs(model, variant);
    const ok = ms <= c.maxLatencyMs;
    return { minSamples: c.minSamples, latency: { ok, text: `predicted compute ${round(ms)} ms ${ok ? '≤' : '>'} ${c.maxLatencyMs} ms` } };
  }

  /** Takes a step's standing; a change restarts the window, and is logged, counted and kept. */
  private apply(model: ModelManifest, variant: VariantName, r: { standing: Standing; transition?: Transition }): Standing {
    const t = r.transition;
    if (!t) return r.standing;
    this.evidence.restart(`${model.name}/${variant}`, t.at);
    this.events.push({ ...t, model: model.name, variant });
    if (this.events.length > EVENTS_KEPT) this.events.splice(0, this.events.length - EVENTS_KEPT);
    this.opts.metrics.inc('gateway_variant_transitions_total', { model: model.name, variant, to: t.to });
    console.log(JSON.stringify({ event: 'variant_state', model: model.name, variant, from: t.from, to: t.to, reason: t.reason }));
    return r.standing;
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
