/**
 * The routing decision (selectRoute) and the network profile it budgets with (networkProfile, networkMs),
 * table-driven over an mnist-like model with fp32 / fp16 / int8 variants.
 */
import { describe, expect, it } from 'vitest';
import type { NetworkDefaults, NetworkProfile } from '../../src/select/hints.js';
import { networkMs, networkProfile } from '../../src/select/hints.js';
import type { VariantFacts } from '../../src/select/facts.js';
import type { CallerLimits, LiveState, RouteDecision, SelectionInput, SelectionPolicy } from '../../src/select/select.js';
import { selectRoute } from '../../src/select/select.js';
import type { VariantName } from '../../src/registry/manifest.js';

const MiB = 1024 * 1024;

/**
 * Per-variant facts shaped like the mnist manifest, with latencies of a slower fleet so that budgets bite:
 * fp32 2 + 0.5/item ms, fp16 1.5 + 0.35/item, int8 1 + 0.2/item.
 */
const MNIST: readonly VariantFacts[] = Object.freeze([
  { name: 'fp32', fidelity: 1, accuracy: 0.9675, edge_memory_bytes: 16 * MiB, fixed_ms: 2, per_item_ms: 0.5, load_ms: 13.5 },
  { name: 'fp16', fidelity: 0.998, accuracy: 0.9675, edge_memory_bytes: 16 * MiB, fixed_ms: 1.5, per_item_ms: 0.35, load_ms: 31.4 },
  { name: 'int8', fidelity: 0.985, accuracy: 0.9665, edge_memory_bytes: 16 * MiB, fixed_ms: 1, per_item_ms: 0.2, load_ms: 12.4 },
]);

/** The same model, every variant needing more WASM memory than the default 96 MiB edge budget. */
const TOO_BIG: readonly VariantFacts[] = MNIST.map((v) => ({ ...v, edge_memory_bytes: 200 * MiB }));

const POLICY: SelectionPolicy = {
  slo_ms: 500,
  variants: ['fp32', 'fp16', 'int8'],
  accuracy_floor: 0,
  save_data_fidelity_slack: 0.01,
  edge_memory_budget_bytes: 96 * MiB,
  origin_enabled: true,
  edge_speed_factor: 1,
  origin_speed_factor: 0.5,
  origin_variant: 'fp32',
};

const ALL: ReadonlySet<VariantName> = new Set(['fp32', 'fp16', 'int8']);

const LIVE: LiveState = {
  origin_configured: true,
  origin_healthy: true,
  origin_rtt_ms: 40,
  unhealthy_variants: new Set(),
  loaded_variants: ALL,
  edge_queue_ms: 0,
};

/** Desktop on a good link: 50 ms RTT, 10 Mbit/s. With REQUEST_BYTES the network costs 58 ms. */
const DESKTOP: NetworkProfile = { rtt_ms: 50, downlink_mbps: 10, save_data: false, mobile: false, from_hints: [] };
const REQUEST_BYTES = 10_000;

interface Scenario {
  variants?: readonly VariantFacts[];
  items?: number;
  network?: Partial<NetworkProfile>;
  policy?: Partial<SelectionPolicy>;
  live?: Partial<LiveState>;
  pinned?: VariantName;
  caller?: CallerLimits;
}

function decide(s: Scenario = {}): RouteDecision {
  const input: SelectionInput = {
    variants: s.variants ?? MNIST,
    items: s.items ?? 1,
    request_bytes: REQUEST_BYTES,
    network: { ...DESKTOP, ...s.network },
    policy: { ...POLICY, ...s.policy },
    live: { ...LIVE, ...s.live },
    ...(s.pinned ? { pinned: s.pinned } : {}),
    ...(s.caller ? { caller: s.caller } : {}),
  };
  return selectRoute(input);
}

const headers = (h: Record<string, string>) => {
  const all = new Headers(h);
  return (name: string) => all.get(name);
};

/** A network profile from Client Hints, as the data plane builds it. */
const hinted = (h: Record<string, string>) => networkProfile(headers(h), DEFAULTS);

const DEFAULTS: NetworkDefaults = { rtt_ms: 50, downlink_mbps: 10, mobile_rtt_ms: 150, mobile_downlink_mbps: 1.5 };

function candidate(d: RouteDecision, target: 'edge' | 'origin', variant: VariantName) {
  const c = d.candidates.find((x) => x.target === target && x.variant === variant);
  if (!c) throw new Error(`no ${target}/${variant} candidate in ${JSON.stringify(d.candidates)}`);
  return c;
}

describe('selectRoute picks a target and variant', () => {
  interface Row {
    name: string;
    scenario: Scenario;
    target: 'edge' | 'origin' | 'none';
    variant?: VariantName;
    meets: boolean;
    reason: RegExp;
  }

  // Budget = slo_ms - 58 ms of network unless the row changes the network.
  const rows: Row[] = [
    {
      name: 'with a loose budget the most accurate variant wins, at the edge rather than the origin',
      scenario: {},
      target: 'edge',
      variant: 'fp32',
      meets: true,
      reason: /^fp32 at edge: most accurate within 442 ms budget \(predicted 2\.5 ms\)$/,
    },
    {
      name: 'the edge is preferred at equal fidelity even when the origin would be faster',
      // 256 items: edge fp32 130 ms, origin fp32 40 + 65 = 105 ms; both within 442 ms.
      scenario: { items: 256 },
      target: 'edge',
      variant: 'fp32',
      meets: true,
      reason: /fp32 at edge/,
    },
    {
      name: 'with a tight budget a faster, less accurate variant wins',
      // 100 items, budget 40: fp32 52, fp16 36.5, int8 21, origin 66.
      scenario: { items: 100, policy: { slo_ms: 98 } },
      target: 'edge',
      variant: 'fp16',
      meets: true,
      reason: /^fp16 at edge: most accurate within 40 ms budget \(predicted 36\.5 ms\)$/,
    },
    {
      name: 'with a tighter budget still, only the fastest variant fits',
      scenario: { items: 100, policy: { slo_ms: 88 } },
      target: 'edge',
      variant: 'int8',
      meets: true,
      reason: /int8 at edge: most accurate within 30 ms budget/,
    },
    {
      name: 'when nothing meets the budget the fastest candidate is chosen and flagged as a predicted miss',
      scenario: { items: 100, policy: { slo_ms: 60 } },
      target: 'edge',
      variant: 'int8',
      meets: false,
      reason: /^predicted SLO miss: fastest is int8 at edge \(21 ms > 2 ms budget\)$/,
    },
    {
      name: 'Save-Data takes the cheapest candidate within the fidelity slack',
      // fp16 (0.998) is within 0.01 of fp32; int8 (0.985) is not.
      scenario: { network: { save_data: true } },
      target: 'edge',
      variant: 'fp16',
      meets: true,
      reason: /fp16 at edge: .*, save-data$/,
    },
    {
      name: 'fidelities within the tolerance count as equal, so the faster of them is chosen',
      // fp16 (0.998) is within 0.005 of fp32 (1) and faster; int8 (0.985) is not within it.
      scenario: { policy: { fidelity_tolerance: 0.005 } },
      target: 'edge',
      variant: 'fp16',
      meets: true,
      reason: /^fp16 at edge/,
    },
    {
      name: 'a tolerance below the fidelity gap keeps the most faithful variant',
      scenario: { policy: { fidelity_tolerance: 0.001 } },
      target: 'edge',
      variant: 'fp32',
      meets: true,
      reason: /^fp32 at edge/,
    },
    {
      name: 'Save-Data with a wider slack takes an even cheaper variant',
      scenario: { network: { save_data: true }, policy: { save_data_fidelity_slack: 0.02 } },
      target: 'edge',
      variant: 'int8',
      meets: true,
      reason: /int8 at edge: .*, save-data$/,
    },
    {
      name: 'without Save-Data the same wide slack changes nothing',
      scenario: { policy: { save_data_fidelity_slack: 0.02 } },
      target: 'edge',
      variant: 'fp32',
      meets: true,
      reason: /^fp32 at edge/,
    },
    {
      name: 'a model too big for the edge memory budget goes to the origin, and the reason says why',
      scenario: { variants: TOO_BIG },
      target: 'origin',
      variant: 'fp32',
      meets: true,
      reason: /^origin: no edge variant can run \(needs 200 MB, edge budget is 96 MB\); fp32 at origin/,
    },
    {
      name: 'a model too big for the edge with the origin down cannot be served at all',
      scenario: { variants: TOO_BIG, live: { origin_healthy: false } },
      target: 'none',
      meets: false,
      reason: /^no candidate can serve: .*edge\/fp32: needs 200 MB, edge budget is 96 MB.*origin\/fp32: origin unhealthy/,
    },
    {
      name: 'a model too big for the edge with no origin configured cannot be served at all',
      scenario: { variants: TOO_BIG, live: { origin_configured: false } },
      target: 'none',
      meets: false,
      reason: /^no candidate can serve: edge\/fp32: needs 200 MB/,
    },
    {
      name: 'a model whose origin is disabled by policy and that does not fit the edge cannot be served',
      scenario: { variants: TOO_BIG, policy: { origin_enabled: false } },
      target: 'none',
      meets: false,
      reason: /origin\/fp32: origin disabled for this model/,
    },
    {
      name: 'a pinned variant is the only one considered, served at the edge when it fits',
      scenario: { pinned: 'int8' },
      target: 'edge',
      variant: 'int8',
      meets: true,
      reason: /^pinned int8 at edge$/,
    },
    {
      name: 'a pinned variant that does not fit the edge is served by the origin',
      scenario: { pinned: 'fp16', variants: TOO_BIG },
      target: 'origin',
      variant: 'fp16',
      meets: true,
      reason: /^pinned fp16 at origin$/,
    },
    {
      name: 'a pinned variant bypasses the allowed-variants list and the accuracy floor',
      scenario: { pinned: 'int8', policy: { variants: ['fp32'], accuracy_floor: 0.967 } },
      target: 'edge',
      variant: 'int8',
      meets: true,
      reason: /^pinned int8 at edge$/,
    },
    {
      name: 'a pinned variant that misses the budget is still served, flagged as a predicted miss',
      scenario: { pinned: 'fp32', items: 100, policy: { slo_ms: 60 } },
      target: 'edge',
      variant: 'fp32',
      meets: false,
      reason: /^predicted SLO miss: fastest is fp32 at edge/,
    },
    {
      name: 'variants below the accuracy floor are never chosen, even when they are the only ones in budget',
      // Without the floor int8 wins this budget (see above); with it, the fastest remaining is a miss.
      scenario: { items: 100, policy: { slo_ms: 88, accuracy_floor: 0.967 } },
      target: 'edge',
      variant: 'fp16',
      meets: false,
      reason: /^predicted SLO miss: fastest is fp16 at edge/,
    },
    {
      name: 'a variant that failed at the edge recently is skipped, and the origin serves fp32 as the more accurate choice',
      scenario: { live: { unhealthy_variants: new Set(['fp32']) } },
      target: 'origin',
      variant: 'fp32',
      meets: true,
      reason: /^fp32 at origin: most accurate/,
    },
    {
      name: 'a variant that failed at the edge recently is skipped for the next best edge variant when the origin is down',
      scenario: { live: { unhealthy_variants: new Set(['fp32']), origin_healthy: false } },
      target: 'edge',
      variant: 'fp16',
      meets: true,
      reason: /^fp16 at edge/,
    },
    {
      name: 'only variants on the allowed list run at the edge',
      scenario: { policy: { variants: ['int8'], origin_enabled: false } },
      target: 'edge',
      variant: 'int8',
      meets: true,
      reason: /^int8 at edge/,
    },
    {
      name: 'the allowed list restricts the edge only: the origin still serves its own variant',
      scenario: { policy: { variants: ['int8'] } },
      target: 'origin',
      variant: 'fp32',
      meets: true,
      reason: /^fp32 at origin/,
    },
    {
      name: 'a variant that is not loaded yet pays its load time and can lose to a loaded one',
      // Budget 10: warm fp32 would take 2.5 ms; cold it takes 16 ms. Only int8 is loaded (1.2 ms).
      scenario: { policy: { slo_ms: 68 }, live: { loaded_variants: new Set(['int8']) } },
      target: 'edge',
      variant: 'int8',
      meets: true,
      reason: /^int8 at edge: most accurate within 10 ms budget/,
    },
    {
      name: 'the same budget with every variant loaded keeps the most accurate one',
      scenario: { policy: { slo_ms: 68 } },
      target: 'edge',
      variant: 'fp32',
      meets: true,
      reason: /^fp32 at edge/,
    },
    {
      name: 'work already queued at the edge counts against it and can push a request to the origin',
      // Budget 50: every edge variant ~51-53 ms with 50 ms queued; origin fp32 41.3 ms.
      scenario: { policy: { slo_ms: 108 }, live: { edge_queue_ms: 50 } },
      target: 'origin',
      variant: 'fp32',
      meets: true,
      reason: /^fp32 at origin: most accurate within 50 ms budget \(predicted 41\.3 ms\)$/,
    },
    {
      name: 'the origin is dropped when unhealthy and the edge serves instead',
      scenario: { policy: { slo_ms: 108 }, live: { edge_queue_ms: 50, origin_healthy: false } },
      target: 'edge',
      variant: 'int8',
      meets: false,
      reason: /^predicted SLO miss: fastest is int8 at edge/,
    },
  ];

  it.each(rows)('$name', ({ scenario, target, variant, meets, reason }) => {
    const d = decide(scenario);
    expect(d.target, d.reason).toBe(target);
    expect(d.variant).toBe(variant);
    expect(d.meets_slo).toBe(meets);
    expect(d.reason).toMatch(reason);
    if (target !== 'none') expect(d.meets_slo).toBe(d.predicted_ms <= d.budget_ms);
  });

  it('subtracts the client network time from the SLO to get the budget', () => {
    const d = decide();
    expect(d.network_ms).toBe(58);
    expect(d.budget_ms).toBe(442);
  });

  it('predicts edge time as fixed + per-item cost, and origin time as round trip + scaled compute', () => {
    const d = decide({ items: 100 });
    expect(candidate(d, 'edge', 'fp32').predicted_ms).toBe(52);
    expect(candidate(d, 'edge', 'fp16').predicted_ms).toBe(36.5);
    expect(candidate(d, 'edge', 'int8').predicted_ms).toBe(21);
    expect(candidate(d, 'origin', 'fp32').predicted_ms).toBe(66);
  });

  it('scales edge compute and load time by the edge speed factor', () => {
    const d = decide({ policy: { edge_speed_factor: 2 }, live: { loaded_variants: new Set() } });
    expect(candidate(d, 'edge', 'fp32').predicted_ms).toBe((2.5 + 13.5) * 2);
    expect(candidate(d, 'edge', 'fp32').why).toBe('includes 27 ms to load');
  });

  it('adds the load time of a cold variant and says so', () => {
    const d = decide({ live: { loaded_variants: new Set(['int8']) } });
    expect(candidate(d, 'edge', 'fp32')).toMatchObject({ predicted_ms: 16, kept: true, why: 'includes 13.5 ms to load' });
    expect(candidate(d, 'edge', 'fp16')).toMatchObject({ predicted_ms: 33.3, why: 'includes 31.4 ms to load' });
    expect(candidate(d, 'edge', 'int8')).toMatchObject({ predicted_ms: 1.2, why: 'loaded' });
  });

  it('adds the queued edge work to every edge candidate but not to the origin', () => {
    const idle = decide({ items: 2 });
    const busy = decide({ items: 2, live: { edge_queue_ms: 25 } });
    for (const v of ['fp32', 'fp16', 'int8'] as const) {
      expect(candidate(busy, 'edge', v).predicted_ms).toBeCloseTo(candidate(idle, 'edge', v).predicted_ms + 25, 1);
    }
    expect(candidate(busy, 'origin', 'fp32').predicted_ms).toBe(candidate(idle, 'origin', 'fp32').predicted_ms);
  });

  it('explains each excluded candidate', () => {
    const d = decide({
      variants: [MNIST[0]!, { ...MNIST[1]!, edge_memory_bytes: 200 * MiB }, MNIST[2]!],
      policy: { variants: ['fp32', 'fp16'] },
      live: { unhealthy_variants: new Set(['fp32']), origin_healthy: false },
    });
    expect(candidate(d, 'edge', 'fp32')).toMatchObject({ kept: false, why: 'failed at the edge recently' });
    expect(candidate(d, 'edge', 'fp16')).toMatchObject({ kept: false, why: 'needs 200 MB, edge budget is 96 MB' });
    expect(candidate(d, 'edge', 'int8')).toMatchObject({ kept: false, why: 'not in the allowed variants' });
    expect(candidate(d, 'origin', 'fp32')).toMatchObject({ kept: false, why: 'origin unhealthy' });
    expect(d.target).toBe('none');
  });

  it('names the floor when a variant is below it', () => {
    const d = decide({ policy: { accuracy_floor: 0.967 } });
    expect(candidate(d, 'edge', 'int8')).toMatchObject({ kept: false, why: 'accuracy 0.9665 below floor 0.967' });
  });

  it('excludes every other variant when one is pinned, and asks the origin for the pinned one', () => {
    const d = decide({ pinned: 'fp16' });
    expect(candidate(d, 'edge', 'fp32')).toMatchObject({ kept: false, why: 'not the pinned variant fp16' });
    expect(candidate(d, 'edge', 'int8')).toMatchObject({ kept: false, why: 'not the pinned variant fp16' });
    expect(d.candidates.filter((c) => c.target === 'origin').map((c) => c.variant)).toEqual(['fp16']);
  });

  it('offers no origin candidate when no origin is configured', () => {
    const d = decide({ live: { origin_configured: false } });
    expect(d.candidates.every((c) => c.target === 'edge')).toBe(true);
  });

  it('is pure: the same input gives the same decision', () => {
    const s: Scenario = { items: 100, policy: { slo_ms: 98 }, network: { save_data: true } };
    expect(decide(s)).toEqual(decide(s));
  });
});

/**
 * The mnist-like model after a compression on random inputs: int8 claims fp32's fidelity (random inputs
 * overstate it, issue 11) but is unverified; fp16 was measured on real samples.
 */
const RANDOM_INT8: readonly VariantFacts[] = MNIST.map((v) => (v.name === 'int8' ? { ...v, fidelity: 1, accuracy: 1, verified: false } : v));

describe('selectRoute and unverified fidelity (policy unverified_fidelity)', () => {
  interface Row {
    name: string;
    scenario: Scenario;
    target: 'edge' | 'origin' | 'none';
    variant: VariantName;
    meets: boolean;
    reason: RegExp;
  }
  const loose = { fidelity_tolerance: 0.005 };
  const rows: Row[] = [
    {
      name: "'serve' takes the unverified claim at its word: int8 ties fp32 and is fastest",
      scenario: { variants: RANDOM_INT8, policy: { ...loose, unverified_fidelity: 'serve' } },
      target: 'edge',
      variant: 'int8',
      meets: true,
      reason: /^int8 at edge: .*, fidelity unverified$/,
    },
    {
      name: "'avoid' passes over an unverified variant while a verified one meets the budget",
      // fp32 (1) and fp16 (0.998) are verified and within the tolerance: the faster fp16 wins.
      scenario: { variants: RANDOM_INT8, policy: { ...loose, unverified_fidelity: 'avoid' } },
      target: 'edge',
      variant: 'fp16',
      meets: true,
      reason: /^fp16 at edge: most accurate/,
    },
    {
      name: "'avoid' still runs the unverified variant when it is the only one meeting the budget",
      // 100 items, budget 30: fp32 52, fp16 36.5, origin 66 miss; int8 21 fits.
      scenario: { variants: RANDOM_INT8, items: 100, policy: { slo_ms: 88, unverified_fidelity: 'avoid' } },
      target: 'edge',
      variant: 'int8',
      meets: true,
      reason: /^int8 at edge: .*, fidelity unverified$/,
    },
    {
      name: "'refuse' never keeps the unverified variant, even when that means a predicted miss",
      scenario: { variants: RANDOM_INT8, items: 100, policy: { slo_ms: 88, unverified_fidelity: 'refuse' } },
      target: 'edge',
      variant: 'fp16',
      meets: false,
      reason: /^predicted SLO miss: fastest is fp16 at edge/,
    },
    {
      name: "'refuse' lets a client pin the unverified variant",
      scenario: { variants: RANDOM_INT8, pinned: 'int8', policy: { unverified_fidelity: 'refuse' } },
      target: 'edge',
      variant: 'int8',
      meets: true,
      reason: /^pinned int8 at edge, fidelity unverified$/,
    },
  ];

  it.each(rows)('$name', ({ scenario, target, variant, meets, reason }) => {
    const d = decide(scenario);
    expect(d.target).toBe(target);
    expect(d.variant).toBe(variant);
    expect(d.meets_slo).toBe(meets);
    expect(d.reason).toMatch(reason);
  });

  it('lists each candidate as verified or not, and says why a refused one is not kept', () => {
    const d = decide({ variants: RANDOM_INT8, policy: { unverified_fidelity: 'refuse' } });
    expect(d.candidates.map((c) => [c.target, c.variant, c.verified])).toEqual([['edge', 'fp32', true], ['edge', 'fp16', true], ['edge', 'int8', false], ['origin', 'fp32', true]]);
    expect(candidate(d, 'edge', 'int8')).toMatchObject({ kept: false, why: 'fidelity unverified (measured on random inputs); policy refuses it' });
  });
});

describe('selectRoute refuses only when asked, and only on facts', () => {
  interface Row {
    name: string;
    scenario: Scenario;
    refused: boolean;
    target: 'edge' | 'origin' | 'none';
    reason: RegExp;
  }

  // The estimated network costs 58 ms (the 50 ms default round trip, which no hint stated, and the upload of
  // a body that has already arrived); the gateway's overhead is 4 ms where the row says so.
  const strict = { strict_slo: true };
  const rttHint = { rtt_ms: 50, from_hints: ['RTT'] };
  const rows: Row[] = [
    {
      name: 'an SLO no longer than the estimated network is served best effort and flagged, never refused on a guess',
      scenario: { policy: { slo_ms: 58 } },
      refused: false,
      target: 'edge',
      reason: /^predicted SLO miss: fastest is int8 at edge \(1\.2 ms > 0 ms budget\)$/,
    },
    {
      name: "the gateway's overhead past the SLO is no reason to refuse either",
      scenario: { policy: { slo_ms: 60, request_overhead_ms: 4 } },
      refused: false,
      target: 'edge',
      reason: /^predicted SLO miss: fastest is int8 at edge \(1\.2 ms > -2 ms budget\)$/,
    },
    {
      name: 'x-slo-strict counts no network the client did not state: the same request is served',
      scenario: { policy: { slo_ms: 58 }, caller: strict },
      refused: false,
      target: 'edge',
      reason: /^predicted SLO miss: fastest is int8 at edge/,
    },
    {
      name: 'x-slo-strict with a mobile guess but no network hint still counts no round trip',
      scenario: { policy: { slo_ms: 100 }, caller: strict, network: { mobile: true, rtt_ms: 150, from_hints: ['Sec-CH-UA-Mobile'] } },
      refused: false,
      target: 'edge',
      reason: /^predicted SLO miss: fastest is int8 at edge/,
    },
    {
      name: "x-slo-strict refuses with the arithmetic of the client's own RTT hint, before any candidate is weighed",
      scenario: { policy: { slo_ms: 52, request_overhead_ms: 4 }, caller: strict, network: rttHint },
      refused: true,
      target: 'none',
      reason: /^SLO cannot be met: 52 ms SLO - 50 ms round trip \(your RTT hint\) - 4 ms gateway overhead = -2 ms budget$/,
    },
    {
      name: 'a strict SLO with no budget is refused even while no backend could serve: the answer does not depend on live state',
      scenario: { policy: { slo_ms: 1, request_overhead_ms: 4 }, caller: strict, variants: TOO_BIG, live: { origin_healthy: false } },
      refused: true,
      target: 'none',
      reason: /^SLO cannot be met: 1 ms SLO - 4 ms gateway overhead = -3 ms budget$/,
    },
    {
      name: 'a pinned variant whose measured latency exceeds a strict SLO is refused alike',
      scenario: { items: 100, policy: { slo_ms: 10 }, pinned: 'int8', caller: strict },
      refused: true,
      target: 'none',
      reason: /^SLO cannot be met: fastest is int8 at edge, predicted 21 ms > 10 ms SLO - 0 ms gateway overhead = 10 ms budget$/,
    },
    {
      name: 'a positive budget that every candidate is predicted to miss still runs the fastest, best effort, by default',
      scenario: { items: 100, policy: { slo_ms: 60 } },
      refused: false,
      target: 'edge',
      reason: /^predicted SLO miss: fastest is int8 at edge/,
    },
    {
      name: 'refuse_predicted_miss judges by facts too: without a network hint the same request is served',
      scenario: { items: 100, policy: { slo_ms: 60, refuse_predicted_miss: true } },
      refused: false,
      target: 'edge',
      reason: /^predicted SLO miss: fastest is int8 at edge/,
    },
    {
      name: "with refuse_predicted_miss and the client's RTT hint the request is refused, naming the fastest candidate and the budget",
      scenario: { items: 100, policy: { slo_ms: 60, refuse_predicted_miss: true }, network: rttHint },
      refused: true,
      target: 'none',
      reason: /^SLO cannot be met: fastest is int8 at edge, predicted 21 ms > 60 ms SLO - 50 ms round trip \(your RTT hint\) - 0 ms gateway overhead = 10 ms budget$/,
    },
    {
      name: 'refuse_predicted_miss lets through a request some candidate is predicted to meet',
      scenario: { items: 100, policy: { slo_ms: 88, refuse_predicted_miss: true }, network: rttHint },
      refused: false,
      target: 'edge',
      reason: /^int8 at edge: most accurate within 30 ms budget/,
    },
    {
      name: "a v2 timeout the fastest candidate cannot meet is refused: the caller set it, and it is server time (no network)",
      scenario: { items: 100, caller: { deadline_ms: 5 } },
      refused: true,
      target: 'none',
      reason: /^SLO cannot be met: fastest is int8 at edge, predicted 21 ms > 5 ms timeout - 0 ms gateway overhead = 5 ms budget$/,
    },
    {
      name: 'a v2 timeout that leaves room is served as usual',
      scenario: { caller: { deadline_ms: 1000 } },
      refused: false,
      target: 'edge',
      reason: /^fp32 at edge: most accurate within 442 ms budget/,
    },
  ];

  it.each(rows)('$name', ({ scenario, refused, target, reason }) => {
    const d = decide(scenario);
    expect(d.target, d.reason).toBe(target);
    expect(d.refused ?? false).toBe(refused);
    expect(d.reason).toMatch(reason);
    if (refused) expect(d.meets_slo).toBe(false);
  });

  it('a v2 timeout tighter than the SLO steers the choice to what fits within it', () => {
    const d = decide({ items: 8, caller: { deadline_ms: 5 } });
    expect([d.budget_ms, d.target, d.variant, d.meets_slo]).toEqual([5, 'edge', 'fp16', true]);
  });

  it('keeps every candidate in a refused decision, for explain', () => {
    const d = decide({ policy: { slo_ms: 1, request_overhead_ms: 4 }, caller: strict });
    expect(d.refused).toBe(true);
    expect(d.candidates.map((c) => `${c.target}/${c.variant}`)).toEqual(['edge/fp32', 'edge/fp16', 'edge/int8', 'origin/fp32']);
    expect(d.fallback).toBeUndefined();
  });
});

describe('selectRoute plans the fallback and the prewarm', () => {
  interface Row {
    name: string;
    scenario: Scenario;
    target: 'edge' | 'origin' | 'none';
    variant?: VariantName;
    fallback?: { target: 'edge' | 'origin'; variant: VariantName };
    prewarm?: VariantName;
  }

  const COLD: Partial<LiveState> = { loaded_variants: new Set(), edge_runtime_init_ms: 381 };
  /** fp16 as faithful as fp32 (and faster): the fallback among equals is the faster one. */
  const EQUAL_FP16: readonly VariantFacts[] = MNIST.map((v) => (v.name === 'fp16' ? { ...v, fidelity: 1 } : v));

  const rows: Row[] = [
    {
      name: 'an edge decision falls back to the origin, on the variant the origin serves',
      scenario: {},
      target: 'edge',
      variant: 'fp32',
      fallback: { target: 'origin', variant: 'fp32' },
    },
    {
      name: 'a pinned edge decision falls back to the pinned variant at the origin',
      scenario: { pinned: 'int8' },
      target: 'edge',
      variant: 'int8',
      fallback: { target: 'origin', variant: 'int8' },
    },
    {
      name: 'an edge decision has no fallback while the origin is unhealthy',
      scenario: { live: { origin_healthy: false } },
      target: 'edge',
      variant: 'fp32',
    },
    {
      name: 'an edge decision has no fallback when the model may not use the origin',
      scenario: { policy: { origin_enabled: false } },
      target: 'edge',
      variant: 'fp32',
    },
    {
      name: 'an edge decision has no fallback without an origin',
      scenario: { live: { origin_configured: false } },
      target: 'edge',
      variant: 'fp32',
    },
    {
      name: 'an origin decision falls back to the most faithful edge variant kept, skipping one cooling down',
      scenario: { live: { unhealthy_variants: new Set(['fp32']) } },
      target: 'origin',
      variant: 'fp32',
      fallback: { target: 'edge', variant: 'fp16' },
    },
    {
      name: 'an origin decision made because the edge is busy falls back to the most faithful edge variant, even if it misses the budget',
      // Budget 50: every edge variant ~51-53 ms behind 50 ms of queue; origin fp32 41.3 ms.
      scenario: { policy: { slo_ms: 108 }, live: { edge_queue_ms: 50 } },
      target: 'origin',
      variant: 'fp32',
      fallback: { target: 'edge', variant: 'fp32' },
    },
    {
      name: 'between edge variants as faithful as each other the fallback is the faster one',
      scenario: { variants: EQUAL_FP16, policy: { slo_ms: 108 }, live: { edge_queue_ms: 50 } },
      target: 'origin',
      variant: 'fp32',
      fallback: { target: 'edge', variant: 'fp16' },
    },
    {
      name: 'a cold isolate sends a tight SLO to the origin and prewarms the most faithful edge variant',
      // Budget 92: a cold edge variant pays the runtime start and its load (~395 ms); origin 41.3 ms.
      scenario: { policy: { slo_ms: 150 }, live: COLD },
      target: 'origin',
      variant: 'fp32',
      fallback: { target: 'edge', variant: 'fp32' },
      prewarm: 'fp32',
    },
    {
      name: 'the prewarm is the most faithful edge variant still cold, among the allowed ones',
      scenario: { policy: { slo_ms: 150, variants: ['fp16', 'int8'] }, live: COLD },
      target: 'origin',
      variant: 'fp32',
      fallback: { target: 'edge', variant: 'fp16' },
      prewarm: 'fp16',
    },
    {
      name: 'a loaded edge variant is not prewarmed again: the next most faithful cold one is',
      // fp16 loaded (51.9 ms with the queue), int8 cold (63.6 ms): both miss the 50 ms budget.
      scenario: { policy: { slo_ms: 108, variants: ['fp16', 'int8'] }, live: { edge_queue_ms: 50, loaded_variants: new Set(['fp16']) } },
      target: 'origin',
      variant: 'fp32',
      fallback: { target: 'edge', variant: 'fp16' },
      prewarm: 'int8',
    },
    {
      name: 'an edge decision prewarms nothing, even in a cold isolate',
      scenario: { live: COLD },
      target: 'edge',
      variant: 'fp32',
      fallback: { target: 'origin', variant: 'fp32' },
    },
    {
      name: 'a model too big for the edge has neither a fallback nor a prewarm at the origin',
      scenario: { variants: TOO_BIG, live: COLD },
      target: 'origin',
      variant: 'fp32',
    },
    {
      name: 'no decision, no fallback',
      scenario: { variants: TOO_BIG, live: { origin_healthy: false } },
      target: 'none',
    },
  ];

  it.each(rows)('$name', ({ scenario, target, variant, fallback, prewarm }) => {
    const d = decide(scenario);
    expect([d.target, d.variant], d.reason).toEqual([target, variant]);
    expect(d.fallback).toEqual(fallback);
    expect(d.prewarm).toBe(prewarm);
    if (d.fallback) {
      // A fallback is always a kept candidate on the other side.
      expect(d.fallback.target).not.toBe(d.target);
      expect(candidate(d, d.fallback.target, d.fallback.variant).kept).toBe(true);
    }
    if (d.prewarm) expect(candidate(d, 'edge', d.prewarm).kept).toBe(true);
  });
});

describe('slow networks eat the budget', () => {
  // 256 items: edge fp32 130 ms, fp16 91.1 ms, int8 52.2 ms; origin fp32 105 ms. SLO 300 ms.
  const scenario = (network: NetworkProfile): Scenario => ({ items: 256, policy: { slo_ms: 300 }, network });

  it('on a fast network the most accurate edge variant fits', () => {
    const d = decide(scenario(hinted({ rtt: '50' })));
    expect(d.budget_ms).toBe(242);
    expect([d.target, d.variant]).toEqual(['edge', 'fp32']);
  });

  it('a slow RTT hint shrinks the budget so the faster origin serves fp32 instead', () => {
    const d = decide(scenario(hinted({ rtt: '180' })));
    expect(d.budget_ms).toBe(112);
    expect([d.target, d.variant, d.meets_slo]).toEqual(['origin', 'fp32', true]);
  });

  it('with the origin down the same slow network is served by a faster edge variant', () => {
    const d = decide({ ...scenario(hinted({ rtt: '180' })), live: { origin_healthy: false } });
    expect([d.target, d.variant, d.meets_slo]).toEqual(['edge', 'fp16', true]);
    expect(candidate(d, 'origin', 'fp32')).toMatchObject({ kept: false, why: 'origin unhealthy' });
  });

  it('a malformed ECT hint cannot turn the budget into NaN', () => {
    const d = decide(scenario(hinted({ ect: 'constructor' })));
    expect(d.budget_ms).toBe(242);
    expect([d.target, d.variant, d.meets_slo]).toEqual(['edge', 'fp32', true]);
  });

  it('a 2g connection leaves no budget at all: the fastest runs, flagged as a predicted miss', () => {
    const d = decide(scenario(hinted({ ect: '2g' })));
    expect(d.network_ms).toBeGreaterThan(300);
    expect([d.target, d.variant, d.meets_slo, d.refused]).toEqual(['edge', 'int8', false, undefined]);
    expect(d.reason).toMatch(/^predicted SLO miss: fastest is int8 at edge \(\d+(\.\d)? ms > -\d+(\.\d)? ms budget\)$/);
  });

  it('with x-slo-strict the same 2g client is refused, by the round trip its own ECT hint states', () => {
    const d = decide({ ...scenario(hinted({ ect: '2g' })), caller: { strict_slo: true } });
    expect([d.target, d.refused]).toEqual(['none', true]);
    expect(d.reason).toBe('SLO cannot be met: 300 ms SLO - 1400 ms round trip (your ECT hint) - 0 ms gateway overhead = -1100 ms budget');
  });
});

describe('networkProfile reads Client Hints', () => {
  it('uses the desktop defaults when the client sends no hints', () => {
    expect(hinted({})).toEqual({ rtt_ms: 50, downlink_mbps: 10, save_data: false, mobile: false, from_hints: [] });
  });

  it('uses the mobile defaults when the client says it is mobile', () => {
    expect(hinted({ 'sec-ch-ua-mobile': '?1' })).toMatchObject({ rtt_ms: 150, downlink_mbps: 1.5, mobile: true, from_hints: ['Sec-CH-UA-Mobile'] });
  });

  it('treats Sec-CH-UA-Mobile ?0 as desktop', () => {
    expect(hinted({ 'sec-ch-ua-mobile': '?0' })).toMatchObject({ rtt_ms: 50, mobile: false, from_hints: [] });
  });

  it.each<{ name: string; h: Record<string, string>; want: Partial<NetworkProfile> }>([
    { name: 'RTT sets the round trip', h: { RTT: '125' }, want: { rtt_ms: 125, downlink_mbps: 10, from_hints: ['RTT'] } },
    { name: 'Downlink sets the bandwidth', h: { Downlink: '2.5' }, want: { rtt_ms: 50, downlink_mbps: 2.5, from_hints: ['Downlink'] } },
    { name: 'ECT sets both from the netinfo table', h: { ECT: '3g' }, want: { rtt_ms: 270, downlink_mbps: 0.7, from_hints: ['ECT'] } },
    { name: 'ECT is case-insensitive and trimmed', h: { ECT: ' 4G ' }, want: { rtt_ms: 50, downlink_mbps: 10, from_hints: ['ECT'] } },
    { name: 'RTT and Downlink override ECT', h: { ECT: 'slow-2g', RTT: '300', Downlink: '0.4' }, want: { rtt_ms: 300, downlink_mbps: 0.4, from_hints: ['ECT', 'RTT', 'Downlink'] } },
    { name: 'RTT overrides the round trip of ECT but keeps its downlink', h: { ECT: '2g', RTT: '900' }, want: { rtt_ms: 900, downlink_mbps: 0.07 } },
    { name: 'Save-Data on turns on data saving', h: { 'Save-Data': 'on' }, want: { save_data: true, from_hints: ['Save-Data'] } },
    { name: 'Save-Data is case-insensitive', h: { 'Save-Data': ' On ' }, want: { save_data: true } },
    { name: 'Save-Data with another value is off', h: { 'Save-Data': 'off' }, want: { save_data: false, from_hints: [] } },
    { name: 'Device-Memory is read', h: { 'Device-Memory': '8' }, want: { device_memory_gb: 8, rtt_ms: 50, from_hints: ['Device-Memory'] } },
    { name: 'Sec-CH-Device-Memory is read', h: { 'Sec-CH-Device-Memory': '4' }, want: { device_memory_gb: 4, from_hints: ['Device-Memory'] } },
    { name: 'Sec-CH-Device-Memory wins over Device-Memory', h: { 'Sec-CH-Device-Memory': '2', 'Device-Memory': '8' }, want: { device_memory_gb: 2 } },
    { name: 'a low-memory device gets the mobile defaults', h: { 'Device-Memory': '0.5' }, want: { device_memory_gb: 0.5, rtt_ms: 150, downlink_mbps: 1.5, mobile: false } },
    { name: 'a low-memory device with an RTT hint uses the hint', h: { 'Device-Memory': '1', RTT: '75' }, want: { rtt_ms: 75, downlink_mbps: 1.5 } },
  ])('$name', ({ h, want }) => {
    expect(hinted(h)).toMatchObject(want);
  });

  it.each<{ name: string; h: Record<string, string> }>([
    { name: 'a non-numeric RTT', h: { RTT: 'fast' } },
    { name: 'a negative RTT', h: { RTT: '-5' } },
    { name: 'an absurd RTT', h: { RTT: '1e9' } },
    { name: 'an infinite RTT', h: { RTT: 'Infinity' } },
    { name: 'an empty RTT', h: { RTT: '  ' } },
    { name: 'a zero Downlink', h: { Downlink: '0' } },
    { name: 'a non-numeric Downlink', h: { Downlink: 'lots' } },
    { name: 'an unknown ECT', h: { ECT: '5g' } },
    { name: 'an ECT of constructor (an Object.prototype key)', h: { ECT: 'constructor' } },
    { name: 'an ECT of __proto__', h: { ECT: '__proto__' } },
    { name: 'a non-numeric Device-Memory', h: { 'Device-Memory': 'plenty' } },
    { name: 'a negative Device-Memory', h: { 'Device-Memory': '-1' } },
    { name: 'a boolean-looking Save-Data', h: { 'Save-Data': 'true' } },
    { name: 'a Sec-CH-UA-Mobile without the structured-header prefix', h: { 'Sec-CH-UA-Mobile': '1' } },
  ])('ignores $name and keeps the defaults', ({ h }) => {
    const p = hinted(h);
    expect(p).toEqual({ rtt_ms: 50, downlink_mbps: 10, save_data: false, mobile: false, from_hints: [] });
    expect(Number.isFinite(networkMs(p, 1000))).toBe(true);
  });
});

describe('networkMs', () => {
  it('is one round trip plus the time to send the body', () => {
    // 1.25 MB at 10 Mbit/s is 1 s on the wire.
    expect(networkMs(DESKTOP, 1_250_000)).toBe(50 + 1000);
  });

  it('is just the round trip for an empty body', () => {
    expect(networkMs({ ...DESKTOP, rtt_ms: 270 }, 0)).toBe(270);
  });

  it('grows as the downlink slows', () => {
    expect(networkMs({ ...DESKTOP, downlink_mbps: 1 }, 10_000)).toBe(50 + 80);
    expect(networkMs({ ...DESKTOP, downlink_mbps: 0.1 }, 10_000)).toBe(50 + 800);
  });
});
