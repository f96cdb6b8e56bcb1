/**
 * State pairs from the graph (tools/measure/state-pairs.ts, state-evidence.ts) and from the options
 * (tools/compress/data/pairing.ts): a VAD's probability output is never fed back as its audio input, an
 * LSTM's state pairs whatever it is named, a denoiser's mask never pairs with its input, identically shaped
 * states pair by name, and `--state` / `--stateless` are checked with one-line errors.
 */
import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { resolvePairs } from '../../../tools/compress/data/pairing.js';
import { agree, graphPorts, specPorts, statePairs, stem } from '../../../tools/measure/state-pairs.js';
import { denoiserNet, vadNet } from '../compress/vad-graphs.js';

const spec = (name: string, shape: number[], datatype: TensorSpec['datatype'] = 'FP32'): TensorSpec => ({ name, datatype, shape });
const pairsOf = (m: ReturnType<typeof vadNet>, forced: string[] = []) => {
  const p = graphPorts(m.graph);
  return statePairs(m.graph, p.inputs, p.outputs, forced).map(({ input, output }) => `${input}<-${output}`);
};

describe('state pairs read from the graph', () => {
  it('never feeds a VAD\'s probability output [1,1] back as its audio input [1,N]; its state pairs', () => {
    expect(pairsOf(vadNet())).toEqual(['state<-stateN']);
    const p = graphPorts(vadNet().graph);
    expect(agree(p.inputs.find((i) => i.name === 'input')!, p.outputs.find((o) => o.name === 'output')!)).toBe(false);
  });

  it('pairs an LSTM\'s final state with the input it started from, whatever either is called, and not the mask', () => {
    expect(pairsOf(denoiserNet())).toEqual(['input_3<-tf_op_layer_stack_2']);
    expect(pairsOf(denoiserNet(true))).toEqual(['input_3<-tf_op_layer_stack_2']);
  });

  it('does not pair an output that merely has its input\'s shape (y = f(x)) without names or a graph saying so', () => {
    expect(statePairs(undefined, specPorts([spec('x', [-1, 8])]), specPorts([spec('y', [-1, 8])]))).toEqual([]);
    expect(statePairs(undefined, specPorts([spec('x', [-1, 8])]), specPorts([spec('y', [-1, 8])]), ['y'])).toEqual([{ input: 'x', output: 'y', evidence: 'task' }]);
  });

  it('breaks ties among identically shaped states by name, and refuses to guess between different shapes', () => {
    const ins = [spec('h0', [2, -1, 64]), spec('c0', [2, -1, 64]), spec('past_key', [-1, 4, -1, 8]), spec('x', [-1, 10])];
    const outs = [spec('hn', [2, -1, 64]), spec('cn', [2, -1, 64]), spec('present_key', [-1, 4, -1, 8]), spec('y', [-1, 10])];
    expect(statePairs(undefined, specPorts(ins), specPorts(outs)).map((p) => `${p.input}<-${p.output}`)).toEqual(['h0<-hn', 'c0<-cn', 'past_key<-present_key']);
    // 'state' [2,1,8] agrees with a fixed [2,1,8] and with an unresolved [2,?,8]: two candidates, not the same shape.
    const two = specPorts([spec('stateN', [2, 1, 8]), spec('state_out', [2, -1, 8])]);
    expect(statePairs(undefined, specPorts([spec('state', [2, 1, 8])]), two)).toEqual([]);
  });

  it('matches symbols by name or leaves an unresolved output dim open, but never a fixed output size into a free input dim', () => {
    const [i] = specPorts([spec('state', [2, -1, 8])]);
    expect(agree(i!, { name: 'stateN', datatype: 'FP32', dims: [2, 'batch', 8] })).toBe(true);
    expect(agree({ ...i!, dims: [2, 1, 8] }, { name: 'stateN', datatype: 'FP32', dims: [2, null, 8] })).toBe(true);
    expect(agree(i!, { name: 'stateN', datatype: 'FP32', dims: [2, 1, 8] })).toBe(false);
    expect(agree(i!, { name: 'stateN', datatype: 'INT64', dims: [2, -1, 8] })).toBe(false);
  });

  it('strips only the words that mark a side: input and output have no stem in common', () => {
    expect(['stateN', 'state_out', 'new_state', 'h0', 'hn', 'cache_next', 'hidden_in', 'hidden'].map(stem)).toEqual(['state', 'state', 'state', 'h', 'h', 'cache', 'hidden', 'hidden']);
    expect([stem('input'), stem('output')]).toEqual(['', '']);
  });
});

describe('--state and --stateless', () => {
  const vad = vadNet();
  const ins = [spec('input', [1, -1]), spec('state', [2, 1, 8]), spec('sr', [], 'INT64')];
  const outs = [spec('output', [1, 1]), spec('stateN', [2, 1, 8])];
  const resolve = (o: Parameters<typeof resolvePairs>[0], forced: string[] = []) => resolvePairs(o, vad.graph, ins, outs, forced);

  it('takes exactly the stated pairs, or none with --stateless, and says why in the log line', () => {
    // A stated pair is the user's word on dims the graph leaves free (an export may fix an output's batch).
    expect(resolve({ state: ['input=output'] }).pairs).toEqual([{ input: 'input', output: 'output' }]);
    expect(resolve({}).note).toBe("state fed back: 'stateN' -> 'state' [2,1,8] (named so)");
    expect(resolve({ state: ['state=stateN'] }).pairs).toEqual([{ input: 'state', output: 'stateN' }]);
    expect(resolve({ stateless: true })).toEqual({ pairs: [], note: 'no state fed back (--stateless)' });
  });

  it('refuses a stated pair naming nothing, not fitting, repeated or contradicted, in one line each', () => {
    expect(() => resolve({ state: ['stat=stateN'] })).toThrow(/^--state stat=stateN: no input named 'stat'; inputs are 'input', 'state', 'sr'$/);
    expect(() => resolve({ state: ['state=stateM'] })).toThrow(/no output named 'stateM'; outputs are 'output', 'stateN'$/);
    expect(() => resolve({ state: ['state=output'] })).toThrow(/^--state state=output: 'output' \[1,1\] does not fit 'state' \[2,1,8\]; a state output must fit/);
    expect(() => resolve({ state: ['sr=output'] })).toThrow(/'output' is FP32, 'sr' takes INT64/);
    expect(() => resolve({ state: ['state=stateN,state=stateN'] })).toThrow(/input 'state' is in two pairs/);
    expect(() => resolve({ state: ['state=stateN'], stateless: true })).toThrow(/contradict/);
    expect(() => resolve({ stateless: true }, ['stateN'])).toThrow(/--task stateN=state needs a state pair, and --stateless turns them off/);
    expect(() => resolve({}, ['output'])).toThrow(/--task output=state: no single input agrees with 'output' FP32 \[1,1\].*--state <input>=output$/);
  });
});
