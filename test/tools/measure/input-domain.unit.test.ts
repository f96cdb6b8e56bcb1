/**
 * Every input fed its stated values (tools/measure/input-domain.ts) in the evaluation set
 * (tools/compress/data/feeds.ts, domains.ts) and named when a run fails (tools/measure/eval-run.ts): an
 * integer range includes both ends, a rank-0 integer input takes only the ends, listed values come in turn
 * and a rank-0 input that takes several changes per run; bad options are refused by name.
 */
import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { inputDomains } from '../../../tools/compress/data/domains.js';
import { randomFeeds } from '../../../tools/compress/data/feeds.js';
import { Prng } from '../../../tools/lib/prng.js';
import { runEval, runFeeds, type RunOutputs } from '../../../tools/measure/eval-run.js';
import { describeDomain, valueAt } from '../../../tools/measure/input-domain.js';

const sr: TensorSpec = { name: 'sr', datatype: 'INT64', shape: [] };
const ids: TensorSpec = { name: 'ids', datatype: 'INT64', shape: [-1, 6] };
const audio: TensorSpec = { name: 'input', datatype: 'FP32', shape: [1, -1] };
const defaults = { lo: 0, hi: 1, intHigh: 2 };
const draw = (spec: TensorSpec, domain: Parameters<typeof valueAt>[1], n: number) => {
  const prng = new Prng(3);
  return Array.from({ length: n }, (_, k) => valueAt(spec, domain, k, prng, defaults));
};

describe('values an input is fed', () => {
  it('feeds a rank-0 integer input only its range\'s two ends, in turn: sr=8000,16000 runs a dual-rate model', () => {
    expect(draw(sr, { range: [8000, 16000] }, 5)).toEqual([8000, 16000, 8000, 16000, 8000]);
    expect(describeDomain(sr, { range: [8000, 16000] }, defaults)).toBe("8000 and 16000 in turn (the range's ends)");
  });

  it('feeds the elements of an integer tensor both ends first, then integers between them, both ends included', () => {
    const v = draw(ids, { range: [3, 5] }, 200);
    expect(v.slice(0, 2)).toEqual([3, 5]);
    expect(new Set(v)).toEqual(new Set([3, 4, 5]));
  });

  it('feeds listed values in turn, and says so', () => {
    expect(draw(sr, { values: [8000, 16000, 44100] }, 4)).toEqual([8000, 16000, 44100, 8000]);
    expect(describeDomain(sr, { values: [8000, 16000] }, defaults)).toBe('one of 8000, 16000, in turn');
    expect(describeDomain(sr, undefined, defaults)).toBe('random integers 0..1 (--int-high 2)');
  });

  it('changes a rank-0 input per block of samples (a run, or a sequence of a stateful model), so every value is run', () => {
    const feeds = randomFeeds([audio, sr], { input: [6, 4], sr: [] }, 1, { values: { sr: [8000, 16000] }, block: 2 });
    expect(feeds['sr']).toMatchObject({ type: 'int64', dims: [6], perRun: true });
    expect([...feeds['sr']!.data].map(Number)).toEqual([8000, 8000, 16000, 16000, 8000, 8000]);
    expect(runFeeds(feeds, 2, 4)['sr']).toEqual({ type: 'int64', dims: [], data: BigInt64Array.of(16000n) });
    expect(randomFeeds([audio, sr], { input: [2, 4], sr: [] }, 1, { ranges: { sr: [16000, 16000] } })['sr']).toMatchObject({ dims: [], fixed: true, data: BigInt64Array.of(16000n) });
  });

  it('refuses a name the model lacks, both options on one input, and fractions for an integer input', () => {
    const inputs = [audio, sr];
    expect(inputDomains(inputs, { inputRanges: { input: [-1, 1] }, inputValues: { sr: [8000, 16000] } })).toEqual({ input: { range: [-1, 1] }, sr: { values: [8000, 16000] } });
    expect(() => inputDomains(inputs, { inputValues: { rate: [8000] } })).toThrow(/^--input-values rate=\.\.\.: no input named 'rate'; inputs are 'input' FP32, 'sr' INT64$/);
    expect(() => inputDomains(inputs, { inputRanges: { sr: [8000, 16000] }, inputValues: { sr: [8000] } })).toThrow(/--input-range and --input-values both name 'sr'/);
    expect(() => inputDomains(inputs, { inputValues: { sr: [8000.5] } })).toThrow(/'sr' is INT64: give integers/);
  });
});

describe('a failed evaluation run', () => {
  it('names what each input was fed and where it came from, the state as fed back from its output', async () => {
    const feeds = randomFeeds([{ name: 'x', datatype: 'FP32', shape: [-1, 2] }, { name: 'h', datatype: 'FP32', shape: [1, 2] }], { x: [4, 2] }, 1, { state: new Set(['h']) });
    let calls = 0;
    const run = async (part: Record<string, { dims: number[] }>): Promise<RunOutputs> => {
      if (++calls === 2) throw new Error(`bad shape ${JSON.stringify(part['h']!.dims)}`);
      return { y: { dims: [1, 1], data: [0.5] }, hn: { dims: [1, 1], data: [0.5] } };
    };
    const plan = { chunk: 1, steps: 4, state: [{ input: 'h', output: 'hn' }], sources: { x: 'random uniform [0, 1)', h: "zeros, then fed back from output 'hn'" } };
    await expect(runEval(run, feeds, plan)).rejects.toThrow("bad shape [1,1]; step 2 of sequence 1 was fed 'x' float32 [1,2] (random uniform [0, 1)), 'h' float32 [1,1] (fed back from output 'hn')");
  });
});
