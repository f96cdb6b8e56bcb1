/**
 * The compressor's evaluation and calibration sets and how outputs are judged: samples from files
 * (samples.ts) or, failing those, seeded random inputs, marked `random` so the manifest and the router
 * know that fidelity is unverified (random inputs overstate it); the state pairs (pairing.ts) and each
 * input's values (domains.ts), with where every input's values come from, named if a run fails; the run
 * plan; each output's kind and floors.
 */
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import type { EvalOutputs, EvalPlan } from '../../measure/eval-run.js';
import { floorsFor, parseFloors, type Floor } from '../../measure/gate.js';
import type { Downstream } from '../../measure/chain.js';
import { parseDecisions } from '../../measure/decision.js';
import { describeDomain, type InputDomain } from '../../measure/input-domain.js';
import { parseTask } from '../../measure/kinds.js';
import { readingOf, type Reading } from '../../measure/reading.js';
import type { GraphProto, ModelProto } from '../../onnx/types.js';
import { loadSamples } from './samples.js';
import { completeFeeds, randomFeeds, readLabels, sampleCount, type Feeds } from './feeds.js';
import { inputDomains, type DomainOptions } from './domains.js';
import { resolvePairs, type PairingOptions } from './pairing.js';
import { resolveShapes } from './shapes.js';
import { CompressInputError } from '../failure.js';

/** The options these sets are built from (a subset of CompressOptions). */
export interface EvalSetOptions extends DomainOptions, PairingOptions {
  calibration?: string | string[] | undefined;
  eval?: string | string[] | undefined;
  labels?: string | undefined;
  evalSetName?: string | undefined;
  shapes: Record<string, number[]>;
  samples: number;
  seed: number;
  intHigh: number;
  /** Floats of inputs without a range of their own (`--input-range lo,hi`). */
  inputRange: [number, number];
  /** A range given for every input explicitly; data files then use it instead of their natural range. */
  dataRange?: [number, number] | undefined;
  sampleRate?: number | undefined;
  maxSamples?: number | undefined;
  /** Steps a stateful model runs with its state fed back (default 8). */
  steps?: number | undefined;
  task: string | string[];
}

/**
 * How outputs are judged: their kinds, thresholds and box pairs (the Reading), each output's floors, how the
 * set is run, and the downstream model the outputs feed (its outputs' floors keyed by gate.ts downstreamKey).
 */
export interface Judge extends Reading {
  floors: Record<string, Floor[]>;
  plan: EvalPlan;
  downstream?: Downstream;
}

export interface EvalSets {
  evalFeeds: Feeds;
  calibFeeds: Feeds;
  evalSet: string;
  kind: 'data' | 'random';
  calibration: string;
  labels?: Int32Array;
  plan: EvalPlan;
  /** Each named input's values, for every place the model is fed (the latency probes too). */
  domains: Record<string, InputDomain>;
  /** Which outputs are fed back and why, for the log. */
  stateNote: string;
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Reads the sets; CompressInputError on bad files or options. `graph` gives the state pairs their evidence. */
export function evaluationSets(o: EvalSetOptions, inputs: TensorSpec[], outputs: TensorSpec[], graph?: GraphProto): EvalSets {
  const task = wrap(() => parseTask(list(o.task)));
  const forced = outputs.filter((x) => (task.byOutput[x.name] ?? task.all) === 'state').map((x) => x.name);
  const { pairs, note: stateNote } = resolvePairs(o, graph, inputs, outputs, forced);
  const domains = inputDomains(inputs, o);
  const state = new Set(pairs.map((p) => p.input));
  const fixedBatch = inputs.filter((i) => !state.has(i.name) && i.shape.length > 0 && i.shape[0]! > 0).map((i) => i.shape[0]!);
  const steps = o.steps ?? 8;
  const chunk = fixedBatch.length ? Math.min(...fixedBatch) : 16;
  // Fixed inputs whose axis 0 is not the batch ([2,1,128] next to audio [1,N]; a stateful model runs one
  // sample a step) are fed whole every run.
  const batch = pairs.length ? 1 : chunk;
  const whole = new Set(inputs.filter((i) => !state.has(i.name) && i.shape.length > 0 && i.shape[0]! > 0 && i.shape[0] !== batch).map((i) => i.name));
  // A model that fixes its batch still gets --samples samples, run that batch at a time.
  const shapes = (n: number) => {
    const dims = resolveShapes(inputs.filter((i) => !state.has(i.name)), o.shapes, n);
    for (const [name, d] of Object.entries(dims)) if (d.length > 0 && fixedBatch.length && !whole.has(name)) d[0] = Math.ceil(n / chunk) * chunk;
    return dims;
  };
  const sampleDims = Object.fromEntries(inputs.map((i) => [i.name, i.shape.slice(1).map((d, k) => (d >= 0 ? d : (o.shapes[i.name]?.[k + 1] ?? -1)))]));
  const ranges = Object.fromEntries(Object.entries(domains).flatMap(([n, d]) => ('range' in d ? [[n, d.range]] : [])));
  const sampleOpts = { inputs, sampleDims, ranges, ...(o.dataRange ? { allRange: o.dataRange } : {}), ...(o.sampleRate ? { rate: o.sampleRate } : {}), state, maxSamples: o.maxSamples ?? 256 };
  const values = Object.fromEntries(Object.entries(domains).flatMap(([n, d]) => ('values' in d ? [[n, d.values]] : [])));
  const fill = { lo: o.inputRange[0], hi: o.inputRange[1], intHigh: o.intHigh, ranges, values, state, whole, block: pairs.length ? steps : chunk };
  const sources: Record<string, string> = {};
  const load = (specs: string[], what: string) => {
    if (!specs.length) return undefined;
    const { feeds, description } = loadSamples(specs, sampleOpts, what);
    for (const name of Object.keys(feeds)) sources[name] ??= `${what} samples ${specs.join(' ')}`;
    return { feeds: completeFeeds(inputs, feeds, shapes, o.seed, fill), description };
  };
  const calibration = load(list(o.calibration), 'calibration');
  const evalData = load(list(o.eval), 'evaluation');
  const data = evalData ?? calibration;
  const evalFeeds = data?.feeds ?? randomFeeds(inputs, shapes(o.samples), o.seed, fill);
  const defaults = { lo: o.inputRange[0], hi: o.inputRange[1], intHigh: o.intHigh };
  for (const i of inputs) {
    const pair = pairs.find((p) => p.input === i.name);
    sources[i.name] ??= pair ? `zeros, then fed back from output '${pair.output}'` : `${describeDomain(i, domains[i.name], defaults)}${whole.has(i.name) ? ', one tensor for every run' : ''}`;
  }
  const randomText = inputs.map((i) => `'${i.name}' ${sources[i.name]}`).join('; ');
  const evalSet = o.evalSetName ?? (evalData ? evalData.description : calibration ? `${calibration.description} (also the calibration set)` : `seeded random inputs (seed ${o.seed}: ${randomText}): fidelity unverified, give --eval samples`);
  const n = sampleCount(evalFeeds);
  const plan: EvalPlan = { chunk, state: pairs, steps, sources };
  if (pairs.length && n < plan.steps) throw new CompressInputError(`a stateful model runs ${plan.steps} steps with its state fed back: give at least ${plan.steps} evaluation samples (or --steps ${n})`);
  return {
    evalFeeds,
    calibFeeds: calibration?.feeds ?? evalFeeds,
    evalSet,
    kind: data ? 'data' : 'random',
    calibration: calibration ? `${calibration.description} (${sampleCount(calibration.feeds)} samples)` : `the evaluation set (${n} samples)`,
    ...(o.labels ? { labels: readLabels(o.labels, n) } : {}),
    plan,
    domains,
    stateNote,
  };
}

/** Output kinds and thresholds (settled by the reference run: widths, probabilities, boxes) and each output's floors. */
export function judgeOf(model: ModelProto, inputs: TensorSpec[], outputs: TensorSpec[], o: { task: string | string[]; fidelityFloor?: string | string[] | undefined; decision?: string | string[] | undefined }, reference: EvalOutputs, plan: EvalPlan): Judge {
  const reading = wrap(() => readingOf(model, inputs, outputs, parseTask(list(o.task)), reference, parseDecisions(list(o.decision)), plan.state));
  const floors = wrap(() => floorsFor(reading.kinds, parseFloors(list(o.fidelityFloor)), reading.thresholds));
  return { ...reading, floors, plan };
}

export function wrap<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof CompressInputError) throw err;
    throw new CompressInputError((err as Error).message);
  }
}
