/**
 * Open Inference Protocol v2 (KServe / Triton) responses: encoding output tensors as a v2 body (JSON data,
 * or binary blocks for the binary tensor extension), and decoding another v2 server's answer (the
 * origin's) back into tensors. Requests: v2-request.ts.
 *
 * The answer's shape is declared once, here, as a zod schema: the type the encoder builds, the schema the
 * infer routes document (routes/v2/schemas.ts) and the base of what the decoder accepts from an origin.
 */
import { z } from 'zod';
import { zodMessage } from '../lib/zod-message.js';
import type { BytesTensor } from './classification.js';
import { Datatype } from './datatypes.js';
import type { Tensor } from './tensor.js';
import { elementCount } from './tensor.js';
import { BinaryReader, tensorBytes } from './binary.js';
import { tensorValues, toFloatArray, toTypedArray } from './json-data.js';

/** One output tensor of a v2 answer as the gateway sends it: its values in JSON, or their size in binary. */
export const InferOutputTensor = z.object({
  name: z.string(),
  datatype: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  data: z
    .union([z.array(z.union([z.number(), z.boolean(), z.null()])), z.array(z.string())])
    .optional()
    .describe('Flat, row-major; non-finite floats are null. BYTES (classification extension): "value:index[:label]" per class'),
  parameters: z.object({ binary_data_size: z.number().int().nonnegative() }).optional().describe('Binary tensor extension: the bytes follow the JSON header'),
});

/** A v2 response body as the gateway sends it (the JSON header, when outputs travel in binary). */
export const InferResponseBody = z.object({
  model_name: z.string(),
  model_version: z.string().optional(),
  id: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  outputs: z.array(InferOutputTensor),
});
export type InferResponseBody = z.infer<typeof InferResponseBody>;

/**
 * What is taken from another v2 server: the same tensors, read leniently where the protocol leaves room. Its
 * values are checked against the datatype by the decoder (with a message naming the output), and other
 * per-output parameters a server adds are let through; nothing but `outputs` is read.
 */
const ReceivedAnswer = z.object({
  outputs: z.array(
    InferOutputTensor.extend({
      data: z.array(z.unknown()).optional(),
      parameters: z.object({ binary_data_size: z.number().int().nonnegative().optional() }).loose().optional(),
    }),
  ),
});

/**
 * Encodes results as a v2 response body. Outputs named in `binary` carry `parameters.binary_data_size`
 * instead of `data`; their bytes are returned in `blocks`, in output order, for the binary extension. BYTES
 * outputs (classification) are strings in JSON and length-prefixed elements in binary.
 */
export function encodeInferResponse(
  model: { name: string; version: string },
  id: string | undefined,
  outputs: (Tensor | BytesTensor)[],
  binary?: ReadonlySet<string>,
): { body: InferResponseBody; blocks: Uint8Array[] } {
  const blocks: Uint8Array[] = [];
  const body: InferResponseBody = {
    model_name: model.name,
    model_version: model.version,
    ...(id === undefined ? {} : { id }),
    outputs: outputs.map((t) => {
      if (!binary?.has(t.name)) return { name: t.name, datatype: t.datatype, shape: t.shape, data: t.datatype === 'BYTES' ? t.data : tensorValues(t) };
      const bytes = tensorBytes(t);
      blocks.push(bytes);
      return { name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: bytes.byteLength } };
    }),
  };
  return { body, blocks };
}

/** Parses a v2 response from another v2 server (the origin) back into tensors, binary blocks included. */
export function decodeInferResponse(body: unknown, binary?: Uint8Array): Tensor[] {
  const parsed = ReceivedAnswer.safeParse(body);
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
