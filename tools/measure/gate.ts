/**
 * The fidelity gate: floors by the metric that fits each output's kind, and the check every output of a
 * variant must pass before it may be written as servable. `--fidelity-floor [output:]metric=value`.
 */
import type { Fidelity, OutputKind } from '../../src/registry/manifest.js';
import { companion, DECISION_FLOOR, DEFAULT_FLOORS, FLOOR_HELP, FLOOR_METRICS, rolesOf, rule, WORST_OF, type Floor, type FloorMetric } from './floor-metrics.js';

export { DEFAULT_FLOORS, FLOOR_HELP, FLOOR_METRICS, type Floor, type FloorMetric } from './floor-metrics.js';

/** Parses `[output:]metric=value` items (comma-separated or repeated). Throws with a message naming the item. */
export function parseFloors(texts: readonly string[]): Floor[] {
  return texts.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean).map((item) => {
    const m = /^(?:(.+):)?([a-z0-9_]+)=(-?\d+(?:\.\d+)?)$/.exec(item);
    if (!m || !(FLOOR_METRICS as readonly string[]).includes(m[2]!)) throw new Error(`--fidelity-floor '${item}': expected [output:]metric=value, metric one of ${FLOOR_HELP}`);
    const metric = m[2] as FloorMetric;
    const value = Number(m[3]);
    if (!rule(metric).db && (value < 0 || value > 1)) throw new Error(`--fidelity-floor '${item}': ${metric} is between 0 and 1`);
    return { ...(m[1] ? { output: m[1] } : {}), metric, value };
  });
}

/**
 * The floors each output is held to, additively: its kind's defaults (and the flip floor of an output with a
 * threshold), then floors that fit its kind, then floors naming it, each replacing only the floor of the
 * same metric; a floor on a mean brings its worst-sample companion unless that is given too (floor-metrics.ts).
 * A floor that applies to no output is an error (a typo would otherwise gate nothing).
 */
export function floorsFor(kinds: Record<string, OutputKind>, floors: readonly Floor[], thresholds: Record<string, number> = {}): Record<string, Floor[]> {
  const used = new Set<Floor>();
  const out: Record<string, Floor[]> = {};
  for (const [name, kind] of Object.entries(kinds)) {
    const roles = rolesOf(kind, thresholds[name] !== undefined);
    const fits = (f: Floor) => rule(f.metric).fits.some((r) => roles.includes(r));
    const mine = new Map<FloorMetric, Floor>([...DEFAULT_FLOORS[kind], ...(roles.includes('decision') ? [DECISION_FLOOR] : [])].map((f) => [f.metric, f]));
    const given = [...floors.filter((f) => f.output === undefined && fits(f)), ...floors.filter((f) => f.output === name)];
    for (const f of given) {
      if (!fits(f)) throw new Error(`--fidelity-floor ${name}:${f.metric}: output '${name}' is ${kind}; ${f.metric} judges ${rule(f.metric).fits.join(' or ')} (see --task, --decision)`);
      mine.set(f.metric, f);
      used.add(f);
    }
    for (const [mean, worst] of Object.entries(WORST_OF) as [FloorMetric, FloorMetric][]) {
      const m = mine.get(mean);
      if (m && !given.some((f) => f.metric === worst)) mine.set(worst, companion(m));
    }
    out[name] = [...mine.values()];
  }
  const unused = floors.filter((f) => !used.has(f));
  if (unused.length) {
    const list = Object.entries(kinds).map(([n, k]) => `'${n}' ${k}${thresholds[n] !== undefined && k !== 'detection' ? ' with a decision' : ''}`).join(', ');
    throw new Error(`--fidelity-floor ${unused.map((f) => `${f.output ? `${f.output}:` : ''}${f.metric}`).join(', ')}: applies to no output (outputs: ${list}; set kinds with --task, thresholds with --decision)`);
  }
  return out;
}

/** Floors keyed by this key gate an output of the downstream model (`--downstream`), not of the variant. */
export const downstreamKey = (output: string) => `${DOWNSTREAM}${output}`;
/** The downstream output a floors key names, or undefined for this model's own outputs. */
export const downstreamOutput = (key: string) => (key.startsWith(DOWNSTREAM) ? key.slice(DOWNSTREAM.length) : undefined);
const DOWNSTREAM = 'downstream:';

/** The gate's verdict: every check, the worst one (by margin), and whether all pass. */
export interface GateResult {
  passes: boolean;
  /** Worst margin over the checks, scaled so 0 is the floor and more is better (what auto-exclusion ranks by). */
  margin: number;
  /** The worst check's metric value. */
  value: number;
  /** The worst check, e.g. "'y' cosine 0.9812 < 0.99". */
  label: string;
  failures: string[];
}

/**
 * Checks every output's fidelity against its floors; keys made by `downstreamKey` check the downstream
 * model's outputs.
 */
export function gate(fidelity: Pick<Fidelity, 'outputs' | 'downstream'>, floors: Record<string, Floor[]>): GateResult {
  const checks: { label: string; margin: number; value: number; passes: boolean }[] = [];
  for (const [key, list] of Object.entries(floors)) {
    const downstream = downstreamOutput(key);
    const name = downstream ?? key;
    const o = downstream !== undefined ? fidelity.downstream?.outputs[name] : fidelity.outputs?.[name];
    const who = `${downstream !== undefined ? 'downstream ' : ''}'${name}'`;
    for (const f of list) {
      const v = o ? rule(f.metric).read(o) : undefined;
      if (v === undefined) {
        if (!(o && f.whereMeasured)) checks.push({ label: `${who} has no ${f.metric}`, margin: -Infinity, value: NaN, passes: false });
        continue;
      }
      const { lower, db } = rule(f.metric);
      const passes = lower ? v <= f.value : v >= f.value;
      // Margins on one scale: a fraction of the allowed loss (agreement, cosine, IoU) or of the floor (dB, errors, flips).
      const room = !lower && !db ? 1 - f.value : Math.abs(f.value);
      const margin = (lower ? f.value - v : v - f.value) / (room || 1);
      checks.push({ label: `${who} ${f.metric} ${round4(v)} ${passes ? (lower ? '<=' : '>=') : lower ? '>' : '<'} ${f.value}`, margin, value: v, passes });
    }
  }
  if (checks.length === 0) return { passes: true, margin: Infinity, value: NaN, label: 'no floor measured', failures: [] };
  const worst = checks.reduce((a, b) => (b.margin < a.margin ? b : a));
  return { passes: checks.every((c) => c.passes), margin: worst.margin, value: worst.value, label: worst.label, failures: checks.filter((c) => !c.passes).map((c) => c.label) };
}

const round4 = (x: number) => Math.round(x * 10000) / 10000;
