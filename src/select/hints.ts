/**
 * Client Hints -> the network and device profile the selector budgets with. Reads the standard hints
 * (RTT, ECT, Downlink, Save-Data, Device-Memory, Sec-CH-UA-Mobile); missing hints fall back to config
 * defaults, mobile-flavoured when the client says it is mobile.
 */
export const CLIENT_HINTS = ['RTT', 'ECT', 'Downlink', 'Save-Data', 'Device-Memory', 'Sec-CH-Device-Memory', 'Sec-CH-UA-Mobile'] as const;

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

/** Builds the profile from a header getter; malformed hint values are ignored, never an error. */
export function networkProfile(get: (name: string) => string | null | undefined, defaults: NetworkDefaults): NetworkProfile {
  const from: string[] = [];
  const mobile = get('sec-ch-ua-mobile')?.trim() === '?1';
  if (mobile) from.push('Sec-CH-UA-Mobile');
  const saveData = get('save-data')?.trim().toLowerCase() === 'on';
  if (saveData) from.push('Save-Data');
  const deviceMemory = num(get('sec-ch-device-memory') ?? get('device-memory'), 1024);
  if (deviceMemory !== undefined) from.push('Device-Memory');
  // A low-memory device without network hints is most likely on a weak network too.
  const constrained = mobile || (deviceMemory !== undefined && deviceMemory <= 1);
  let rtt = constrained ? defaults.mobile_rtt_ms : defaults.rtt_ms;
  let downlink = constrained ? defaults.mobile_downlink_mbps : defaults.downlink_mbps;
  const ectName = get('ect')?.trim().toLowerCase() ?? '';
  // Own keys only: an ECT of "constructor" or "__proto__" must not reach Object.prototype.
  const ect = Object.hasOwn(ECT_TABLE, ectName) ? ECT_TABLE[ectName] : undefined;
  if (ect) {
    rtt = ect.rtt_ms;
    downlink = ect.downlink_mbps;
    from.push('ECT');
  }
  const rttHint = num(get('rtt'), 60_000);
  if (rttHint !== undefined) {
    rtt = rttHint;
    from.push('RTT');
  }
  const downlinkHint = num(get('downlink'), 100_000);
  if (downlinkHint !== undefined && downlinkHint > 0) {
    downlink = downlinkHint;
    from.push('Downlink');
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
  return profile.from_hints.includes('RTT') || profile.from_hints.includes('ECT') ? profile.rtt_ms : 0;
}
