/**
 * Replays a fleet trace (world.ts) under one routing policy: per PoP, one isolate with one WASM thread (edge
 * runs queue behind each other; a variant's first use pays its load), an origin at the PoP's round trip, and
 * the gateway's own decision code (`decide`, the function the data plane calls) for the adaptive policies.
 * Every policy sees the same requests with the same noise (common random numbers), so differences between
 * policies are the policies'.
 */
import type { GatewayConfig } from '../../src/config.js';
import { resolvePolicy } from '../../src/config.js';
import { decide } from '../../src/dataplane/decide.js';
import type { Feedback } from '../../src/latency/feedback.js';
import type { ModelManifest, VariantName } from '../../src/registry/manifest.js';
import { fidelityScore, fitsEdge } from '../../src/select/facts.js';
import type { LiveView } from '../../src/select/live.js';
import type { Target } from '../../src/select/select.js';
import type { Pop, SimRequest, World } from './world.js';
import { measuredMs } from './world.js';

/** How much faster the origin's native runtime (onnxruntime-node, many cores) runs than the WASM profile. */
export const ORIGIN_SPEEDUP = 0.5;

export interface Choice {
  target: Target | 'none';
  variant?: VariantName;
  /** The compute the policy predicted for its choice (ms), when it predicts. */
  predictedComputeMs?: number;
  /** A cold edge variant to load in the background (the gateway's prewarm): it occupies the WASM thread. */
  prewarm?: VariantName;
}

/** What a policy sees of its PoP when it decides. */
export interface PopView {
  pop: Pop;
  now: number;
  /** Variants loaded in this PoP's isolate. */
  loaded: ReadonlySet<string>;
  /** Edge runs not yet finished: when each started (or will, if waiting) and what the policy predicted for it. */
  unfinished: readonly { startsAt: number; predictedMs: number }[];
  /** The PoP's measured (EWMA) origin round trip. */
  rttEwma: number;
  /** True latency of each candidate for this request now (only the oracle may read it). */
  truth: (target: Target, variant: VariantName) => number;
}

/** What a policy learns after a request ran. */
export interface Observation {
  target: Target;
  variant: VariantName;
  items: number;
  /** Compute only (edge run, or the origin's own compute), as the gateway measures it. */
  computeMs: number;
  rttMs?: number;
}

export interface Policy {
  name: string;
  /** One policy instance per PoP (learning is per isolate). */
  forPop(pop: Pop, config: GatewayConfig): {
    choose(req: SimRequest, model: ModelManifest, view: PopView): Choice;
    observe?(model: ModelManifest, obs: Observation): void;
  };
}

export interface Outcome {
  i: number;
  pop: number;
  model: string;
  client: string;
  target: Target | 'none';
  variant: string;
  e2eMs: number;
  sloMs: number;
  met: boolean;
  fidelity: number;
  /** |predicted - actual| / actual of the chosen candidate's compute, when the policy predicted it. */
  predictionError?: number;
  /** How many runs of this (model, variant, target) the PoP had observed before this one. */
  seen: number;
}

/** The decision the gateway itself would make, through `decide` with a live view of the simulated PoP. */
export function gatewayChoice(req: SimRequest, model: ModelManifest, view: PopView, config: GatewayConfig, queueMs: number, feedback?: Feedback): Choice {
  const live: LiveView = {
    originConfigured: () => true,
    originHealthy: () => true,
    originRttMs: () => view.rttEwma,
    originRetryAfterSeconds: () => 0,
    loadedVariants: () => new Set([...view.loaded].filter((k) => k.startsWith(`${model.name}/`)).map((k) => k.split('/')[1] as VariantName)),
    edgeQueueMs: () => queueMs,
    edgeRuntimeReady: () => view.loaded.size > 0,
  };
  const hints = new Map(Object.entries(req.hints).map(([k, v]) => [k.toLowerCase(), v]));
  const policy = resolvePolicy(config, model.name, { slo_ms: req.sloMs });
  const d = decide(model, policy, { items: req.items, requestBytes: req.requestBytes, hints: (n) => hints.get(n.toLowerCase()) }, { config, live, unhealthy: new Set(), ...(feedback ? { feedback } : {}) });
  if (d.target === 'none' || !d.variant) return { target: 'none' };
  return { target: d.target, variant: d.variant, ...(d.prewarm ? { prewarm: d.prewarm } : {}) };
}

/** True compute of a run at a PoP (ms), this request's noise included. */
function trueCompute(pop: Pop, model: ModelManifest, target: Target, variant: VariantName, req: SimRequest): number {
  const base = measuredMs(model, variant, req.items);
  if (target === 'origin') return base * ORIGIN_SPEEDUP * req.noise.origin;
  return base * pop.speed * (pop.skew[`${model.name}/${variant}`] ?? 1) * req.noise.compute;
}

/** Replays the whole trace under `policy`. */
export function simulate(world: World, models: Map<string, ModelManifest>, policy: Policy, config: GatewayConfig, networkOf: (req: SimRequest) => number): Outcome[] {
  const out: Outcome[] = [];
  const byPop = new Map<number, SimRequest[]>();
  for (const r of world.requests) byPop.set(r.pop, [...(byPop.get(r.pop) ?? []), r]);
  for (const pop of world.pops) {
    const agent = policy.forPop(pop, config);
    const loaded = new Set<string>();
    const seen = new Map<string, number>();
    let busyUntil = 0;
    let rttEwma = config.origin.expected_rtt_ms;
    const runs: { startsAt: number; endsAt: number; predictedMs: number }[] = [];
    // Results reach the policy when their run ends, not when it is decided (causality).
    const pending: { at: number; model: ModelManifest; obs: Observation }[] = [];
    for (const req of byPop.get(pop.id) ?? []) {
      pending.sort((a, b) => a.at - b.at);
      while (pending.length && pending[0]!.at <= req.t) {
        const p = pending.shift()!;
        agent.observe?.(p.model, p.obs);
      }
      while (runs.length && runs[0]!.endsAt <= req.t) runs.shift();
      const model = models.get(req.model)!;
      const rtt = pop.originRttMs * req.noise.network;
      const loadMs = (v: VariantName) => (loaded.has(`${model.name}/${v}`) ? 0 : model.variants[v]!.latency.load_ms * pop.speed);
      const truth = (target: Target, v: VariantName) =>
        target === 'origin' ? rtt + trueCompute(pop, model, 'origin', v, req) : Math.max(0, busyUntil - req.t) + loadMs(v) + trueCompute(pop, model, 'edge', v, req);
      const choice = agent.choose(req, model, { pop, now: req.t, loaded, unfinished: runs, rttEwma, truth });
      const network = networkOf(req) * req.noise.network;
      if (choice.target === 'none' || !choice.variant) {
        out.push({ i: req.i, pop: pop.id, model: req.model, client: req.client, target: 'none', variant: '', e2eMs: Infinity, sloMs: req.sloMs, met: false, fidelity: 0, seen: 0 });
        continue;
      }
      const { target, variant } = choice;
      if (choice.prewarm && !loaded.has(`${model.name}/${choice.prewarm}`)) {
        // Loaded in the background after this request is sent on: the thread is busy meanwhile.
        const startsAt = Math.max(busyUntil, req.t);
        busyUntil = startsAt + loadMs(choice.prewarm);
        runs.push({ startsAt, endsAt: busyUntil, predictedMs: model.variants[choice.prewarm]!.latency.load_ms });
        loaded.add(`${model.name}/${choice.prewarm}`);
      }
      const compute = trueCompute(pop, model, target, variant, req);
      const latency = truth(target, variant);
      if (target === 'edge') {
        const startsAt = Math.max(busyUntil, req.t) + loadMs(variant);
        busyUntil = startsAt + compute;
        runs.push({ startsAt, endsAt: busyUntil, predictedMs: choice.predictedComputeMs ?? compute });
        loaded.add(`${model.name}/${variant}`);
      } else {
        rttEwma += 0.3 * (rtt - rttEwma);
      }
      const key = `${model.name}/${variant}/${target}`;
      const n = seen.get(key) ?? 0;
      seen.set(key, n + 1);
      pending.push({ at: req.t + latency, model, obs: { target, variant, items: req.items, computeMs: compute, ...(target === 'origin' ? { rttMs: rtt } : {}) } });
      // The gateway's own time per request (decode, select, encode): what the config says it measured.
      const e2eMs = network + config.edge.request_overhead_ms + latency;
      out.push({
        i: req.i,
        pop: pop.id,
        model: req.model,
        client: req.client,
        target,
        variant,
        e2eMs,
        sloMs: req.sloMs,
        met: e2eMs <= req.sloMs,
        fidelity: target === 'origin' ? 1 : fidelityScore(model.variants[variant]!),
        ...(choice.predictedComputeMs !== undefined ? { predictionError: Math.abs(choice.predictedComputeMs - compute) / compute } : {}),
        seen: n,
      });
    }
  }
  return out;
}

/** Static policies: one edge variant always (the origin when it cannot run at the edge), or the origin always. */
export function staticPolicy(variant: VariantName | 'origin'): Policy {
  return {
    name: variant === 'origin' ? 'always origin' : `always ${variant}`,
    forPop: (_pop, config) => ({
      choose(req, model) {
        if (variant === 'origin') return { target: 'origin', variant: config.origin.variant };
        const v = model.variants[variant];
        const budget = resolvePolicy(config, model.name).edge_memory_budget_bytes;
        return v && fitsEdge(v, budget) ? { target: 'edge', variant } : { target: 'origin', variant: config.origin.variant };
      },
    }),
  };
}

/**
 * The oracle: knows every candidate's true latency for this request (queue, load, this run's noise) and picks
 * the most faithful one that meets the SLO, else the fastest. It bounds what any policy could attain.
 */
export function oraclePolicy(networkOf: (req: SimRequest) => number): Policy {
  return {
    name: 'oracle',
    forPop: (_pop, config) => ({
      choose(req, model, view) {
        const budget = resolvePolicy(config, model.name).edge_memory_budget_bytes;
        const options: { target: Target; variant: VariantName; ms: number; fidelity: number }[] = [{ target: 'origin', variant: config.origin.variant, ms: view.truth('origin', config.origin.variant), fidelity: 1 }];
        for (const [name, v] of Object.entries(model.variants) as [VariantName, ModelManifest['variants'][VariantName] & object][]) {
          if (fitsEdge(v, budget)) options.push({ target: 'edge', variant: name, ms: view.truth('edge', name), fidelity: fidelityScore(v) });
        }
        const spare = req.sloMs - networkOf(req) * req.noise.network - config.edge.request_overhead_ms;
        const meeting = options.filter((o) => o.ms <= spare).sort((a, b) => b.fidelity - a.fidelity || a.ms - b.ms);
        const best = meeting[0] ?? options.sort((a, b) => a.ms - b.ms)[0]!;
        return { target: best.target, variant: best.variant };
      },
    }),
  };
}
