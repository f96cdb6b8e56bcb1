/**
 * Judging a variant by the model its outputs feed (`--downstream`): a mel front-end's int8 kept cosine 0.999
 * over its slice, yet the wake-word score computed from it moved by 0.41 and flipped a decision. The
 * downstream model runs in onnxruntime-node, fp32, on fp32's outputs and on the variant's, and its outputs
 * are compared like the variant's own (kinds, worst samples, decisions), so the gate sees what users see.
 */
import * as ort from 'onnxruntime-node';
import type { TensorSpec } from '../../src/protocol/datatypes.js';
import type { Fidelity } from '../../src/registry/manifest.js';
import type { ModelProto } from '../onnx/types.js';
import { runEval, type EvalOutputs, type Feeds, type RunOutputs } from './eval-run.js';
import { compareAll, type EvalSetInfo } from './fidelity.js';
import type { TaskSpec } from './kinds.js';
import { readingOf, type Reading } from './reading.js';

/** A downstream model, how this model's outputs feed it, and how its outputs are read. */
export interface Downstream {
  /** How the manifest names it (the file's name). */
  model: string;
  bytes: Uint8Array;
  inputs: TensorSpec[];
  /** Downstream input <- this model's output. */
  mapping: Record<string, string>;
  reading: Reading;
  /** Downstream outputs on the reference's outputs, computed once per reference run. */
  references: WeakMap<EvalOutputs, Promise<EvalOutputs>>;
}

const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);

/**
 * Which output feeds which downstream input: `given` (this output -> that input) first, then inputs named
 * like an output, then the only input from the only output. Every downstream input must be fed.
 */
export function resolveMapping(outputs: string[], inputs: TensorSpec[], given: Record<string, string> = {}): Record<string, string> {
  const mapping: Record<string, string> = {};
  for (const [out, input] of Object.entries(given)) {
    if (!outputs.includes(out)) throw new Error(`--downstream: this model has no output '${out}'; outputs are ${outputs.map((o) => `'${o}'`).join(', ')}`);
    if (!inputs.some((i) => i.name === input)) throw new Error(`--downstream: the downstream model has no input '${input}'; inputs are ${inputs.map((i) => `'${i.name}'`).join(', ')}`);
    mapping[input] = out;
  }
  for (const i of inputs) if (!mapping[i.name] && outputs.includes(i.name)) mapping[i.name] = i.name;
  if (inputs.length === 1 && outputs.length === 1 && !mapping[inputs[0]!.name]) mapping[inputs[0]!.name] = outputs[0]!;
  const unfed = inputs.filter((i) => !mapping[i.name]);
  if (unfed.length) throw new Error(`--downstream: nothing feeds the downstream input${unfed.length > 1 ? 's' : ''} ${unfed.map((i) => `'${i.name}'`).join(', ')}; map them, e.g. --downstream model.onnx:${outputs[0]}=${unfed[0]!.name}`);
  return mapping;
}

/**
 * The downstream feeds made of this model's outputs. A downstream sample holds k consecutive samples of the
 * output feeding it (k = its size / the output's width: 1 when the shapes agree, more when it reads a
 * sequence of windows); one dynamic dim is sized from the output. A fixed batch B runs B samples at a time.
 */
export function downstreamFeeds(inputs: TensorSpec[], mapping: Record<string, string>, upstream: EvalOutputs): { feeds: Feeds; chunk: number; samples: number } {
  const parts = inputs.map((input) => {
    const out = mapping[input.name]!;
    const up = upstream[out];
    if (!up) throw new Error(`--downstream: output '${out}' missing from the run`);
    if (input.datatype !== 'FP32') throw new Error(`--downstream: input '${input.name}' is ${input.datatype}; only FP32 inputs can take this model's outputs`);
    const dims = input.shape.slice(1);
    const known = size(dims.filter((d) => d >= 0));
    const dynamic = dims.filter((d) => d < 0).length;
    const fits = dynamic === 0 ? known % up.width === 0 : dynamic === 1 && up.width % known === 0;
    if (!fits) throw new Error(`--downstream: '${out}' gives ${up.width} values per sample; input '${input.name}' ${JSON.stringify(input.shape)} takes ${dynamic ? `a multiple of ${known}` : `${known}`} (with one dynamic dim at most)`);
    const k = dynamic === 0 ? known / up.width : 1;
    const sampleDims = dims.map((d) => (d >= 0 ? d : up.width / known));
    return { input, up, k, sampleDims, batch: input.shape[0]! > 0 ? input.shape[0]! : undefined };
  });
  const chunk = Math.min(16, ...parts.map((p) => p.batch ?? 16));
  let samples = Math.min(...parts.map((p) => Math.floor(p.up.data.length / p.up.width / p.k)));
  if (parts.some((p) => p.batch)) samples -= samples % chunk;
  if (samples < 1) throw new Error('--downstream: too few samples of this model to make one downstream sample');
  const feeds: Feeds = {};
  for (const p of parts) {
    const per = size(p.sampleDims);
    feeds[p.input.name] = { type: 'float32', dims: [samples, ...p.sampleDims], data: p.up.data.slice(0, samples * per) };
  }
  return { feeds, chunk, samples };
}

/** Runs the downstream model, fp32 in onnxruntime-node, on this model's outputs. */
export async function runDownstream(d: Pick<Downstream, 'bytes' | 'inputs' | 'mapping'>, upstream: EvalOutputs): Promise<EvalOutputs> {
  const { feeds, chunk } = downstreamFeeds(d.inputs, d.mapping, upstream);
  const session = await ort.InferenceSession.create(d.bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' });
  try {
    return await runEval(async (part) => {
      const input: Record<string, ort.Tensor> = {};
      for (const [name, f] of Object.entries(part)) input[name] = new ort.Tensor(f.type, f.data, f.dims);
      return (await session.run(input)) as unknown as RunOutputs;
    }, feeds, { chunk, state: [], steps: 1 });
  } finally {
    await session.release();
  }
}

/** What a downstream model is made from: its file, specs and graph, the mapping, `--downstream-task`, `--downstream-decision`. */
export interface DownstreamSource {
  model: string;
  bytes: Uint8Array;
  proto: ModelProto;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  mapping: Record<string, string>;
  task: TaskSpec;
  decisions: Record<string, number>;
}

/** The downstream model ready to judge variants: its outputs' reading settled on the reference's outputs. */
export async function prepareDownstream(s: DownstreamSource, reference: EvalOutputs): Promise<Downstream> {
  const first = runDownstream(s, reference);
  const references = new WeakMap([[reference, first]]);
  const reading = readingOf(s.proto, s.inputs, s.outputs, s.task, await first, s.decisions);
  return { model: s.model, bytes: s.bytes, inputs: s.inputs, mapping: s.mapping, reading, references };
}

/** The variant's fidelity, and with a downstream model the fidelity of what that model makes of its outputs. */
export async function compareChained(reference: EvalOutputs, actual: EvalOutputs, reading: Reading, info: EvalSetInfo, downstream?: Downstream): Promise<Fidelity> {
  const fidelity = compareAll(reference, actual, reading, info);
  if (!downstream) return fidelity;
  let ref = downstream.references.get(reference);
  if (!ref) downstream.references.set(reference, (ref = runDownstream(downstream, reference)));
  const refOut = await ref;
  const actOut = await runDownstream(downstream, actual);
  const first = Object.values(refOut)[0];
  const samples = first ? Math.max(1, Math.floor(first.data.length / first.width)) : 1;
  const { outputs } = compareAll(refOut, actOut, downstream.reading, { evalSet: '', samples });
  return { ...fidelity, downstream: { model: downstream.model, inputs: downstream.mapping, samples, outputs: outputs! } };
}
