/**
 * Open Inference Protocol v2 (KServe / Triton) JSON: the wire schema, decoding a request body into
 * validated tensors against a model's metadata and the configured limits, and encoding results.
 */
import { z } from 'zod';
import { InvalidInput, PayloadTooLarge } from '../errors.js';
import { issuePath, zodMessage } from '../lib/zod-message.js';
import type { ModelManifest } from '../registry/manifest.js';
import type { TensorSpec } from './datatypes.js';
import { Datatype } from './datatypes.js';
import { DATATYPE_INFO, fromHalf, toHalf } from './datatypes.js';
import type { InferenceRequest, Tensor } from './tensor.js';
import { elementCount } from './tensor.js';
import { BinaryReader, tensorBytes } from './binary.js';

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

function parseShape(raw: unknown[], name: string, limits: RequestLimits): number[] {
  const shape: number[] = [];
  for (const d of raw) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new InvalidInput(`input '${name}': shape must be non-negative integers, got ${JSON.stringify(raw)}`);
    }
    shape.push(d);
  }
  const n = elementCount(shape);
  if (!Number.isSafeInteger(n)) throw new InvalidInput(`input '${name}': shape ${JSON.stringify(raw)} is absurd`);
  if (n > limits.max_tensor_elements) {
    throw new PayloadTooLarge(`input '${name}': ${n} elements exceed the limit of ${limits.max_tensor_elements}`);
  }
  return shape;
}

function checkShapeAgainstSpec(shape: number[], spec: TensorSpec): void {
  if (shape.length !== spec.shape.length) {
    throw new InvalidInput(`input '${spec.name}': expected rank ${spec.shape.length} ${JSON.stringify(spec.shape)}, got shape ${JSON.stringify(shape)}`);
  }
  spec.shape.forEach((want, i) => {
    if (want >= 0 && shape[i] !== want) {
      throw new InvalidInput(`input '${spec.name}': dimension ${i} must be ${want}, got ${shape[i]} (model shape ${JSON.stringify(spec.shape)})`);
    }
  });
}

/** Converts flat JSON leaves to the typed array of `datatype`, naming the first bad element. */
export function toTypedArray(values: unknown[], datatype: Tensor['datatype'], name: string): Tensor['data'] {
  const info = DATATYPE_INFO[datatype];
  const out = info.create(values.length);
  const bad = (i: number, why: string): never => {
    throw new InvalidInput(`input '${name}': element ${i} (${JSON.stringify(values[i])}) ${why} for ${datatype}`);
  };
  for (let i = 0; i < values.length; i++) {
    let v = values[i];
    if (datatype === 'BOOL') {
      if (typeof v === 'boolean') v = v ? 1 : 0;
      else if (v !== 0 && v !== 1) bad(i, 'is not a boolean');
    }
    if (typeof v !== 'number' || Number.isNaN(v)) bad(i, 'is not a number');
    const num = v as number;
    if (info.integer) {
      if (!Number.isInteger(num)) bad(i, 'is not an integer');
      if (num < info.min! || num > info.max!) bad(i, 'is out of range');
    }
    if (out instanceof BigInt64Array || out instanceof BigUint64Array) out[i] = BigInt(num);
    else if (datatype === 'FP16') out[i] = toHalf(num);
    else out[i] = num;
  }
  return out;
}

/**
 * Decodes a v2 JSON body against the model's declared inputs and outputs. Every problem becomes an
 * InvalidInput (400) or PayloadTooLarge (413) naming the input and the rule.
 */
export function decodeInferRequest(body: unknown, model: Pick<ModelManifest, 'inputs' | 'outputs' | 'batch_axis'>, limits: RequestLimits, binary?: Uint8Array): InferenceRequest {
  const reader = new BinaryReader(binary);
  const parsed = InferRequestBody.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidInput(`invalid request body at '${issuePath(issue)}': ${issue.message}`);
  }
  const req = parsed.data;
  if (req.inputs.length > limits.max_inputs) throw new PayloadTooLarge(`${req.inputs.length} inputs exceed the limit of ${limits.max_inputs}`);
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
    const shape = parseShape(input.shape, input.name, limits);
    checkShapeAgainstSpec(shape, spec);
    const binarySize = input.parameters?.binary_data_size;
    if (binarySize !== undefined) {
      if (input.data !== undefined) throw new InvalidInput(`input '${input.name}': has both data and binary_data_size`);
      inputs.push({ name: input.name, datatype: spec.datatype as Tensor['datatype'], shape, data: reader.take(input.name, spec.datatype as Tensor['datatype'], elementCount(shape), binarySize) });
      continue;
    }
    if (input.data === undefined) throw new InvalidInput(`input '${input.name}': missing data (or parameters.binary_data_size for binary data)`);
    const values: unknown[] = [];
    flatten(input.data, values, input.name, limits.max_tensor_elements);
    const expected = elementCount(shape);
    if (values.length !== expected) {
      throw new InvalidInput(`input '${input.name}': shape ${JSON.stringify(shape)} needs ${expected} elements, data has ${values.length}`);
    }
    inputs.push({ name: input.name, datatype: spec.datatype as Tensor['datatype'], shape, data: toTypedArray(values, spec.datatype as Tensor['datatype'], input.name) });
  }
  reader.finish();
  const missing = model.inputs.filter((s) => !seen.has(s.name)).map((s) => `'${s.name}'`);
  if (missing.length) throw new InvalidInput(`missing input ${missing.join(', ')}`);
  if (model.batch_axis && inputs.length) {
    const batch = inputs[0]!.shape[0]!;
    const other = inputs.find((t) => t.shape[0] !== batch);
    if (other) throw new InvalidInput(`inputs disagree on the batch size: '${inputs[0]!.name}' has ${batch}, '${other.name}' has ${other.shape[0]}`);
    if (batch > limits.max_batch) throw new PayloadTooLarge(`batch size ${batch} exceeds the limit of ${limits.max_batch}`);
    if (batch === 0) throw new InvalidInput('batch size must be at least 1');
  }
  let outputs: string[] | undefined;
  const binaryOutputs = new Set<string>();
  const allBinary = req.parameters?.binary_data_output === true;
  if (req.outputs) {
    const known = new Set(model.outputs.map((o) => o.name));
    outputs = [];
    for (const o of req.outputs) {
      if (!known.has(o.name)) throw new InvalidInput(`unknown output '${o.name}'; the model gives ${[...known].map((n) => `'${n}'`).join(', ')}`);
      if (outputs.includes(o.name)) throw new InvalidInput(`duplicate output '${o.name}'`);
      outputs.push(o.name);
      const flag = o.parameters?.binary_data;
      if (flag === true || (allBinary && flag !== false)) binaryOutputs.add(o.name);
    }
  } else if (allBinary) {
    for (const o of model.outputs) binaryOutputs.add(o.name);
  }
  return {
    ...(req.id === undefined ? {} : { id: req.id }),
    inputs,
    ...(outputs ? { outputs } : {}),
    ...(binaryOutputs.size ? { binaryOutputs } : {}),
    parameters: req.parameters ?? {},
  };
}

/** JSON-safe values of a tensor: FP16 decoded, 64-bit integers as numbers, NaN/Infinity as null. */
export function tensorValues(t: Tensor): (number | boolean | null)[] {
  const out = new Array<number | boolean | null>(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const raw = t.data[i]!;
    let v = typeof raw === 'bigint' ? Number(raw) : t.datatype === 'FP16' ? fromHalf(raw) : raw;
    if (t.datatype === 'BOOL') {
      out[i] = v !== 0;
      continue;
    }
    out[i] = Number.isFinite(v) ? v : null;
  }
  return out;
}

export interface InferResponseBody {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, unknown>;
  outputs: { name: string; datatype: string; shape: number[]; data?: (number | boolean | null)[]; parameters?: { binary_data_size: number } }[];
}

/**
 * Encodes results as a v2 response body. Outputs named in `binary` carry `parameters.binary_data_size`
 * instead of `data`; their bytes are returned in `blocks`, in output order, for the binary extension.
 */
export function encodeInferResponse(
  model: { name: string; version: string },
  id: string | undefined,
  outputs: Tensor[],
  binary?: ReadonlySet<string>,
): { body: InferResponseBody; blocks: Uint8Array[] } {
  const blocks: Uint8Array[] = [];
  const body: InferResponseBody = {
    model_name: model.name,
    model_version: model.version,
    ...(id === undefined ? {} : { id }),
    outputs: outputs.map((t) => {
      if (!binary?.has(t.name)) return { name: t.name, datatype: t.datatype, shape: t.shape, data: tensorValues(t) };
      const bytes = tensorBytes(t);
      blocks.push(bytes);
      return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: bytes.byteLength } };
    }),
  };
  return { body, blocks };
}

/** Parses a v2 response from another v2 server (the origin) back into tensors, binary blocks included. */
export function decodeInferResponse(body: unknown, binary?: Uint8Array): Tensor[] {
  const parsed = z
    .object({
      outputs: z.array(
        z.object({
          name: z.string(),
          datatype: z.string(),
          shape: z.array(z.number().int().nonnegative()),
          data: z.array(z.unknown()).optional(),
          parameters: z.object({ binary_data_size: z.number().int().nonnegative().optional() }).loose().optional(),
        }),
      ),
    })
    .safeParse(body);
  if (!parsed.success) throw new Error(`not a v2 inference response: ${zodMessage(parsed.error, { first: true })}`);
  const reader = new BinaryReader(binary);
  const tensors = parsed.data.outputs.map((o) => {
    const dt = Datatype.safeParse(o.datatype);
    if (!dt.success || dt.data === 'BYTES') throw new Error(`unsupported output datatype '${o.datatype}'`);
    const datatype = dt.data as Tensor['datatype'];
    const size = o.parameters?.binary_data_size;
    if (size !== undefined) return { name: o.name, datatype, shape: o.shape, data: reader.take(o.name, datatype, elementCount(o.shape), size) };
    if (!o.data) throw new Error(`output '${o.name}' has neither data nor binary_data_size`);
    const values = o.data.map((v) => (v === null ? NaN : v));
    if (values.length !== elementCount(o.shape)) throw new Error(`output '${o.name}': shape ${JSON.stringify(o.shape)} does not match ${values.length} values`);
    return { name: o.name, datatype, shape: o.shape, data: datatype.startsWith('FP') ? toFloatArray(values, datatype) : toTypedArray(values, datatype, o.name) };
  });
  reader.finish();
  return tensors;
}

function toFloatArray(values: unknown[], datatype: Tensor['datatype']): Tensor['data'] {
  const out = DATATYPE_INFO[datatype].create(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number') throw new Error(`element ${i} is not a number`);
    out[i] = datatype === 'FP16' ? toHalf(v) : v;
  }
  return out;
}
