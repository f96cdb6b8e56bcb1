/**
 * What a compression run writes (tools/compress/choose/written.ts, int8-timing.ts, passes/quantized.ts):
 * `--only` lists exactly the variants made, a file that quantizes nothing is dropped, the run fails only when
 * every compressed variant is dropped, and the INT8 form is decided by latency only beyond the measured noise,
 * then by size, fidelity margin and preference: pure rules, pinned without onnxruntime.
 */
import { describe, expect, it } from 'vitest';
import { checkSomethingWritten, dropWarning, unquantized, variantsToWrite } from '../../../tools/compress/choose/written.js';
import { decideForm } from '../../../tools/compress/choose/int8-timing.js';
import { toDynamicInt8 } from '../../../tools/compress/passes/int8-dynamic.js';
import { toWeightOnlyInt8 } from '../../../tools/compress/passes/int8-weight-only.js';
import { quantizes } from '../../../tools/compress/passes/quantized.js';
import { encodeModel } from '../../../tools/onnx/io.js';
import { tokenNet } from './graphs.js';

describe('the variants a run makes', () => {
  it('makes exactly the --only list, int8w included only when listed, and refuses contradictions', () => {
    expect(variantsToWrite({})).toEqual(['fp32', 'fp16', 'int8', 'int8w']);
    expect(variantsToWrite({ int8w: false })).toEqual(['fp32', 'fp16', 'int8']);
    expect(variantsToWrite({ only: ['fp32', 'fp16', 'int8w'], int8w: true })).toEqual(['fp32', 'fp16', 'int8w']);
    expect(() => variantsToWrite({ only: ['fp32', 'int8w'], int8w: false })).toThrow(/^--only fp32,int8w asks for int8w and --no-int8w turns it off: give one$/);
    expect(() => variantsToWrite({ only: ['fp16'] })).toThrow(/\(--only fp32,fp16\)$/);
  });

  it('drops an int8 or int8w file that quantizes nothing, and keeps one that does', () => {
    const m = tokenNet();
    const everyNodeKept = toDynamicInt8(m, 'matmul', new Set(['proj'])).model;
    expect(quantizes(m)).toBe(false);
    expect(quantizes(everyNodeKept)).toBe(false);
    expect(quantizes(encodeModel(toDynamicInt8(m, 'matmul').model))).toBe(true);
    expect(quantizes(toWeightOnlyInt8(m, new Set(), 1).model)).toBe(true);
    const dropped = unquantized({ int8: encodeModel(everyNodeKept), int8w: encodeModel(toWeightOnlyInt8(m, new Set(), 1).model) });
    expect(dropped).toEqual([{ variant: 'int8', runtime: 'graph check', failures: [expect.stringMatching(/^quantizes nothing/)] }]);
  });

  it('fails only when every compressed variant asked for was dropped, and then says why for each', () => {
    const dropped = [{ variant: 'int8' as const, runtime: 'onnxruntime-node', failures: ['no INT8 form meets the floors'] }];
    expect(() => checkSomethingWritten(['fp32', 'fp16', 'int8'], ['fp32', 'fp16'], dropped)).not.toThrow();
    expect(() => checkSomethingWritten(['fp32'], ['fp32'], [])).not.toThrow();
    expect(() => checkSomethingWritten(['fp32', 'int8'], ['fp32'], dropped)).toThrow(/^no variant meets the fidelity floors, nothing written: int8: no INT8 form meets the floors \(--only fp32 writes the reference alone\)$/);
    expect(dropWarning(['fp32', 'fp16'], dropped)).toBe('compress: WARNING: wrote fp32, fp16; dropped int8 (no INT8 form meets the floors); see provenance.dropped_variants');
    expect(dropWarning(['fp32', 'fp16'], [])).toBeUndefined();
  });
});

describe('the INT8 form written', () => {
  const forms = [
    { form: 'dynamic' as const, bytes: 900, margin: 0.2, p50_ms: 10 },
    { form: 'qdq-minmax' as const, bytes: 800, margin: 0.1, p50_ms: 9.6 },
  ];

  it('lets latency decide only beyond the noise margin', () => {
    expect(decideForm(forms, 1)).toBe('qdq-minmax');
    expect(decideForm([{ ...forms[0]!, p50_ms: 5 }, forms[1]!], 1)).toBe('dynamic');
  });

  it('decides ties on latency by the smaller file, then the larger fidelity margin, then the preference order', () => {
    // 0.4 ms apart with a 1 ms margin: tied; qdq-minmax is the smaller file, whichever was timed faster.
    expect(decideForm([forms[0]!, { ...forms[1]!, p50_ms: 10.4 }], 1)).toBe('qdq-minmax');
    expect(decideForm([forms[0]!, { ...forms[1]!, bytes: 900 }], 1)).toBe('dynamic');
    expect(decideForm([{ ...forms[0]!, margin: 0.1 }, { ...forms[1]!, bytes: 900 }], 1)).toBe('dynamic');
    expect(decideForm([{ ...forms[0]!, p50_ms: undefined }], 0)).toBe('dynamic');
  });
});
