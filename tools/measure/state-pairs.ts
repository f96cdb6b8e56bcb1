/**
 * Which outputs of a model are its state, fed back into an input on the next call, read from the graph
 * rather than from names. Matching names by suffix paired a voice-activity detector's audio `input` [1,N]
 * with its probability `output` [1,1] (both end in "put"): the probability was fed back as audio and the
 * model failed in a Pad. Now an output pairs with an input only when
 *
 * 1. their dtypes and declared shapes agree: equal ranks, equal sizes, a symbol matching the same symbol or
 *    an output dim the exporter left unresolved; never a fixed output size fed into a dim the input leaves
 *    free (a [1,1] probability is no [1,N] audio frame);
 * 2. the pairing is unambiguous: the output agrees with exactly one input and that input with exactly one
 *    output. Among candidates declared identically (h [2,1,64] and c [2,1,64]) name similarity breaks the
 *    tie (hn -> h, cn -> c); it never pairs shapes that differ;
 * 3. something says it is fed back, since a denoiser's y [N,8] agrees with its x [N,8] just as well: the
 *    graph (the output is an LSTM/GRU/RNN's final state started from the input, or a cache Concat of it:
 *    state-evidence.ts), the user (`--task out=state`), or the naming conventions of state (h0/hn,
 *    state/stateN, past_x/present_x, cache/cache_next).
 *
 * Pairs a user states (`--state in=out`) are checked by `pairProblem` only: dtypes and fixed sizes agree.
 */
import type { TensorSpec } from '../../src/protocol/datatypes.js';
import type { GraphProto, ValueInfoProto } from '../onnx/types.js';
import { feedsBack } from './state-evidence.js';

/** A dim as the graph declares it: a size, a symbol ('batch', 'N'), or null when unknown. */
export type Dim = number | string | null;

/** A graph input or output with its declared dtype and dims. */
export interface Port {
  name: string;
  datatype: string;
  dims: Dim[];
}

export interface StatePair {
  input: string;
  output: string;
}

const ELEM: Record<number, string> = { 1: 'FP32', 2: 'UINT8', 3: 'INT8', 6: 'INT32', 7: 'INT64', 9: 'BOOL', 10: 'FP16', 11: 'FP64' };

/** Ports as the graph declares them (symbols kept); initializers listed as inputs are left out. */
export function graphPorts(graph: GraphProto): { inputs: Port[]; outputs: Port[] } {
  const weights = new Set(graph.initializer.map((t) => t.name));
  const port = (v: ValueInfoProto): Port => ({
    name: v.name,
    datatype: ELEM[v.type?.tensor_type?.elem_type ?? 0] ?? `type ${v.type?.tensor_type?.elem_type}`,
    dims: (v.type?.tensor_type?.shape?.dim ?? []).map((d) => (d.dim_value !== undefined && d.dim_value > 0 ? d.dim_value : d.dim_param ? d.dim_param : null)),
  });
  return { inputs: graph.input.filter((i) => !weights.has(i.name)).map(port), outputs: graph.output.map(port) };
}

/** Ports from manifest-style specs, where -1 is a dim of unknown name. */
export const specPorts = (specs: readonly TensorSpec[]): Port[] => specs.map((s) => ({ name: s.name, datatype: s.datatype, dims: s.shape.map((d) => (d >= 0 ? d : null)) }));

/** `[2,batch,128]`: how a port's dims read in messages. */
export const showDims = (dims: readonly Dim[]) => `[${dims.map((d) => d ?? '?').join(',')}]`;

/** Whether output `o` can be fed back into input `i` (rule 1 of the header). */
export function agree(i: Port, o: Port): boolean {
  if (i.datatype !== o.datatype || i.dims.length !== o.dims.length) return false;
  // A fixed output size fits only the same fixed input size; an unresolved output dim fits anything.
  return i.dims.every((d, k) => typeof o.dims[k] !== 'number' || d === o.dims[k]);
}

const sameDeclaration = (a: Port, b: Port) => a.datatype === b.datatype && JSON.stringify(a.dims) === JSON.stringify(b.dims);

/** Words that mark the in or out side of a state, not what it is. */
const SIDE_WORDS = new Set(['present', 'previous', 'prev', 'past', 'initial', 'init', 'current', 'next', 'last', 'new', 'in', 'out', 'input', 'output', 'n']);

/**
 * A name without the words that mark the in/out side of a recurrent pair: `state_out`, `stateN` and
 * `new_state` -> `state`, `h0` and `hn` -> `h`, `cache_next` -> `cache`; `input` and `output` -> '' (no stem).
 */
export function stem(name: string): string {
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter((w) => w && !SIDE_WORDS.has(w));
  const last = words.pop();
  if (last !== undefined) words.push(/^[a-z]n$/.test(last) ? last[0]! : last.replace(/([a-z])\d+$/, '$1'));
  return words.join('_');
}

/** The one candidate, or among identically declared ones the one whose name stem matches (rule 2). */
function pick(self: Port, candidates: Port[]): Port | undefined {
  if (candidates.length <= 1) return candidates[0];
  if (!candidates.every((c) => sameDeclaration(c, candidates[0]!))) return undefined;
  const named = candidates.filter((c) => stem(c.name) !== '' && stem(c.name) === stem(self.name));
  return named.length === 1 ? named[0] : undefined;
}

/** How a pair was found; logged so a user can tell the rule from the data. */
export type PairEvidence = 'graph' | 'names' | 'task';

/**
 * The state pairs of a model, with what says each is fed back. `graph` gives the graph evidence (absent:
 * shapes and names only). `forced` outputs (`--task out=state`) must pair; an error says why one cannot.
 */
export function statePairs(graph: GraphProto | undefined, inputs: Port[], outputs: Port[], forced: readonly string[] = []): (StatePair & { evidence: PairEvidence })[] {
  const pairs: (StatePair & { evidence: PairEvidence })[] = [];
  for (const o of outputs) {
    const i = pick(o, inputs.filter((x) => agree(x, o)));
    const mutual = i !== undefined && pick(i, outputs.filter((x) => agree(i, x))) === o;
    if (!mutual) {
      if (forced.includes(o.name)) throw new Error(`--task ${o.name}=state: no single input agrees with '${o.name}' ${o.datatype} ${showDims(o.dims)} in dtype and shape (inputs: ${inputs.map((x) => `'${x.name}' ${x.datatype} ${showDims(x.dims)}`).join(', ')}); name the pair with --state <input>=${o.name}`);
      continue;
    }
    const evidence: PairEvidence | undefined = forced.includes(o.name) ? 'task' : graph && feedsBack(graph, i.name, o.name) ? 'graph' : stem(i.name) !== '' && stem(i.name) === stem(o.name) ? 'names' : undefined;
    if (evidence) pairs.push({ input: i.name, output: o.name, evidence });
  }
  return pairs;
}

/** Why output `o` cannot be fed into input `i` as a stated pair (`--state i=o`), or undefined when it can. */
export function pairProblem(i: Port, o: Port): string | undefined {
  if (i.datatype !== o.datatype) return `'${o.name}' is ${o.datatype}, '${i.name}' takes ${i.datatype}`;
  const fixedDiffer = i.dims.length !== o.dims.length || i.dims.some((d, k) => typeof d === 'number' && typeof o.dims[k] === 'number' && d !== o.dims[k]);
  if (fixedDiffer) return `'${o.name}' ${showDims(o.dims)} does not fit '${i.name}' ${showDims(i.dims)}`;
  return undefined;
}
