/**
 * How a model's outputs feed the downstream model that judges its variants (tools/measure/chain.ts) and how
 * `--downstream` names it (tools/compress/data/downstream.ts): the mapping, the feeds made of the outputs
 * (one sample each, or k consecutive ones when the downstream input reads a sequence of windows), and the
 * options refused.
 */
import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { parseDownstream, withDownstream } from '../../../tools/compress/data/downstream.js';
import type { Judge } from '../../../tools/compress/data/eval-set.js';
import { downstreamFeeds, resolveMapping } from '../../../tools/measure/chain.js';

const spec = (name: string, shape: number[]): TensorSpec => ({ name, datatype: 'FP32', shape });
const rows = (n: number, width: number) => ({ width, last: width, data: Float32Array.from({ length: n * width }, (_, i) => i) });

describe('the downstream mapping', () => {
  it('takes the mapping given, then inputs named like outputs, then the only input from the only output', () => {
    expect(resolveMapping(['mel', 'energy'], [spec('features', [-1, 40]), spec('energy', [-1, 1])], { mel: 'features' })).toEqual({ features: 'mel', energy: 'energy' });
    expect(resolveMapping(['log_mel'], [spec('x', [-1, 40])])).toEqual({ x: 'log_mel' });
  });

  it('names what is missing or unknown', () => {
    expect(() => resolveMapping(['a', 'b'], [spec('x', [-1, 4])])).toThrow(/nothing feeds the downstream input 'x'; map them, e\.g\. --downstream model\.onnx:a=x/);
    expect(() => resolveMapping(['a'], [spec('x', [-1, 4])], { nope: 'x' })).toThrow(/this model has no output 'nope'/);
    expect(() => resolveMapping(['a'], [spec('x', [-1, 4])], { a: 'y' })).toThrow(/the downstream model has no input 'y'/);
  });
});

describe('the downstream feeds', () => {
  it('passes one sample per sample when the shapes agree, sizing a dynamic dim from the output', () => {
    const f = downstreamFeeds([spec('x', [-1, 4, 10])], { x: 'mel' }, { mel: rows(6, 40) });
    expect(f.samples).toBe(6);
    expect(f.feeds['x']!.dims).toEqual([6, 4, 10]);
    expect(downstreamFeeds([spec('x', [-1, -1, 10])], { x: 'mel' }, { mel: rows(6, 40) }).feeds['x']!.dims).toEqual([6, 4, 10]);
  });

  it('groups k consecutive windows into one sample when the input reads a sequence of them, dropping the remainder', () => {
    const f = downstreamFeeds([spec('seq', [-1, 3, 40])], { seq: 'mel' }, { mel: rows(7, 40) });
    expect(f).toMatchObject({ samples: 2 });
    expect(f.feeds['seq']!.dims).toEqual([2, 3, 40]);
    expect(f.feeds['seq']!.data[120]).toBe(120);
  });

  it('runs a fixed batch at its size, whole batches only', () => {
    const f = downstreamFeeds([spec('x', [2, 40])], { x: 'mel' }, { mel: rows(5, 40) });
    expect(f).toMatchObject({ samples: 4, chunk: 2 });
  });

  it('refuses sizes that do not divide, and integer inputs', () => {
    expect(() => downstreamFeeds([spec('x', [-1, 30])], { x: 'mel' }, { mel: rows(4, 40) })).toThrow(/'mel' gives 40 values per sample; input 'x' \[-1,30\] takes 30/);
    expect(() => downstreamFeeds([{ name: 'ids', datatype: 'INT64', shape: [-1, 40] }], { ids: 'mel' }, { mel: rows(4, 40) })).toThrow(/input 'ids' is INT64/);
  });
});

describe('--downstream', () => {
  it('reads a model with a mapping after .onnx:', () => {
    expect(parseDownstream('kws.onnx')).toEqual({ file: 'kws.onnx', given: {} });
    expect(parseDownstream('dir/kws.onnx:log_mel=features,energy=e')).toEqual({ file: 'dir/kws.onnx', given: { log_mel: 'features', energy: 'e' } });
    expect(() => parseDownstream('kws.onnx:log_mel')).toThrow(/expected model\.onnx:output=input/);
  });

  it('refuses the downstream options without --downstream, and leaves the judge alone without any', async () => {
    const judge = { kinds: { y: 'regression' }, floors: {}, plan: { chunk: 1, state: [], steps: 1 } } as Judge;
    await expect(withDownstream(judge, { downstreamDecision: 'score=0.5' }, [], {})).rejects.toThrow(/--downstream-decision without --downstream/);
    expect(await withDownstream(judge, {}, [], {})).toBe(judge);
  });
});
