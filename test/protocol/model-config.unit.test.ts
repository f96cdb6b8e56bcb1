/**
 * Triton's ModelConfig built from a manifest and a resolved policy: dims agree with every shipped manifest's
 * shapes, the scheduling fields follow the policy, and the JSON has Triton's field names and types.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig, resolvePolicy } from '../../src/config.js';
import type { ConfigModel, SchedulingPolicy } from '../../src/protocol/model-config.js';
import { modelConfig, tritonDataType } from '../../src/protocol/model-config.js';
import { readManifests } from '../../tools/lib/manifests.js';

const manifests = readManifests('models');
const POLICY: SchedulingPolicy = { batching: true, max_batch_size: 16, max_queue_delay_ms: 2.5, slo_ms: 300, priority_levels: 3, default_priority_level: 2, variants: ['fp32', 'int8', 'int4'] };

const tiny = (batch_axis: boolean): ConfigModel => ({
  name: 'tiny',
  version: '3',
  batch_axis,
  inputs: [
    { name: 'ids', datatype: 'INT64', shape: batch_axis ? [-1, 8] : [8] },
    { name: 'text', datatype: 'BYTES', shape: batch_axis ? [-1] : [1] },
  ],
  outputs: [{ name: 'y', datatype: 'FP16', shape: batch_axis ? [-1, -1, 4] : [2, 4] }],
  variants: { fp32: {}, int8: {} },
});

describe('the model configuration of a manifest', () => {
  it('gives every shipped model dims that are its manifest shapes without the batch axis', () => {
    expect(manifests.length).toBeGreaterThan(0);
    for (const m of manifests) {
      const config = modelConfig(m, resolvePolicy(parseConfig({}), m.name), 'edge');
      expect(config.max_batch_size > 0, m.name).toBe(m.batch_axis);
      const back = (dims: number[]) => (m.batch_axis ? [-1, ...dims] : dims);
      expect(config.input.map((i) => ({ name: i.name, shape: back(i.dims) })), m.name).toEqual(m.inputs.map((i) => ({ name: i.name, shape: i.shape })));
      expect(config.output.map((o) => ({ name: o.name, shape: back(o.dims) })), m.name).toEqual(m.outputs.map((o) => ({ name: o.name, shape: o.shape })));
      expect(config.input.map((i) => i.data_type)).toEqual(m.inputs.map((i) => `TYPE_${i.datatype}`));
    }
  });

  it('names datatypes as model_config.proto does, BYTES as TYPE_STRING', () => {
    expect(tritonDataType('FP32')).toBe('TYPE_FP32');
    expect(tritonDataType('INT64')).toBe('TYPE_INT64');
    expect(tritonDataType('BYTES')).toBe('TYPE_STRING');
    expect(modelConfig(tiny(true), POLICY, 'edge').input.map((i) => i.data_type)).toEqual(['TYPE_INT64', 'TYPE_STRING']);
  });

  it('derives max_batch_size and dynamic batching from the policy, in microseconds', () => {
    const config = modelConfig(tiny(true), POLICY, 'edge');
    expect(config.max_batch_size).toBe(16);
    expect(config.dynamic_batching).toEqual({
      preferred_batch_size: [],
      max_queue_delay_microseconds: 2500,
      preserve_ordering: false,
      priority_levels: 3,
      default_priority_level: 2,
      default_queue_policy: { timeout_action: 'DELAY', default_timeout_microseconds: 300_000, allow_timeout_override: true, max_queue_size: 0 },
      priority_queue_policy: {},
    });
  });

  it('rejects requests past their deadline at the origin, which drops them, and delays them at the edge', () => {
    expect(modelConfig(tiny(true), POLICY, 'origin').dynamic_batching?.default_queue_policy.timeout_action).toBe('REJECT');
    expect(modelConfig(tiny(true), POLICY, 'edge').dynamic_batching?.default_queue_policy.timeout_action).toBe('DELAY');
  });

  it('has no dynamic batching when the policy turns batching off, but keeps the batch axis', () => {
    const config = modelConfig(tiny(true), { ...POLICY, batching: false }, 'edge');
    expect(config.dynamic_batching).toBeUndefined();
    expect(config.max_batch_size).toBe(16);
    expect(config.input[0]!.dims).toEqual([8]);
  });

  it('gives a model without a batch axis max_batch_size 0, full dims and no batching', () => {
    const config = modelConfig(tiny(false), POLICY, 'edge');
    expect(config.max_batch_size).toBe(0);
    expect(config.dynamic_batching).toBeUndefined();
    expect(config.input.map((i) => i.dims)).toEqual([[8], [1]]);
    expect(config.output[0]!.dims).toEqual([2, 4]);
  });

  it('prints the fields Triton prints, with its names, enum strings and numbers (not int64 strings)', () => {
    const config = modelConfig(tiny(true), POLICY, 'edge');
    expect(Object.keys(config).sort()).toEqual(
      ['name', 'platform', 'backend', 'runtime', 'version_policy', 'max_batch_size', 'input', 'output', 'batch_input', 'batch_output', 'dynamic_batching', 'instance_group', 'default_model_filename', 'cc_model_filenames', 'metric_tags', 'parameters', 'model_warmup'].sort(),
    );
    expect(config).toMatchObject({ name: 'tiny', platform: 'onnxruntime_onnx', backend: 'onnxruntime', version_policy: { latest: { num_versions: 1 } } });
    expect(config.input[0]).toEqual({ name: 'ids', data_type: 'TYPE_INT64', format: 'FORMAT_NONE', dims: [8], is_shape_tensor: false, allow_ragged_batch: false, optional: false, is_non_linear_format_io: false });
    expect(config.output[0]).toEqual({ name: 'y', data_type: 'TYPE_FP16', dims: [-1, 4], label_filename: '', is_shape_tensor: false, is_non_linear_format_io: false });
    expect(config.instance_group).toEqual([{ name: 'tiny_0', kind: 'KIND_CPU', count: 1, gpus: [], secondary_devices: [], profile: [], passive: false, host_policy: '' }]);
    const text = JSON.stringify(config);
    expect(text).not.toMatch(/"dims":\["/);
    expect(JSON.parse(text)).toEqual(config);
  });

  it('lists the variants the policy allows and the model has, and the default SLO, as string parameters', () => {
    expect(modelConfig(tiny(true), POLICY, 'edge').parameters).toEqual({ variants: { string_value: 'fp32,int8' }, slo_ms: { string_value: '300' } });
  });
});
