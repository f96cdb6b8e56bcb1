/**
 * The fleet the simulation replays: points of presence whose machines run 0.5-2x the speed of the machine
 * that profiled the models (and, per model and variant, somewhat differently again: int8 kernels do not speed
 * up like fp32 ones across CPUs), origin round trips of 10-150 ms, clients on every kind of network, and a
 * diurnal load shifted by each PoP's time zone. Ground truth comes from the measured profiles (the manifests'
 * p50 points per batch size), never from the fit the router starts from. Everything is drawn from one seed.
 */
import type { ModelManifest, VariantName } from '../../src/registry/manifest.js';
import { Prng } from '../../tools/lib/prng.js';

export interface Pop {
  id: number;
  /** How much slower than the profiling machine (0.5 = twice as fast). */
  speed: number;
  /** Per model/variant extra factor on top of `speed` (CPU-specific kernel speed). */
  skew: Record<string, number>;
  originRttMs: number;
  /** Peak requests per second; the load follows the PoP's local day. */
  peakRps: number;
  /** Local time offset (h). */
  tzHours: number;
}

export interface ClientClass {
  name: string;
  weight: number;
  hints: Record<string, string>;
}

/** Real-world-ish client mix: ECT from the Network Information API, Device-Memory, Save-Data. */
export const CLIENTS: ClientClass[] = [
  { name: 'desktop 4g', weight: 0.4, hints: { ECT: '4g', 'Device-Memory': '8' } },
  { name: 'phone 4g', weight: 0.25, hints: { ECT: '4g', 'Device-Memory': '4', 'Sec-CH-UA-Mobile': '?1' } },
  { name: 'phone 3g', weight: 0.15, hints: { ECT: '3g', 'Device-Memory': '2', 'Sec-CH-UA-Mobile': '?1' } },
  { name: 'phone save-data', weight: 0.1, hints: { ECT: '4g', 'Device-Memory': '2', 'Sec-CH-UA-Mobile': '?1', 'Save-Data': 'on' } },
  { name: 'phone 2g', weight: 0.05, hints: { ECT: '2g', 'Device-Memory': '1', 'Sec-CH-UA-Mobile': '?1' } },
  { name: 'no hints', weight: 0.05, hints: {} },
];

/** Traffic per model: share, batch sizes (or detector tiles), SLO range (ms) before the client's network. */
export interface ModelTraffic {
  model: string;
  share: number;
  items: number[];
  /** The SLOs applications send for this model (round numbers, whatever the client's network). */
  slos: number[];
  /** Request bytes per item (binary tensors: 4 bytes per element). */
  bytesPerItem: number;
}

export const TRAFFIC: ModelTraffic[] = [
  { model: 'mnist', share: 0.35, items: [1, 1, 1, 2, 4, 8], slos: [60, 100, 200, 400], bytesPerItem: 784 * 4 },
  { model: 'transformer-small', share: 0.25, items: [1, 1, 2, 4], slos: [100, 200, 400, 800], bytesPerItem: 64 * 8 },
  { model: 'ppocr-cls', share: 0.2, items: [1, 1, 2, 4], slos: [150, 300, 600, 1200], bytesPerItem: 27648 * 4 },
  { model: 'ppocr-det', share: 0.1, items: [25, 100, 225], slos: [400, 800, 1600, 3200], bytesPerItem: 3072 * 4 },
  { model: 'transformer-large', share: 0.1, items: [1, 2], slos: [500, 1000, 2000, 4000], bytesPerItem: 64 * 8 },
];

export interface SimRequest {
  i: number;
  pop: number;
  /** Arrival, ms since the start of the trace. */
  t: number;
  model: string;
  items: number;
  requestBytes: number;
  sloMs: number;
  client: string;
  hints: Record<string, string>;
  /** Multiplicative noise of this request's compute and network (common random numbers across policies). */
  noise: { compute: number; network: number; origin: number };
}

export interface World {
  seed: number;
  pops: Pop[];
  requests: SimRequest[];
  durationMs: number;
}

/** A standard normal from two uniforms (Box-Muller); fine for a simulation, not for bit-exact weights. */
function gauss(rng: Prng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

const logUniform = (rng: Prng, lo: number, hi: number) => Math.exp(Math.log(lo) + rng.next() * (Math.log(hi) - Math.log(lo)));

function pick<T extends { weight?: number; share?: number }>(rng: Prng, xs: T[]): T {
  let u = rng.next() * xs.reduce((a, x) => a + (x.weight ?? x.share ?? 0), 0);
  for (const x of xs) if ((u -= x.weight ?? x.share ?? 0) <= 0) return x;
  return xs[xs.length - 1]!;
}

/**
 * Compute noise: lognormal around 1 (sigma 0.12) with a 2% tail of 2-4x stalls (GC, a noisy neighbour), the
 * shape seen in the bench's repeated runs.
 */
function computeNoise(rng: Prng): number {
  const base = Math.exp(0.12 * gauss(rng));
  return rng.next() < 0.02 ? base * (2 + 2 * rng.next()) : base;
}

export interface WorldOptions {
  seed?: number;
  pops?: number;
  /** Length of the simulated day (ms): the load goes through one full diurnal cycle in it. */
  durationMs?: number;
  /** Mean of the PoPs' peak request rates (req/s). */
  meanPeakRps?: number;
  models: ModelManifest[];
}

export function buildWorld(opts: WorldOptions): World {
  const seed = opts.seed ?? 20261202;
  const rng = new Prng(seed);
  const durationMs = opts.durationMs ?? 240_000;
  const variants = opts.models.flatMap((m) => Object.keys(m.variants).map((v) => `${m.name}/${v}`));
  const pops: Pop[] = Array.from({ length: opts.pops ?? 60 }, (_, id) => ({
    id,
    speed: logUniform(rng, 0.5, 2),
    skew: Object.fromEntries(variants.map((k) => [k, Math.exp(0.25 * gauss(rng))])),
    originRttMs: 10 + rng.next() * 140,
    peakRps: (opts.meanPeakRps ?? 6) * (0.4 + 1.2 * rng.next()),
    tzHours: Math.floor(rng.next() * 24) - 12,
  }));
  const requests: SimRequest[] = [];
  const known = new Set(opts.models.map((m) => m.name));
  const traffic = TRAFFIC.filter((t) => known.has(t.model));
  for (const pop of pops) {
    // Thinning (Lewis-Shedler): Poisson arrivals at the peak rate, kept with the local day's share of it.
    for (let t = 0; ; ) {
      t += (-Math.log(1 - rng.next()) / pop.peakRps) * 1000;
      if (t >= durationMs) break;
      const hour = ((t / durationMs) * 24 + pop.tzHours + 24) % 24;
      const load = 0.25 + 0.75 * (0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 3)) / 24));
      if (rng.next() > load) continue;
      const tr = pick(rng, traffic);
      const client = pick(rng, CLIENTS);
      const items = tr.items[rng.int(tr.items.length)]!;
      const requestBytes = 200 + items * tr.bytesPerItem;
      requests.push({
        i: requests.length,
        pop: pop.id,
        t,
        model: tr.model,
        items,
        requestBytes,
        sloMs: tr.slos[rng.int(tr.slos.length)]!,
        client: client.name,
        hints: client.hints,
        noise: { compute: computeNoise(rng), network: Math.exp(0.15 * gauss(rng)), origin: computeNoise(rng) },
      });
    }
  }
  requests.sort((a, b) => a.pop - b.pop || a.t - b.t);
  return { seed, pops, requests, durationMs };
}

/**
 * The measured latency of `items` on the profiling machine: the profile's p50 points, interpolated linearly
 * in items and extrapolated from the last two points.
 */
export function measuredMs(model: ModelManifest, variant: VariantName, items: number): number {
  const pts = [...model.variants[variant]!.latency.points].sort((a, b) => a.items - b.items);
  if (pts.length === 1) return (pts[0]!.p50_ms * items) / pts[0]!.items;
  let k = pts.findIndex((p) => p.items >= items);
  if (k <= 0) k = k === 0 ? 1 : pts.length - 1;
  const [a, b] = [pts[k - 1]!, pts[k]!];
  const slope = Math.max(0, (b.p50_ms - a.p50_ms) / (b.items - a.items));
  return Math.max(0.01, a.p50_ms + slope * (items - a.items));
}
