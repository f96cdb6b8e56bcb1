import { describe, expect, it } from 'vitest';
import { cleanRuntimeMessage } from '../../src/lib/runtime-error.js';

// Messages as onnxruntime 1.30 (node and web) word them for inputs the models refuse.
const CASES: [string, string][] = [
  [
    "Non-zero status code returned while running Gather node. Name:'embeddings.words' Status Message: indices element out of data bounds, idx=9000 must be within the inclusive range [-8192,8191]",
    'Gather: indices element out of data bounds, idx=9000 must be within the inclusive range [-8192,8191]',
  ],
  [
    "Non-zero status code returned while running Add node. Name:'embeddings.sum' Status Message: /onnxruntime_src/onnxruntime/core/providers/cpu/math/element_wise_ops.h:583 void onnxruntime::BroadcastIterator::Append(ptrdiff_t, ptrdiff_t) axis == 1 || axis == largest was false. Attempting to broadcast an axis by a dimension other than 1. 128 by 200\n",
    'Add: Attempting to broadcast an axis by a dimension other than 1. 128 by 200',
  ],
  [
    "Non-zero status code returned while running Conv node. Name:'batch_norm_67.tmp_2_nchwc' Status Message: Invalid input shape: {0,640}",
    'Conv: Invalid input shape: {0,640}',
  ],
  [
    'Got invalid dimensions for input: x for the following indices\n index: 1 Got: 4 Expected: 3\n Please fix either the inputs/outputs or the model.',
    'Got invalid dimensions for input: x for the following indices index: 1 Got: 4 Expected: 3',
  ],
];

describe('cleanRuntimeMessage', () => {
  it.each(CASES)('keeps the op and the reason of %#, nothing internal', (raw, clean) => {
    expect(cleanRuntimeMessage(raw)).toBe(clean);
  });

  it('never returns more than one short line, however long the echo', () => {
    const raw = `Non-zero status code returned while running Reshape node. Name:'r' Status Message: shape {${'1,'.repeat(1_000_000)}1} is invalid`;
    const out = cleanRuntimeMessage(raw);
    expect(out.length).toBeLessThanOrEqual(200);
    expect(out).not.toMatch(/\n/);
    expect(out.startsWith('Reshape: ')).toBe(true);
  });

  it('drops node names and source paths', () => {
    const out = cleanRuntimeMessage("Non-zero status code returned while running MatMul node. Name:'/secret/layer.3/MatMul' Status Message: /onnxruntime_src/core/x.cc:12 bad dims");
    expect(out).not.toMatch(/secret|onnxruntime_src|\.cc/);
  });
});
