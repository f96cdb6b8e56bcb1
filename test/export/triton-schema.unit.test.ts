/**
 * The Triton schema the export is checked against: the committed descriptor was compiled from the committed
 * model_config.proto (npm run export:proto re-makes both together), and reading text format with it is
 * strict in the ways Triton's own parser is.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../tools/lib/sha256.js';
import { parsePbtxt, SCHEMA_DIR, toPbtxt } from '../../tools/export/triton/proto.js';

describe("Triton's model_config.proto, compiled", () => {
  it('is the descriptor of the .proto beside it (else: npm run export:proto)', () => {
    const stamp = JSON.parse(readFileSync(join(SCHEMA_DIR, 'model_config.binpb.json'), 'utf8')) as { source_sha256: string };
    expect(sha256(readFileSync(join(SCHEMA_DIR, 'model_config.proto')))).toBe(stamp.source_sha256);
  });

  it('reads the text format of Triton\'s documentation, comments included', () => {
    const parsed = parsePbtxt(['# a comment', 'name: "m"', 'platform: "onnxruntime_onnx"', 'max_batch_size: 8', 'input [ { name: "x" data_type: TYPE_FP32 dims: [ 3, -1 ] } ]', 'dynamic_batching { max_queue_delay_microseconds: 100 }'].join('\n'));
    expect(parsed).toMatchObject({ name: 'm', maxBatchSize: 8, input: [{ name: 'x', dataType: 'TYPE_FP32', dims: ['3', '-1'] }], dynamicBatching: { maxQueueDelayMicroseconds: '100' } });
  });

  it.each([
    ['an unknown field', 'name: "m" max_queue_delay: 1', /unknown field "max_queue_delay"/],
    ['a singular field twice', 'max_batch_size: 1 max_batch_size: 2', /non-repeated field "max_batch_size" is repeated/],
    ['a negative unsigned value', 'dynamic_batching { max_queue_delay_microseconds: -1 }', /unsigned/],
    ['an enum value the proto lacks', 'input { name: "x" data_type: TYPE_FLOAT32 }', /TYPE_FLOAT32/],
    ['a string where a number goes', 'max_batch_size: "8"', /.+/],
  ])('refuses %s', (_what, text, error) => {
    expect(() => parsePbtxt(text)).toThrow(error);
  });

  it('refuses to write a field the proto does not have', () => {
    expect(() => toPbtxt({ name: 'm', maxQueueDelay: 1 })).toThrow(/maxQueueDelay/);
    expect(toPbtxt({ name: 'm' }, ['why'])).toBe('# why\nname: "m"\n');
  });
});
