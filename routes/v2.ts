/**
 * Open Inference Protocol v2 routes (KServe / Triton REST): HTTP only. Parse and validate, call the data
 * plane, serialize. Errors are thrown as domain errors and mapped to JSON once, in the app's onError.
 * Each route is declared with `createRoute`, so the OpenAPI document (routes/openapi.ts) is generated from
 * the same table that serves requests.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { DataPlane } from '../src/dataplane.js';
import { HEADER_LENGTH, joinBinaryBody, parseRequestBody } from '../src/protocol/binary.js';
import { InvalidInput, MethodNotAllowed, ModelNotReady } from '../src/errors.js';
import { InferRequestBody } from '../src/protocol/v2-request.js';
import type { ModelManifest, VariantName } from '../src/registry/manifest.js';
import { VariantName as VariantNameSchema } from '../src/registry/manifest.js';
import { TensorSpec } from '../src/protocol/datatypes.js';

export interface V2Env {
  Variables: { plane: DataPlane; requestId: string };
}

const SERVER_NAME = 'edge-inference-gateway';
const SERVER_VERSION = '0.1.0';

export const ErrorBody = z.object({ error: z.string() }).openapi('Error');

const ServerMetadata = z.object({ name: z.string(), version: z.string(), extensions: z.array(z.string()) }).openapi('ServerMetadata');
const ModelList = z
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
const ModelMetadata = z
  .object({ name: z.string(), versions: z.array(z.string()), platform: z.string(), inputs: z.array(TensorSpec), outputs: z.array(TensorSpec) })
  .openapi('ModelMetadata');
const InferResponse = z
  .object({
    model_name: z.string(),
    model_version: z.string().optional(),
    id: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    outputs: z.array(
      z.object({
        name: z.string(),
        datatype: z.string(),
        shape: z.array(z.number().int()),
        data: z.array(z.union([z.number(), z.boolean(), z.null()])).optional(),
        parameters: z.object({ binary_data_size: z.number().int() }).optional().openapi({ description: 'Binary tensor extension: the bytes follow the JSON header' }),
      }),
    ),
  })
  .openapi('InferResponse');

const ERROR_TEXT = {
  400: 'Bad request: malformed JSON, unknown/missing input, wrong datatype or shape, unknown variant, bad SLO',
  404: 'Unknown model or version',
  413: 'Body, tensor elements, batch or input count over the limits',
  502: 'Origin unreachable or broken answer',
  503: 'Model cannot be served now (Retry-After)',
  504: 'Origin missed its deadline',
} as const;

/** Documented error responses: every one is `{"error": "..."}`. */
function errors<C extends keyof typeof ERROR_TEXT>(...codes: C[]): Record<C, { description: string; content: { 'application/json': { schema: typeof ErrorBody } } }> {
  return Object.fromEntries(codes.map((code) => [code, { description: ERROR_TEXT[code], content: { 'application/json': { schema: ErrorBody } } }])) as never;
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

const ModelParams = z.object({ model: z.string().openapi({ param: { name: 'model', in: 'path' }, example: 'mnist' }) });
const VersionedParams = ModelParams.extend({ version: z.string().openapi({ param: { name: 'version', in: 'path' }, example: '1' }) });

/** Request headers the router reads (documented only: every string is accepted here, the data plane judges them). */
const RoutingHeaders = z.object({
  'x-slo-ms': z.string().optional().openapi({ description: 'Latency budget in ms for this request (wins over parameters.slo_ms)', example: '100' }),
  'x-model-variant': z.string().optional().openapi({ description: 'Pin a variant: fp32, fp16 or int8', example: 'int8' }),
  'x-request-id': z.string().optional().openapi({ description: 'Kept, returned and sent on to the origin; generated when absent' }),
  rtt: z.string().optional().openapi({ description: 'Client Hint: round trip in ms' }),
  ect: z.string().optional().openapi({ description: 'Client Hint: effective connection type (slow-2g, 2g, 3g, 4g)' }),
  downlink: z.string().optional().openapi({ description: 'Client Hint: downlink in Mbit/s' }),
  'save-data': z.string().optional().openapi({ description: 'Client Hint: "on" trades a little fidelity for speed' }),
  'device-memory': z.string().optional().openapi({ description: 'Client Hint: device memory in GiB' }),
  'sec-ch-ua-mobile': z.string().optional().openapi({ description: 'Client Hint: "?1" on mobile' }),
});

const RoutedHeaders = z.object({
  'x-model-variant': z.string().openapi({ description: 'The variant that produced the answer' }),
  'x-served-by': z.enum(['edge', 'origin']).openapi({ description: 'Where it ran' }),
  'x-route-reason': z.string().openapi({ description: 'What was chosen, the budget and the prediction' }),
  'server-timing': z.string().openapi({ description: 'select, load, queue, infer or origin durations' }),
});

const PREFIXES = [
  { path: '/models/{model}', params: ModelParams, hono: '/models/:model' },
  { path: '/models/{model}/versions/{version}', params: VersionedParams, hono: '/models/:model/versions/:version' },
] as const;

function metadata(model: ModelManifest) {
  return { name: model.name, versions: [model.version], platform: 'onnxruntime_onnx', inputs: model.inputs, outputs: model.outputs };
}

function methodNotAllowed(allow: string) {
  return () => {
    throw new MethodNotAllowed(allow);
  };
}

/** Workers' waitUntil when the runtime has an execution context (not on Node, at the origin). */
function waitUntilOf(c: Context<V2Env, string, object>): { waitUntil?: (work: Promise<unknown>) => void } {
  try {
    const ctx = c.executionCtx;
    return { waitUntil: (work) => ctx.waitUntil(work) };
  } catch {
    return {};
  }
}

/** The model (and version, when the path names one) of a model route; 404 when unknown. */
function modelOf(c: Context<V2Env, string, object>): ModelManifest {
  return c.get('plane').registry.get(c.req.param('model') ?? '', c.req.param('version'));
}

/** The v2 route table. Validation failures of declared parameters become the usual 400 `{"error"}`. */
export function v2Routes(): OpenAPIHono<V2Env> {
  const app = new OpenAPIHono<V2Env>({
    defaultHook: (result) => {
      if (!result.success) throw new InvalidInput(`invalid request ${result.target}: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
    },
  });
  app.openAPIRegistry.register(
    'InferRequest',
    InferRequestBody.openapi({
      description: 'A v2 inference request: `inputs` (name, shape, datatype, data flat or nested), optional `outputs` to select, `id` (echoed), `parameters` (`slo_ms` is read). Checked against the model metadata by the data plane.',
    }),
  );

  const v2 = { tags: ['v2'] };
  app.openapi(createRoute({ ...v2, method: 'get', path: '/', summary: 'Server metadata', responses: { 200: json(ServerMetadata, 'Server name, version and extensions') } }), (c) =>
    c.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: ['model_variants', 'slo_routing', 'client_hints'] }, 200),
  );
  app.openapi(createRoute({ ...v2, method: 'get', path: '/health/live', summary: 'Liveness', responses: { 200: json(z.object({ live: z.boolean() }), 'The server is live') } }), (c) =>
    c.json({ live: true }, 200),
  );
  app.openapi(createRoute({ ...v2, method: 'get', path: '/health/ready', summary: 'Readiness', responses: { 200: json(z.object({ ready: z.boolean() }), 'The server is ready') } }), (c) => {
    c.get('plane');
    return c.json({ ready: true }, 200);
  });

  const listRoute = createRoute({
    ...v2,
    method: 'get',
    path: '/models',
    summary: 'Every model with its versions and variants (extension)',
    description: 'Each variant says its size, the WASM memory it needs and where it runs by default (edge if it fits the memory budget, else origin).',
    responses: { 200: json(ModelList, 'The models') },
  });
  app.openapi(listRoute, (c) => {
    const plane = c.get('plane');
    return c.json(
      {
        models: plane.registry.list().map((m) => ({
          name: m.name,
          versions: [m.version],
          synthetic: m.synthetic,
          ready: plane.modelReady(m),
          variants: (Object.keys(m.variants) as VariantName[]).map((v) => ({
            name: v,
            bytes: m.variants[v]!.bytes,
            edge_memory_bytes: m.variants[v]!.edge_memory_bytes,
            placement: plane.placement(m, v),
          })),
        })),
      },
      200,
    );
  });

  for (const { path, params, hono } of PREFIXES) {
    const request = { params };
    app.openapi(createRoute({ ...v2, method: 'get', path, summary: 'Model metadata', request, responses: { 200: json(ModelMetadata, 'Inputs and outputs of the model'), ...errors(404) } }), (c) =>
      c.json(metadata(modelOf(c)), 200),
    );
    const readyRoute = createRoute({
      ...v2,
      method: 'get',
      path: `${path}/ready`,
      summary: 'Model readiness',
      description: 'Ready when an edge variant fits the memory budget or the origin is up.',
      request,
      responses: { 200: json(z.object({ name: z.string(), ready: z.boolean() }), 'The model can be served'), ...errors(404, 503) },
    });
    app.openapi(readyRoute, (c) => {
      const plane = c.get('plane');
      const model = modelOf(c);
      if (!plane.modelReady(model)) throw new ModelNotReady(`model '${model.name}' has no edge variant within budget and the origin is down`);
      return c.json({ name: model.name, ready: true }, 200);
    });
    const inferRoute = createRoute({
      ...v2,
      method: 'post',
      path: `${path}/infer`,
      summary: 'Inference',
      description: 'Runs the request on the variant (edge or origin) that meets the SLO with the best fidelity; the response headers say what ran and why.',
      request: {
        params,
        headers: RoutingHeaders,
        // A reference, not the zod schema itself: a zod body would make zod-openapi validate (and 415) before the
        // data plane, whose decoder gives the protocol's own 400/413 messages.
        body: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/InferRequest' } } } },
      },
      responses: { 200: { ...json(InferResponse, 'The outputs'), headers: RoutedHeaders }, ...errors(400, 404, 413, 502, 503, 504) },
    });
    app.openapi(inferRoute, async (c) => {
      const body = parseRequestBody(new Uint8Array(await c.req.arrayBuffer()), c.req.header(HEADER_LENGTH));
      const requestId = c.get('requestId');
      const outcome = await c.get('plane').infer(modelOf(c), body, {
        header: (name) => c.req.header(name),
        requestBytes: body.bytes,
        ...(requestId ? { requestId } : {}),
        ...waitUntilOf(c),
      });
      if (outcome.blocks.length) {
        // Binary tensor extension: JSON header, then the output bytes.
        const { body: bytes, headerLength } = joinBinaryBody(outcome.body, outcome.blocks);
        return c.body(bytes, 200, { ...outcome.headers, 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(headerLength) }) as never;
      }
      return c.json(outcome.body, 200, outcome.headers);
    });
    app.on(['GET', 'PUT', 'DELETE', 'PATCH'], `${hono}/infer`, methodNotAllowed('POST'));
    app.on(['POST', 'PUT', 'DELETE', 'PATCH'], hono, methodNotAllowed('GET'));
  }
  return app;
}
