/**
 * What values an input is fed when no sample file gives them, the same way everywhere it is fed: the
 * compressor's evaluation and calibration sets (tools/compress/data/feeds.ts) and the latency probes
 * (probe-feeds.ts). An integer input that only accepts some values (a dual-rate VAD's `sr`: 8000 or 16000)
 * fails on anything else, so a range or a list given for it must hold in every one of those places.
 *
 * A range: floats uniform in [lo, hi); integers from lo to hi, both ends included, the two ends first (so
 * both are fed, however few the samples), then drawn between them; a rank-0 integer input (a rate, a mode)
 * takes only the two ends, in turn: the values named, where one in between may be no valid setting at all.
 * A list of values: each in turn.
 */
import type { Prng } from '../lib/prng.js';

/** The values of one input: `--input-range name=lo,hi` or `--input-values name=v1,v2,...`. */
export type InputDomain = { range: [number, number] } | { values: number[] };

/** How inputs without a domain of their own are filled: floats uniform in [lo, hi), integers below intHigh. */
export interface DomainDefaults {
  lo: number;
  hi: number;
  intHigh: number;
}

const isInteger = (datatype: string) => datatype !== 'FP32' && datatype !== 'FP16' && datatype !== 'FP64';

/** Whether the domain gives an input more than one value (a rank-0 input then changes from run to run). */
export function varies(domain: InputDomain | undefined): boolean {
  if (!domain) return false;
  return 'values' in domain ? new Set(domain.values).size > 1 : domain.range[1] > domain.range[0];
}

/** An input as its values depend on it: a rank-0 one (`scalar`) takes an integer range's ends only. */
export interface DomainInput {
  name: string;
  datatype: string;
  shape: readonly number[];
}

/**
 * The value at position `k` (an element, or a run for a rank-0 input that varies): see the header. Inputs
 * without a domain: floats from `defaults`, integers below `defaults.intHigh`, all 1 for names with "mask".
 */
export function valueAt(input: DomainInput, domain: InputDomain | undefined, k: number, prng: Prng, defaults: DomainDefaults): number {
  if (domain && 'values' in domain) return domain.values[k % domain.values.length]!;
  if (!isInteger(input.datatype)) {
    const [lo, hi] = domain?.range ?? [defaults.lo, defaults.hi];
    return lo + (hi - lo) * prng.next();
  }
  if (!domain) return input.name.includes('mask') ? 1 : prng.int(defaults.intHigh);
  const [lo, hi] = domain.range;
  if (hi <= lo) return lo;
  if (input.shape.length === 0) return k % 2 === 0 ? lo : hi;
  return k === 0 ? lo : k === 1 ? hi : lo + prng.int(hi - lo + 1);
}

/** How the values are made, for the manifest and for errors: "one of 8000, 16000", "integers 0..1". */
export function describeDomain(input: DomainInput, domain: InputDomain | undefined, defaults: DomainDefaults): string {
  if (domain && 'values' in domain) return domain.values.length === 1 ? `constant ${domain.values[0]}` : `one of ${domain.values.join(', ')}, in turn`;
  if (!isInteger(input.datatype)) {
    const [lo, hi] = domain?.range ?? [defaults.lo, defaults.hi];
    return `random uniform [${lo}, ${hi})`;
  }
  if (!domain) return input.name.includes('mask') ? 'all 1 (a mask)' : `random integers 0..${defaults.intHigh - 1} (--int-high ${defaults.intHigh})`;
  const [lo, hi] = domain.range;
  if (hi <= lo) return `constant ${lo}`;
  return input.shape.length === 0 ? `${lo} and ${hi} in turn (the range's ends)` : `integers ${lo}..${hi}, both ends first`;
}

/** Why a domain cannot be used for an input (a fraction for an integer input), or undefined. */
export function domainProblem(input: { name: string; datatype: string }, domain: InputDomain): string | undefined {
  const numbers = 'values' in domain ? domain.values : domain.range;
  if (isInteger(input.datatype) && !numbers.every(Number.isInteger)) return `'${input.name}' is ${input.datatype}: give integers`;
  if ('values' in domain && domain.values.length === 0) return 'no values';
  return undefined;
}
