/**
 * The fidelity gate: floors by the metric that fits each output's kind, and the check every output of a
 * variant must pass before it may be written as servable. `--fidelity-floor [output:]metric=value`.
 */
import type { Fidelity, OutputFidelity, OutputKind } from '../../src/registry/manifest.js';

export const FLOOR_METRICS = ['top1', 'cosine', 'snr', 'rel', 'drift'] as const;
export type FloorMetric = (typeof FLOOR_METRICS)[number];

/** One floor: for a named output, or for every output whose kind the metric fits. */
export interface Floor {
  output?: string;
  metric: FloorMetric;
  value: number;
}

/** Which kinds a metric can judge, and which way is better. */
const FITS: Record<FloorMetric, OutputKind[]> = { top1: ['classification'], cosine: ['classification', 'regression'], snr: ['regression'], rel: ['scalar'], drift: ['state'] };
const LOWER_IS_BETTER = new Set<FloorMetric>(['rel', 'drift']);

/** The floor of each kind when none is given. */
export const DEFAULT_FLOORS: Record<OutputKind, Floor> = {
  classification: { metric: 'top1', value: 0.99 },
  regression: { metric: 'cosine', value: 0.99 },
  scalar: { metric: 'rel', value: 0.05 },
  state: { metric: 'drift', value: 0.05 },
};

export const FLOOR_HELP = 'top1 (classification: agreement with fp32, at least), cosine (classification or regression, at least), snr (regression: dB, at least), rel (scalar: mean relative error, at most), drift (state: relative error after the steps, at most)';

/** Parses `[output:]metric=value` items (comma-separated or repeated). Throws with a message naming the item. */
export function parseFloors(texts: readonly string[]): Floor[] {
  return texts.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean).map((item) => {
    const m = /^(?:(.+):)?([a-z0-9]+)=(-?\d+(?:\.\d+)?)$/.exec(item);
    if (!m || !(FLOOR_METRICS as readonly string[]).includes(m[2]!)) throw new Error(`--fidelity-floor '${item}': expected [output:]metric=value, metric one of ${FLOOR_HELP}`);
    const metric = m[2] as FloorMetric;
    const value = Number(m[3]);
    if (metric !== 'snr' && (value < 0 || value > 1)) throw new Error(`--fidelity-floor '${item}': ${metric} is between 0 and 1`);
    return { ...(m[1] ? { output: m[1] } : {}), metric, value };
  });
}

/**
 * The floors each output is held to, additive: its kind's default, plus the floors that fit its kind, plus
 * the floors naming it. A floor on a metric already held replaces it, the more specific one winning (named
 * over general over default), so `snr=20` adds to the default cosine while `cosine=0.995` tightens it.
 * A floor that applies to no output is an error (a typo would otherwise gate nothing).
 */
export function floorsFor(kinds: Record<string, OutputKind>, floors: readonly Floor[]): Record<string, Floor[]> {
  const used = new Set<Floor>();
  const out: Record<string, Floor[]> = {};
  for (const [name, kind] of Object.entries(kinds)) {
    const named = floors.filter((f) => f.output === name);
    for (const f of named) if (!FITS[f.metric].includes(kind)) throw new Error(`--fidelity-floor ${name}:${f.metric}: output '${name}' is ${kind}; ${f.metric} judges ${FITS[f.metric].join(' or ')} (see --task)`);
    const general = floors.filter((f) => f.output === undefined && FITS[f.metric].includes(kind));
    const byMetric = new Map<FloorMetric, Floor>();
    for (const f of [DEFAULT_FLOORS[kind], ...general, ...named]) byMetric.set(f.metric, f);
    for (const f of [...general, ...named]) used.add(f);
    out[name] = [...byMetric.values()];
  }
  const unused = floors.filter((f) => !used.has(f));
  if (unused.length) {
    const list = Object.entries(kinds).map(([n, k]) => `'${n}' ${k}`).join(', ');
    throw new Error(`--fidelity-floor ${unused.map((f) => `${f.output ? `${f.output}:` : ''}${f.metric}`).join(', ')}: applies to no output (outputs: ${list}; set kinds with --task)`);
  }
  return out;
}

const metricOf = (o: OutputFidelity, m: FloorMetric) => ({ top1: o.top1_agreement, cosine: o.cosine, snr: o.snr_db, rel: o.mean_rel_err, drift: o.drift })[m];

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

/** Checks every output's fidelity against its floors. */
export function gate(fidelity: Pick<Fidelity, 'outputs'>, floors: Record<string, Floor[]>): GateResult {
  const checks: { label: string; margin: number; value: number; passes: boolean }[] = [];
  for (const [name, list] of Object.entries(floors)) {
    const o = fidelity.outputs?.[name];
    for (const f of list) {
      const v = o ? metricOf(o, f.metric) : undefined;
      if (v === undefined) {
        checks.push({ label: `'${name}' has no ${f.metric}`, margin: -Infinity, value: NaN, passes: false });
        continue;
      }
      const lower = LOWER_IS_BETTER.has(f.metric);
      const passes = lower ? v <= f.value : v >= f.value;
      // Margins on one scale: a fraction of the allowed loss (top1, cosine) or of the floor (snr, rel, drift).
      const room = f.metric === 'top1' || f.metric === 'cosine' ? 1 - f.value : Math.abs(f.value);
      const margin = (lower ? f.value - v : v - f.value) / (room || 1);
      checks.push({ label: `'${name}' ${f.metric} ${round4(v)} ${passes ? (lower ? '<=' : '>=') : lower ? '>' : '<'} ${f.value}`, margin, value: v, passes });
    }
  }
  const worst = checks.reduce((a, b) => (b.margin < a.margin ? b : a));
  return { passes: checks.every((c) => c.passes), margin: worst.margin, value: worst.value, label: worst.label, failures: checks.filter((c) => !c.passes).map((c) => c.label) };
}

const round4 = (x: number) => Math.round(x * 10000) / 10000;
