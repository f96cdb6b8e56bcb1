/**
 * Open Inference Protocol v2 (KServe / Triton) requests: the JSON wire schema, and decoding a body into
 * validated tensors against a model's metadata and the configured limits. Every problem is a 400 or 413
 * naming the input and the rule. Responses: v2-response.ts.
 */
import { z } from 'zod';
import { InvalidInput, PayloadTooLarge } from '../errors.js';
import { issuePath } from '../lib/zod-message.js';
import type { TensorSpec } from './datatypes.js';
import { Datatype } from './datatypes.js';
import type { InferenceRequest, Tensor } from './tensor.js';
import { elementCount } from './tensor.js';
import { BinaryReader } from './binary.js';
import { toTypedArray } from './json-data.js';
import { checkOutputEstimate, estimateOutputElements, refuseNonFinite } from './request-checks.js';
import { classificationCount } from './classification.js';
import { brief } from '../lib/text.js';
import { checkParameters } from './parameters.js';

const Parameters = z.record(z.string(), z.unknown());

export const RequestInput = z.object({
  name: z.string().min(1),
  shape: z.array(z.unknown()),
  datatype: z.string(),
  parameters: Parameters.optional(),
  /** Absent when the input's bytes travel in binary (parameters.binary_data_size). */
  data: z.unknown().optional(),
});

export const InferRequestBody = z.object({
  id: z.string().optional(),
  parameters: Parameters.optional(),
  inputs: z.array(RequestInput),
  outputs: z.array(z.object({ name: z.string().min(1), parameters: Parameters.optional() })).optional(),
});
export type InferRequestBody = z.infer<typeof InferRequestBody>;

export interface RequestLimits {
  max_tensor_elements: number;
  max_inputs: number;
  max_batch: number;
  /** Checked against an estimate from the output shapes (request-checks.ts); unset: not checked. */
  max_output_elements?: number;
  /** Entries one `parameters` object may hold, and bytes (as JSON) all of a request's may take (parameters.ts). */
  max_parameters?: number;
  max_parameter_bytes?: number;
}

/** Per-model rules for decoding (from the model's policy). */
export interface DecodeOptions {
  /** Accept NaN and ±Infinity in float inputs (off: 400). */
  allowNonFinite?: boolean;
}

/**
 * Flattens nested JSON `data` into `out` without recursion (hostile nesting cannot overflow the stack),
 * stopping as soon as the element limit is passed.
 */
function flatten(data: unknown, out: unknown[], name: string, limit: number): void {
  if (!Array.isArray(data)) {
    out.push(data);
    return;
  }
  const stack: { items: unknown[]; at: number }[] = [{ items: data, at: 0 }];
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    if (top.at === top.items.length) {
      stack.pop();
      continue;
    }
    const item = top.items[top.at++];
    if (Array.isArray(item)) {
      stack.push({ items: item, at: 0 });
      continue;
    }
    out.push(item);
    if (out.length > limit) throw new PayloadTooLarge(`input '${name}': data has more than ${limit} elements`);
  }
}

/**
 * The typed array of one input's `data`. Already flat and the right length (the usual case): converted
 * directly, with no copy and no separate pass looking for nested rows; only if that fails on an element that
 * is itself an array is the data flattened first (rows may nest, even unevenly) and converted again.
 */
function tensorData(data: unknown, shape: number[], datatype: Tensor['datatype'], name: string, limits: RequestLimits): Tensor['data'] {
  const expected = elementCount(shape);
  if (Array.isArray(data) && data.length === expected) {
    try {
      return toTypedArray(data, datatype, name);
    } catch (e) {
      if (!data.some(Array.isArray)) throw e;
    }
  }
  const values: unknown[] = [];
  flatten(data, values, name, limits.max_tensor_elements);
  if (values.length !== expected) throw new InvalidInput(`input '${name}': shape ${JSON.stringify(shape)} needs ${expected} elements, data has ${values.length}`);
  return toTypedArray(values, datatype, name);
}

function parseShape(raw: unknown[], name: string, limits: RequestLimits): number[] {
  const shape: number[] = [];
  for (const d of raw) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new InvalidInput(`input '${name}': shape must be non-negative integers, got ${brief(raw)}`);
    }
    shape.push(d);
  }
  const n = elementCount(shape);
  if (!Number.isSafeInteger(n)) throw new InvalidInput(`input '${name}': shape ${brief(raw)} is absurd`);
  if (n > limits.max_tensor_elements) {
    throw new PayloadTooLarge(`input '${name}': ${n} elements exceed the limit of ${limits.max_tensor_elements}`);
  }
  return shape;
}

/** Rank first, from the raw shape: a hostile million-dimension shape is refused before anything walks it. */
function checkRank(raw: unknown[], spec: TensorSpec): void {
  if (raw.length !== spec.shape.length) {
    throw new InvalidInput(`input '${spec.name}': expected rank ${spec.shape.length} ${JSON.stringify(spec.shape)}, got shape ${brief(raw)}`);
  }
}

function checkShapeAgainstSpec(shape: number[], spec: TensorSpec): void {
  spec.shape.forEach((want, i) => {
    if (want >= 0 && shape[i] !== want) {
      throw new InvalidInput(`input '${spec.name}': dimension ${i} must be ${want}, got ${shape[i]} (model shape ${JSON.stringify(spec.shape)})`);
    }
  });
}

/** What decoding needs of a model: its tensor signature (a manifest satisfies it). */
export interface ModelSignature {
  inputs: readonly TensorSpec[];
  outputs: readonly TensorSpec[];
  /** Axis 0 of every input and output is the batch axis. */
  batch_axis: boolean;
}

/**
 * Decodes a v2 JSON body against the model's declared inputs and outputs. Every problem becomes an
 * InvalidInput (400) or PayloadTooLarge (413) naming the input (or output) and the rule. Requested outputs
 * may ask for binary data and for classification (their top N classes, classification.ts).
 */
export function decodeInferRequest(body: unknown, model: ModelSignature, limits: RequestLimits, binary?: Uint8Array, options: DecodeOptions = {}): InferenceRequest {
  const reader = new BinaryReader(binary);
  // Before the schema, which would walk (and copy) every input and every key of a hostile parameters object.
  const rawInputs = (body as { inputs?: unknown } | null | undefined)?.inputs;
  if (Array.isArray(rawInputs) && rawInputs.length > limits.max_inputs) throw new PayloadTooLarge(`${rawInputs.length} inputs exceed the limit of ${limits.max_inputs}`);
  checkParameters(body, { max_parameters: limits.max_parameters ?? Infinity, max_parameter_bytes: limits.max_parameter_bytes ?? Infinity }, limits.max_inputs);
  const parsed = InferRequestBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInput(`invalid request body at '${issuePath(issue)}': ${issue.message}`);
  }
  const req = parsed.data;
  const specs = new Map(model.inputs.map((s) => [s.name, s]));
  const seen = new Set<string>();
  const inputs: Tensor[] = [];
  for (const input of req.inputs) {
    const spec = specs.get(input.name);
    if (!spec) throw new InvalidInput(`unknown input '${input.name}'; the model takes ${[...specs.keys()].map((n) => `'${n}'`).join(', ')}`);
    if (seen.has(input.name)) throw new InvalidInput(`duplicate input '${input.name}'`);
    seen.add(input.name);
    const dt = Datatype.safeParse(input.datatype);
    if (!dt.success || dt.data === 'BYTES') throw new InvalidInput(`input '${input.name}': unsupported datatype '${input.datatype}'`);
    if (dt.data !== spec.datatype) throw new InvalidInput(`input '${input.name}': datatype ${dt.data} does not match the model's ${spec.datatype}`);
    checkRank(input.shape, spec);
    const shape = parseShape(input.shape, input.name, limits);
    checkShapeAgainstSpec(shape, spec);
    const binarySize = input.parameters?.binary_data_size;
    if (binarySize !== undefined) {
      if (input.data !== undefined) throw new InvalidInput(`input '${input.name}': has both data and binary_data_size`);
      inputs.push({ name: input.name, datatype: spec.datatype as Tensor['datatype'], shape, data: reader.take(input.name, spec.datatype as Tensor['datatype'], elementCount(shape), binarySize) });
      continue;
    }
    if (input.data === undefined) throw new InvalidInput(`input '${input.name}': missing data (or parameters.binary_data_size for binary data)`);
    const datatype = spec.datatype as Tensor['datatype'];
    inputs.push({ name: input.name, datatype, shape, data: tensorData(input.data, shape, datatype, input.name, limits) });
  }
  reader.finish();
  if (!options.allowNonFinite) inputs.forEach(refuseNonFinite);
  const missing = model.inputs.filter((s) => !seen.has(s.name)).map((s) => `'${s.name}'`);
  if (missing.length) throw new InvalidInput(`missing input ${missing.join(', ')}`);
  if (model.batch_axis && inputs.length) {
    const batch = inputs[0]!.shape[0]!;
    const other = inputs.find((t) => t.shape[0] !== batch);
    if (other) throw new InvalidInput(`inputs disagree on the batch size: '${inputs[0]!.name}' has ${batch}, '${other.name}' has ${other.shape[0]}`);
    if (batch > limits.max_batch) throw new PayloadTooLarge(`batch size ${batch} exceeds the limit of ${limits.max_batch}`);
    if (batch === 0) throw new InvalidInput('batch size must be at least 1');
  }
  if (limits.max_output_elements !== undefined) checkOutputEstimate(estimateOutputElements(model, inputs, model.inputs), limits.max_output_elements);
  let outputs: string[] | undefined;
  const binaryOutputs = new Set<string>();
  const classification = new Map<string, number>();
  const allBinary = req.parameters?.binary_data_output === true;
  if (req.outputs) {
    const known = new Map(model.outputs.map((o) => [o.name, o]));
    outputs = [];
    for (const o of req.outputs) {
      const spec = known.get(o.name);
      if (!spec) throw new InvalidInput(`unknown output '${o.name}'; the model gives ${[...known.keys()].map((n) => `'${n}'`).join(', ')}`);
      if (outputs.includes(o.name)) throw new InvalidInput(`duplicate output '${o.name}'`);
      outputs.push(o.name);
      const flag = o.parameters?.binary_data;
      if (flag === true || (allBinary && flag !== false)) binaryOutputs.add(o.name);
      const count = classificationCount(o.name, o.parameters?.classification, spec.datatype);
      if (count !== undefined) classification.set(o.name, count);
    }
  } else if (allBinary) {
    for (const o of model.outputs) binaryOutputs.add(o.name);
  }
  return {
    ...(req.id === undefined ? {} : { id: req.id }),
    inputs,
    ...(outputs ? { outputs } : {}),
    ...(binaryOutputs.size ? { binaryOutputs } : {}),
    ...(classification.size ? { classification } : {}),
    parameters: req.parameters ?? {},
  };
}
