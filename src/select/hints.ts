/**
 * Client Hints -> the network and device profile the selector budgets with. Reads the standard hints
 * (RTT, ECT, Downlink, Save-Data, Device-Memory, Sec-CH-UA-Mobile; their names: src/protocol/headers.ts);
 * missing hints fall back to config defaults, mobile-flavoured when the client says it is mobile.
 */
import type { ClientHint } from '../protocol/headers.js';
import { CLIENT_HINT, CLIENT_HINTS } from '../protocol/headers.js';

/** Effective connection types (Network Information API) -> typical RTT and downlink (WICG netinfo table). */
const ECT_TABLE: Readonly<Record<string, { rtt_ms: number; downlink_mbps: number }>> = Object.freeze({
  'slow-2g': { rtt_ms: 2000, downlink_mbps: 0.05 },
  '2g': { rtt_ms: 1400, downlink_mbps: 0.07 },
  '3g': { rtt_ms: 270, downlink_mbps: 0.7 },
  '4g': { rtt_ms: 50, downlink_mbps: 10 },
});

export interface NetworkProfile {
  rtt_ms: number;
  downlink_mbps: number;
  save_data: boolean;
  mobile: boolean;
  device_memory_gb?: number;
  /** Which hints were present, for explain output. */
  from_hints: string[];
}

export interface NetworkDefaults {
  rtt_ms: number;
  downlink_mbps: number;
  mobile_rtt_ms: number;
  mobile_downlink_mbps: number;
}

function num(v: string | null | undefined, max: number): number | undefined {
  if (v == null || v.trim() === '') return undefined;
  const n = Number(v.trim());
  return Number.isFinite(n) && n >= 0 && n <= max ? n : undefined;
}

/**
 * Reads one Client Hint, by its name in lower case (as headers, and the hint maps of explain and the device
 * plan, are keyed); undefined when the client sent none.
 */
export type HintReader = (name: string) => string | null | undefined;

/** The key a hint is read by: its name in lower case. */
export const hintKey = (hint: ClientHint): string => hint.toLowerCase();

const HINT_KEYS: ReadonlySet<string> = new Set(CLIENT_HINTS.map(hintKey));

/** The Client Hints of a request's headers, and nothing else of them: what the selector may read. */
export function clientHintsOf(header: (name: string) => string | undefined): HintReader {
  return (name) => (HINT_KEYS.has(name.toLowerCase()) ? header(name) : undefined);
}

/** Builds the profile from a hint getter; malformed hint values are ignored, never an error. */
export function networkProfile(read: HintReader, defaults: NetworkDefaults): NetworkProfile {
  const get = (hint: ClientHint) => read(hintKey(hint));
  const from: string[] = [];
  const mobile = get(CLIENT_HINT.secChUaMobile)?.trim() === '?1';
  if (mobile) from.push(CLIENT_HINT.secChUaMobile);
  const saveData = get(CLIENT_HINT.saveData)?.trim().toLowerCase() === 'on';
  if (saveData) from.push(CLIENT_HINT.saveData);
  const deviceMemory = num(get(CLIENT_HINT.secChDeviceMemory) ?? get(CLIENT_HINT.deviceMemory), 1024);
  if (deviceMemory !== undefined) from.push(CLIENT_HINT.deviceMemory);
  // A low-memory device without network hints is most likely on a weak network too.
  const constrained = mobile || (deviceMemory !== undefined && deviceMemory <= 1);
  let rtt = constrained ? defaults.mobile_rtt_ms : defaults.rtt_ms;
  let downlink = constrained ? defaults.mobile_downlink_mbps : defaults.downlink_mbps;
  const ectName = get(CLIENT_HINT.ect)?.trim().toLowerCase() ?? '';
  // Own keys only: an ECT of "constructor" or "__proto__" must not reach Object.prototype.
  const ect = Object.hasOwn(ECT_TABLE, ectName) ? ECT_TABLE[ectName] : undefined;
  if (ect) {
    rtt = ect.rtt_ms;
    downlink = ect.downlink_mbps;
    from.push(CLIENT_HINT.ect);
  }
  const rttHint = num(get(CLIENT_HINT.rtt), 60_000);
  if (rttHint !== undefined) {
    rtt = rttHint;
    from.push(CLIENT_HINT.rtt);
  }
  const downlinkHint = num(get(CLIENT_HINT.downlink), 100_000);
  if (downlinkHint !== undefined && downlinkHint > 0) {
    downlink = downlinkHint;
    from.push(CLIENT_HINT.downlink);
  }
  return { rtt_ms: rtt, downlink_mbps: downlink, save_data: saveData, mobile, ...(deviceMemory === undefined ? {} : { device_memory_gb: deviceMemory }), from_hints: from };
}

/** Time the client's network adds to a request: one round trip plus sending the body. */
export function networkMs(profile: NetworkProfile, requestBytes: number): number {
  return profile.rtt_ms + (requestBytes * 8) / (profile.downlink_mbps * 1000);
}

/**
 * The round trip the client itself stated (an RTT or ECT hint), else 0: the only network a refusal may count.
 * Defaults, the mobile guess included, and the upload time of a body that has already arrived are estimates.
 */
export function hintedRttMs(profile: NetworkProfile): number {
  return profile.from_hints.includes(CLIENT_HINT.rtt) || profile.from_hints.includes(CLIENT_HINT.ect) ? profile.rtt_ms : 0;
}
