/**
 * The compressor's evaluation and calibration sets and how outputs are judged: samples from files
 * (samples.ts) or, failing those, seeded random inputs, marked `random` so the manifest and the router
 * know that fidelity is unverified (random inputs overstate it, issue 11); the state pairs and the run plan;
 * each output's kind and floors.
 */
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import type { EvalOutputs, EvalPlan } from '../../measure/eval-run.js';
import { floorsFor, parseFloors, type Floor } from '../../measure/gate.js';
import type { Downstream } from '../../measure/chain.js';
import { parseDecisions } from '../../measure/decision.js';
import { parseTask, statePairs } from '../../measure/kinds.js';
import { readingOf, type Reading } from '../../measure/reading.js';
import type { ModelProto } from '../../onnx/types.js';
import { loadSamples } from './samples.js';
import { completeFeeds, randomFeeds, readLabels, sampleCount, type Feeds } from './feeds.js';
import { resolveShapes } from './shapes.js';
import { CompressInputError } from '../failure.js';

/** The options these sets are built from (a subset of CompressOptions). */
export interface EvalSetOptions {
  calibration?: string | string[] | undefined;
  eval?: string | string[] | undefined;
  labels?: string | undefined;
  evalSetName?: string | undefined;
  shapes: Record<string, number[]>;
  samples: number;
  seed: number;
  intHigh: number;
  inputRange: [number, number];
  /** Ranges named for one input (`--input-range name=lo,hi`). */
  inputRanges?: Record<string, [number, number]> | undefined;
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
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Reads the sets; CompressInputError on bad files. */
export function evaluationSets(o: EvalSetOptions, inputs: TensorSpec[], outputs: TensorSpec[]): EvalSets {
  const task = wrap(() => parseTask(list(o.task)));
  const forced = outputs.filter((x) => (task.byOutput[x.name] ?? task.all) === 'state').map((x) => x.name);
  const pairs = wrap(() => statePairs(inputs, outputs, forced));
  const state = new Set(pairs.map((p) => p.input));
  const shapes = (n: number) => resolveShapes(inputs.filter((i) => !state.has(i.name)), o.shapes, n);
  const sampleDims = Object.fromEntries(inputs.map((i) => [i.name, i.shape.slice(1).map((d, k) => (d >= 0 ? d : (o.shapes[i.name]?.[k + 1] ?? -1)))]));
  const sampleOpts = { inputs, sampleDims, ranges: o.inputRanges ?? {}, ...(o.dataRange ? { allRange: o.dataRange } : {}), ...(o.sampleRate ? { rate: o.sampleRate } : {}), state, maxSamples: o.maxSamples ?? 256 };
  const fill = { lo: o.inputRange[0], hi: o.inputRange[1], intHigh: o.intHigh, ranges: o.inputRanges ?? {}, state };
  const load = (specs: string[], what: string) => {
    if (!specs.length) return undefined;
    const { feeds, description } = loadSamples(specs, sampleOpts, what);
    return { feeds: completeFeeds(inputs, feeds, shapes, o.seed, fill), description };
  };
  const calibration = load(list(o.calibration), 'calibration');
  const evalData = load(list(o.eval), 'evaluation');
  const data = evalData ?? calibration;
  const evalFeeds = data?.feeds ?? randomFeeds(inputs, shapes(o.samples), o.seed, fill);
  const evalSet = o.evalSetName ?? (evalData ? evalData.description : calibration ? `${calibration.description} (also the calibration set)` : `seeded random inputs (seed ${o.seed}, uniform [${o.inputRange.join(', ')})${inputs.some((i) => i.datatype === 'INT64') ? `, ids < ${o.intHigh}` : ''}): fidelity unverified, give --eval samples`);
  const n = sampleCount(evalFeeds);
  const fixedBatch = inputs.filter((i) => !state.has(i.name) && i.shape.length > 0 && i.shape[0]! > 0).map((i) => i.shape[0]!);
  const plan: EvalPlan = { chunk: fixedBatch.length ? Math.min(...fixedBatch) : 16, state: pairs, steps: o.steps ?? 8 };
  if (pairs.length && n < plan.steps) throw new CompressInputError(`a stateful model runs ${plan.steps} steps with its state fed back: give at least ${plan.steps} evaluation samples (or --steps ${n})`);
  return {
    evalFeeds,
    calibFeeds: calibration?.feeds ?? evalFeeds,
    evalSet,
    kind: data ? 'data' : 'random',
    calibration: calibration ? `${calibration.description} (${sampleCount(calibration.feeds)} samples)` : `the evaluation set (${n} samples)`,
    ...(o.labels ? { labels: readLabels(o.labels, n) } : {}),
    plan,
  };
}

/** Output kinds and thresholds (settled by the reference run: widths, probabilities, boxes) and each output's floors. */
export function judgeOf(model: ModelProto, inputs: TensorSpec[], outputs: TensorSpec[], o: { task: string | string[]; fidelityFloor?: string | string[] | undefined; decision?: string | string[] | undefined }, reference: EvalOutputs, plan: EvalPlan): Judge {
  const reading = wrap(() => readingOf(model, inputs, outputs, parseTask(list(o.task)), reference, parseDecisions(list(o.decision))));
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
