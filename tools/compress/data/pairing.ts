/**
 * The state pairs a compression run feeds back, from the options: `--stateless` (none), `--state in=out`
 * (exactly the pairs named, each checked: both exist, dtypes and fixed sizes agree), or else the pairs the
 * graph shows (tools/measure/state-pairs.ts), where `--task out=state` makes an output pair or fail.
 * Every refusal is one line naming the pair and the problem (exit 2).
 */
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { graphPorts, pairProblem, showDims, specPorts, statePairs, type PairEvidence, type Port, type StatePair } from '../../measure/state-pairs.js';
import type { GraphProto } from '../../onnx/types.js';
import { CompressInputError } from '../failure.js';

export interface PairingOptions {
  /** `--state in=out` (repeatable, or comma-separated): exactly these pairs. */
  state?: string[] | undefined;
  /** `--stateless`: no output is fed back. */
  stateless?: boolean | undefined;
}

/** The pairs, and a line for the log saying what each is and why it was taken. */
export function resolvePairs(o: PairingOptions, graph: GraphProto | undefined, inputs: TensorSpec[], outputs: TensorSpec[], forced: readonly string[]): { pairs: StatePair[]; note: string } {
  const ports = graph ? graphPorts(graph) : { inputs: specPorts(inputs), outputs: specPorts(outputs) };
  const stated = (o.state ?? []).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  if (o.stateless) {
    if (stated.length) throw new CompressInputError(`--state ${stated[0]} and --stateless contradict each other: give one`);
    if (forced.length) throw new CompressInputError(`--task ${forced[0]}=state needs a state pair, and --stateless turns them off: give one`);
    return { pairs: [], note: 'no state fed back (--stateless)' };
  }
  if (stated.length) {
    const pairs = stated.map((text) => statedPair(text, ports.inputs, ports.outputs));
    for (const side of ['input', 'output'] as const) {
      const twice = pairs.find((p, k) => pairs.findIndex((q) => q[side] === p[side]) !== k);
      if (twice) throw new CompressInputError(`--state: ${side} '${twice[side]}' is in two pairs`);
    }
    const unpaired = forced.find((f) => !pairs.some((p) => p.output === f));
    if (unpaired) throw new CompressInputError(`--task ${unpaired}=state: '${unpaired}' is in no --state pair; add --state <input>=${unpaired}`);
    return { pairs, note: describe(pairs.map((p) => ({ ...p, evidence: 'stated' as const })), ports.inputs) };
  }
  let found: (StatePair & { evidence: PairEvidence })[];
  try {
    found = statePairs(graph, ports.inputs, ports.outputs, forced);
  } catch (err) {
    throw new CompressInputError((err as Error).message);
  }
  return { pairs: found.map(({ input, output }) => ({ input, output })), note: found.length ? describe(found, ports.inputs) : 'no state pair found (name one with --state in=out)' };
}

/** One `in=out` checked against the model's inputs and outputs. */
function statedPair(text: string, inputs: Port[], outputs: Port[]): StatePair {
  const m = /^([^=]+)=([^=]+)$/.exec(text);
  if (!m) throw new CompressInputError(`--state '${text}': expected input=output, e.g. state=stateN`);
  const [input, output] = [m[1]!.trim(), m[2]!.trim()];
  const i = inputs.find((x) => x.name === input);
  const o = outputs.find((x) => x.name === output);
  if (!i) throw new CompressInputError(`--state ${text}: no input named '${input}'; inputs are ${inputs.map((x) => `'${x.name}'`).join(', ')}`);
  if (!o) throw new CompressInputError(`--state ${text}: no output named '${output}'; outputs are ${outputs.map((x) => `'${x.name}'`).join(', ')}`);
  const problem = pairProblem(i, o);
  if (problem) throw new CompressInputError(`--state ${text}: ${problem}; a state output must fit the input it is fed back into`);
  return { input, output };
}

const WHY: Record<PairEvidence | 'stated', string> = { graph: 'the graph carries it over', names: 'named so', task: '--task', stated: '--state' };

function describe(pairs: (StatePair & { evidence: PairEvidence | 'stated' })[], inputs: Port[]): string {
  return `state fed back: ${pairs.map((p) => `'${p.output}' -> '${p.input}' ${showDims(inputs.find((i) => i.name === p.input)!.dims)} (${WHY[p.evidence]})`).join(', ')}`;
}
