/**
 * The schemas of the v2 route table (routes/v2.ts): bodies, path parameters, routing headers and the
 * documented error responses. Zod with OpenAPI metadata, so one declaration both validates and documents.
 */
import { z } from '@hono/zod-openapi';
import { TensorSpec } from '../../src/protocol/datatypes.js';
import { CLIENT_HINT, REQUEST_HEADER, RESPONSE_HEADER } from '../../src/protocol/headers.js';
import { InferRequestBody } from '../../src/protocol/v2-request.js';
import { InferResponseBody } from '../../src/protocol/v2-response.js';
import { VariantName as VariantNameSchema } from '../../src/registry/manifest.js';

export const ErrorBody = z.object({ error: z.string() }).openapi('Error');

export const ServerMetadata = z.object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) }).openapi('ServerMetadata');
export const ModelList = z
  .object({
    models: z.array(
      z.object({
        name: z.string(),
        versions: z.array(z.string()),
        synthetic: z.boolean(),
        ready: z.boolean(),
        variants: z.array(
          z.object({ name: VariantNameSchema, bytes: z.number().int(), edge_memory_bytes: z.number().int(), placement: z.enum(['edge', 'origin']) }),
        ),
      }),
    ),
  })
  .openapi('ModelList');
export const ModelMetadata = z
  .object({ name: z.string(), versions: z.array(z.string()), platform: z.string(), inputs: z.array(TensorSpec), outputs: z.array(TensorSpec) })
  .openapi('ModelMetadata');
/** The v2 answer: the core's own schema (src/protocol/v2-response.ts), the one the encoder's type comes from. */
export const InferResponse = InferResponseBody.openapi('InferResponse');

const ERROR_TEXT = {
  400: 'Bad request: malformed JSON, corrupt gzip/deflate body, unknown/missing input, wrong datatype or shape, bad classification count, unknown variant, bad SLO',
  404: 'Unknown model or version',
  413: 'Body (counted decompressed), tensor elements, batch or input count over the limits',
  415: 'A Content-Encoding other than gzip, deflate or identity (Accept-Encoding lists them)',
  422: 'A caller that asked to be held to its SLO (x-slo-strict: 1) or deadline (parameters.timeout), or a policy with refuse_predicted_miss, and the facts (its own hints, measured latency) say it cannot be met; or input the model refuses. Nothing ran',
  502: 'Origin unreachable or broken answer',
  503: 'Model cannot be served now (Retry-After)',
  504: 'Origin missed its deadline',
} as const;

/** Documented error responses: every one is `{"error": "..."}`. */
export function errors<C extends keyof typeof ERROR_TEXT>(...codes: C[]): Record<C, { description: string; content: { 'application/json': { schema: typeof ErrorBody } } }> {
  return Object.fromEntries(codes.map((code) => [code, { description: ERROR_TEXT[code], content: { 'application/json': { schema: ErrorBody } } }])) as never;
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

export const ModelParams = z.object({ model: z.string().openapi({ param: { name: 'model', in: 'path' }, example: 'mnist' }) });
export const VersionedParams = ModelParams.extend({ version: z.string().openapi({ param: { name: 'version', in: 'path' }, example: '1' }) });

/**
 * The routing headers of an inference, documented as OpenAPI header parameters but not validated on the way
 * in: all are optional strings, and the data plane parses and checks each one itself with its own 400
 * (src/select/request-params.ts), so a schema pass would only cost each request a copy of every header.
 */
export const ROUTING_HEADERS = [
  { name: REQUEST_HEADER.sloMs, description: 'Latency budget in ms for this request (wins over parameters.slo_ms)', example: '100' },
  { name: REQUEST_HEADER.sloStrict, description: 'With 1, a request whose SLO the facts (its own RTT/ECT hints, measured latency) say cannot be met is refused 422 instead of served late', example: '1' },
  { name: REQUEST_HEADER.requestDeadlineMs, description: 'How long the caller will wait, in ms from now (a gateway tells its origin); caps the deadline', example: '450' },
  { name: REQUEST_HEADER.modelVariant, description: "Pin one of the model's variants by name (fp32, fp16, int8, int8w: weight-only int8, or any other the model's folder holds, e.g. a pruned or distilled one)", example: 'int8' },
  { name: REQUEST_HEADER.requestId, description: 'Kept, returned and sent on to the origin; generated when absent' },
  { name: CLIENT_HINT.rtt, description: 'Client Hint: round trip in ms' },
  { name: CLIENT_HINT.ect, description: 'Client Hint: effective connection type (slow-2g, 2g, 3g, 4g)' },
  { name: CLIENT_HINT.downlink, description: 'Client Hint: downlink in Mbit/s' },
  { name: CLIENT_HINT.saveData, description: 'Client Hint: "on" trades a little fidelity for speed' },
  { name: CLIENT_HINT.deviceMemory, description: 'Client Hint: device memory in GiB' },
  { name: CLIENT_HINT.secChUaMobile, description: 'Client Hint: "?1" on mobile' },
  // Header names in lower case, as the table declares its own (Client Hints keep their registered spelling there).
].map(({ name, description, example }) => ({ in: 'header' as const, name: name.toLowerCase(), required: false, description, schema: { type: 'string' as const, ...(example ? { example } : {}) } }));

export const RoutedHeaders = z.object({
  [RESPONSE_HEADER.modelVariant]: z.string().openapi({ description: 'The variant that produced the answer' }),
  [RESPONSE_HEADER.servedBy]: z.enum(['edge', 'origin']).openapi({ description: 'Where it ran' }),
  [RESPONSE_HEADER.routeReason]: z.string().openapi({ description: 'What was chosen, the budget and the prediction' }),
  [RESPONSE_HEADER.slo]: z.enum(['met', 'predicted-miss', 'missed']).openapi({ description: 'The answer against the SLO: met, predicted-miss (no candidate could meet it; served best effort) or missed (measured)' }),
  [RESPONSE_HEADER.serverTiming]: z.string().openapi({ description: 'select, load, queue, infer or origin durations' }),
});

/** The v2 request body, registered as a component and referenced (not validated) by the infer routes. */
export const InferRequest = InferRequestBody.openapi({
  description: 'A v2 inference request: `inputs` (name, shape, datatype, data flat or nested), optional `outputs` to select, `id` (echoed), `parameters` (`slo_ms` is read). Checked against the model metadata by the data plane.',
});
