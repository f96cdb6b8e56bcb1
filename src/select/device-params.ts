/**
 * The query parameters of a device plan (`GET /v2/models/{model}/device`), validated into 400s that name the
 * parameter. They stand in for Client Hints a client cannot send (a native app, a cross-origin fetch, a
 * browser without Client Hints) and override the hints it did send: each becomes the header the selector's
 * `networkProfile` already reads, so hints and parameters cannot be interpreted two ways.
 */
import { InvalidInput } from '../errors.js';
import { CLIENT_HINT } from '../protocol/headers.js';
import type { ModelManifest, VariantName } from '../registry/manifest.js';
import { hintKey } from './hints.js';
import { sloOf } from './request-params.js';

/** A validated device-plan query. */
export interface DeviceQuery {
  /** Client Hint headers the parameters replace (lowercase names). */
  hints: Record<string, string>;
  /** The parameters given, for the plan's `hints.from_query`. */
  from_query: string[];
  slo_ms?: number | undefined;
  cached: Set<VariantName>;
}

const ECTS = ['slow-2g', '2g', '3g', '4g'];
const YES = ['on', '1', 'true', '?1'];
const NO = ['off', '0', 'false', '?0'];

/** A plain decimal in (0 or above) .. max; anything else is a 400 naming the parameter. */
function number(name: string, raw: string, max: number, unit: string, positive: boolean): number {
  const n = /^\s*\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n > max || (positive && n <= 0)) {
    throw new InvalidInput(`query parameter ${name} must be a ${positive ? 'positive' : 'non-negative'} number of ${unit} up to ${max}, got ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return n;
}

function flag(name: string, raw: string, allowed: string): boolean {
  const v = raw.trim().toLowerCase();
  if (YES.includes(v)) return true;
  if (NO.includes(v)) return false;
  throw new InvalidInput(`query parameter ${name} must be one of ${allowed}, got ${JSON.stringify(raw.slice(0, 40))}`);
}

/** Reads and checks the device-plan parameters of `model` from a query getter. */
export function deviceQuery(get: (name: string) => string | undefined, model: ModelManifest): DeviceQuery {
  const hints: Record<string, string> = {};
  const from: string[] = [];
  const param = (name: string) => {
    const v = get(name);
    if (v !== undefined) from.push(name);
    return v;
  };
  const memory = param('device_memory');
  if (memory !== undefined) {
    const gb = String(number('device_memory', memory, 1024, 'GB', true));
    // Both names: networkProfile prefers Sec-CH-Device-Memory, which must not outvote the parameter.
    hints[hintKey(CLIENT_HINT.deviceMemory)] = hints[hintKey(CLIENT_HINT.secChDeviceMemory)] = gb;
  }
  const ect = param('ect');
  if (ect !== undefined) {
    if (!ECTS.includes(ect.trim().toLowerCase())) throw new InvalidInput(`query parameter ect must be one of ${ECTS.join(', ')}, got ${JSON.stringify(ect.slice(0, 40))}`);
    hints[hintKey(CLIENT_HINT.ect)] = ect.trim().toLowerCase();
  }
  const downlink = param('downlink');
  if (downlink !== undefined) hints[hintKey(CLIENT_HINT.downlink)] = String(number('downlink', downlink, 100_000, 'Mbit/s', true));
  const rtt = param('rtt');
  if (rtt !== undefined) hints[hintKey(CLIENT_HINT.rtt)] = String(number('rtt', rtt, 60_000, 'ms', false));
  const saveData = param('save_data');
  if (saveData !== undefined) hints[hintKey(CLIENT_HINT.saveData)] = flag('save_data', saveData, 'on, 1, true (or off, 0, false)') ? 'on' : 'off';
  const mobile = param('mobile');
  if (mobile !== undefined) hints[hintKey(CLIENT_HINT.secChUaMobile)] = flag('mobile', mobile, '?1, 1, true (or ?0, 0, false)') ? '?1' : '?0';
  const slo = param('slo_ms');
  let sloMs: number | undefined;
  if (slo !== undefined) {
    try {
      sloMs = sloOf(slo, undefined);
    } catch (e) {
      throw new InvalidInput(`query parameter slo_ms: ${(e as Error).message}`);
    }
  }
  const cached = new Set<VariantName>();
  const list = param('cached');
  for (const name of list === undefined || list.trim() === '' ? [] : list.split(',')) {
    const v = name.trim().toLowerCase() as VariantName;
    if (!Object.hasOwn(model.variants, v)) {
      throw new InvalidInput(`query parameter cached: model '${model.name}' has no variant ${JSON.stringify(name.trim().slice(0, 40))}; it has ${Object.keys(model.variants).join(', ')}`);
    }
    cached.add(v);
  }
  return { hints, from_query: from, slo_ms: sloMs, cached };
}
