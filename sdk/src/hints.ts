/**
 * What the device can say about itself, read from the browser (navigator.deviceMemory,
 * navigator.connection, navigator.userAgentData.mobile) and sent to the plan as query parameters: a
 * script's fetch carries no Client Hints cross-origin, and Node carries none at all (so it sends none).
 */
import type { DeviceHints } from './types.js';

interface NavigatorLike {
  deviceMemory?: number;
  connection?: { effectiveType?: string; downlink?: number; rtt?: number; saveData?: boolean };
  userAgentData?: { mobile?: boolean };
}

/** The hints this runtime exposes; empty in Node and in browsers without these APIs. */
export function readDeviceHints(nav: NavigatorLike | undefined = (globalThis as { navigator?: NavigatorLike }).navigator): DeviceHints {
  const hints: DeviceHints = {};
  if (!nav) return hints;
  // The gateway refuses 0 for memory and downlink (browsers report downlink 0 while offline): send only what is known.
  const num = (v: unknown, min = 0) => (typeof v === 'number' && Number.isFinite(v) && v >= min ? v : undefined);
  const memory = num(nav.deviceMemory, Number.MIN_VALUE);
  if (memory !== undefined) hints.device_memory = memory;
  const c = nav.connection;
  if (c) {
    if (typeof c.effectiveType === 'string' && /^(slow-2g|2g|3g|4g)$/.test(c.effectiveType)) hints.ect = c.effectiveType;
    const downlink = num(c.downlink, Number.MIN_VALUE);
    if (downlink !== undefined) hints.downlink = downlink;
    const rtt = num(c.rtt);
    if (rtt !== undefined) hints.rtt = rtt;
    if (typeof c.saveData === 'boolean') hints.save_data = c.saveData;
  }
  if (typeof nav.userAgentData?.mobile === 'boolean') hints.mobile = nav.userAgentData.mobile;
  return hints;
}

/**
 * The plan's query string: hints (booleans as the dashboard's what-if form sends them, `save_data=on`,
 * `mobile=1`, present only when true), the SLO and the variants already cached on this device.
 */
export function planQuery(hints: DeviceHints, sloMs: number | undefined, cached: string[]): string {
  const q = new URLSearchParams();
  if (hints.device_memory !== undefined) q.set('device_memory', String(hints.device_memory));
  if (hints.ect) q.set('ect', hints.ect);
  if (hints.downlink !== undefined) q.set('downlink', String(hints.downlink));
  if (hints.rtt !== undefined) q.set('rtt', String(hints.rtt));
  if (hints.save_data) q.set('save_data', 'on');
  if (hints.mobile) q.set('mobile', '1');
  if (sloMs !== undefined) q.set('slo_ms', String(sloMs));
  if (cached.length) q.set('cached', [...cached].sort().join(','));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Time to download `bytes` at the hinted downlink plus one round trip (ms), or undefined without hints. */
export function downloadEstimateMs(bytes: number, hints: DeviceHints): number | undefined {
  if (hints.downlink === undefined || hints.downlink <= 0) return undefined;
  return (hints.rtt ?? 0) + (bytes * 8) / (hints.downlink * 1000);
}
