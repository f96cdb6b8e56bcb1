/**
 * The device tier's decision, table-driven (src/select/device.ts): which variant a client runs itself, or
 * why it should call the gateway, weighed against selectRoute's own decision for the same client.
 */
import { describe, expect, it } from 'vitest';
import type { VariantName } from '../../src/registry/manifest.js';
import type { DevicePolicy, DeviceSelectionInput } from '../../src/select/device.js';
import { selectDevice } from '../../src/select/device.js';
import type { VariantFacts } from '../../src/select/facts.js';
import type { NetworkProfile } from '../../src/select/hints.js';
import type { SelectionPolicy } from '../../src/select/select.js';
import { selectRoute } from '../../src/select/select.js';

const fact = (name: VariantName, fidelity: number, bytes: number, fixed_ms: number, load_ms: number): VariantFacts => ({
  name,
  fidelity,
  accuracy: fidelity,
  edge_memory_bytes: 16 * 2 ** 20,
  bytes,
  fixed_ms,
  per_item_ms: 0,
  load_ms,
});
/** An mnist-like model: int8 is a quarter of fp32's bytes and agrees with it on 99.9% of inputs. */
const VARIANTS = [fact('fp32', 1, 438_300, 0.3, 27), fact('fp16', 1, 220_057, 0.2, 57), fact('int8', 0.999, 113_034, 0.1, 31)];

const POLICY: DevicePolicy = {
  enabled: true,
  allow: true,
  max_download_bytes: 10_000_000,
  save_data_max_download_bytes: 2_000_000,
  min_memory_gb: 2,
  max_memory_fraction: 0.25,
  speed_factor: 1.5,
  mobile_speed_factor: 3,
  fidelity_slack: 0.01,
  variants: ['int8', 'fp16', 'fp32'],
  max_slowdown: 1,
  accuracy_floor: 0,
  fidelity_tolerance: 0.0005,
};
const EDGE_POLICY: SelectionPolicy = {
  slo_ms: 5000,
  variants: ['fp32', 'fp16', 'int8'],
  accuracy_floor: 0,
  save_data_fidelity_slack: 0.01,
  edge_memory_budget_bytes: 96 * 2 ** 20,
  origin_enabled: false,
  edge_speed_factor: 1,
  origin_speed_factor: 0.5,
  origin_variant: 'fp32',
  request_overhead_ms: 4,
};
const PHONE_3G: NetworkProfile = { rtt_ms: 270, downlink_mbps: 0.7, save_data: false, mobile: true, device_memory_gb: 2, from_hints: [] };
const DESKTOP: NetworkProfile = { rtt_ms: 50, downlink_mbps: 10, save_data: false, mobile: false, from_hints: [] };

function input(over: { network?: NetworkProfile; policy?: Partial<DevicePolicy>; slo_ms?: number; cached?: VariantName[]; downloadable?: VariantName[] } = {}): DeviceSelectionInput {
  const network = over.network ?? PHONE_3G;
  const slo = over.slo_ms ?? 5000;
  const edge = selectRoute({
    variants: VARIANTS,
    items: 1,
    request_bytes: 3136,
    network,
    policy: { ...EDGE_POLICY, slo_ms: slo },
    live: { origin_configured: false, origin_healthy: false, origin_rtt_ms: 0, unhealthy_variants: new Set(), loaded_variants: new Set(['fp32', 'fp16', 'int8']), edge_queue_ms: 0 },
  });
  return {
    variants: VARIANTS,
    items: 1,
    network,
    policy: { ...POLICY, ...over.policy },
    slo_ms: slo,
    cached: new Set(over.cached ?? []),
    downloadable: new Set(over.downloadable ?? ['fp32', 'fp16', 'int8']),
    edge,
    request_overhead_ms: 4,
  };
}

const ROWS: { name: string; in: Parameters<typeof input>[0]; target: 'device' | 'edge'; variant?: VariantName; reason: RegExp }[] = [
  { name: 'a 2 GB phone on 3G with a roomy SLO gets int8 (fastest first call, within the fidelity slack)', in: {}, target: 'device', variant: 'int8', reason: /^int8 on device: first call 1655\.1 ms/ },
  { name: 'the same phone with a 100 ms SLO calls the gateway', in: { slo_ms: 100 }, target: 'edge', reason: /int8: first call 1655\.1 ms .* > 100 ms SLO/ },
  { name: 'a file over the download budget is not sent', in: { policy: { max_download_bytes: 100_000 } }, target: 'edge', reason: /int8: 0\.11 MB download over the 0\.1 MB budget/ },
  { name: 'Save-Data applies its own, smaller budget', in: { network: { ...PHONE_3G, save_data: true }, policy: { save_data_max_download_bytes: 100_000 } }, target: 'edge', reason: /over the 0\.1 MB budget \(save-data\)/ },
  { name: 'a 1 GB device is too weak', in: { network: { ...PHONE_3G, device_memory_gb: 1 } }, target: 'edge', reason: /^edge: low memory: the device has 1 GB/ },
  { name: 'a variant needing more than its share of memory is dropped', in: { network: { ...PHONE_3G, device_memory_gb: 0.05 }, policy: { min_memory_gb: 0 } }, target: 'edge', reason: /needs 16\.78 MB of memory/ },
  { name: 'a cached variant costs no download', in: { network: DESKTOP, slo_ms: 100, cached: ['fp16'] }, target: 'device', variant: 'fp16', reason: /^fp16 on device: cached, first call 85\.8 ms \(download 0/ },
  { name: 'without a cache the desktop misses 100 ms', in: { network: DESKTOP, slo_ms: 100 }, target: 'edge', reason: /^edge: int8: first call/ },
  { name: 'a variant only at the origin is not offered', in: { downloadable: ['fp32'], slo_ms: 10_000 }, target: 'device', variant: 'fp32', reason: /^fp32 on device/ },
  { name: 'a forbidden model always says edge', in: { policy: { allow: false }, cached: ['int8'] }, target: 'edge', reason: /forbidden by policy/ },
  { name: 'a disabled tier always says edge', in: { policy: { enabled: false } }, target: 'edge', reason: /device tier is disabled/ },
  { name: 'a device slower per call than the edge is not chosen', in: { network: DESKTOP, cached: ['int8'], slo_ms: 1e7, policy: { speed_factor: 1000 } }, target: 'edge', reason: /ms per call, slower than the edge's/ },
];

describe('selectDevice', () => {
  it.each(ROWS)('$name', (row) => {
    const d = selectDevice(input(row.in));
    expect(d.target, d.reason).toBe(row.target);
    if (row.variant) expect(d.variant).toBe(row.variant);
    expect(d.reason).toMatch(row.reason);
  });

  it('predicts the device from the profile: download = rtt + bytes over the downlink, run = (load + compute) x speed', () => {
    const d = selectDevice(input());
    const int8 = d.candidates.find((c) => c.variant === 'int8')!;
    expect(int8.download_ms).toBeCloseTo(270 + (113_034 * 8) / 700, 0);
    expect(int8.run_ms).toBeCloseTo((31 + 0.1) * 3, 1);
    expect(d.expected).toMatchObject({ device: int8.device_ms, download: int8.download_ms, device_run: int8.run_ms });
    // The edge: 270 ms round trip + 3136 bytes at 0.7 Mbit/s + 4 ms gateway + the chosen variant's compute.
    expect(d.expected.edge).toBeGreaterThan(270 + 35 + 4);
    expect(d.edge_target).toBe('edge');
  });

  it('gives the device a time only when some variant may run there (too large, forbidden, low memory: null)', () => {
    const slow = selectDevice(input({ slo_ms: 100 }));
    expect(slow.target).toBe('edge');
    expect(slow.expected.device).toBe(slow.candidates.find((c) => c.variant === 'int8')!.device_ms);
    for (const over of [{ policy: { max_download_bytes: 1000 } }, { policy: { allow: false } }, { network: { ...PHONE_3G, device_memory_gb: 1 } }]) {
      expect(selectDevice(input(over)).expected).toMatchObject({ device: null, download: null, device_run: null, edge: expect.any(Number) });
    }
  });

  it('is pure: the same input gives the same decision', () => {
    expect(selectDevice(input())).toEqual(selectDevice(input()));
  });
});
