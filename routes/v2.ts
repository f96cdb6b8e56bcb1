/**
 * Open Inference Protocol v2 routes (KServe / Triton REST): HTTP only. Parse and validate, call the data
 * plane, serialize (the routing headers come from its typed result, routes/v2/headers.ts). Errors are
 * thrown as domain errors and mapped to JSON once, in the app's onError. Each route is declared with
 * `createRoute` over the schemas of routes/v2/schemas.ts, so the OpenAPI document (routes/openapi.ts) is
 * generated from the same table that serves requests.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { joinBinaryBody, parseRequestBody } from '../src/protocol/binary.js';
import { REQUEST_HEADER, RESPONSE_HEADER } from '../src/protocol/headers.js';
import { InvalidInput, MethodNotAllowed, ModelNotReady } from '../src/errors.js';
import { zodMessage } from '../src/lib/zod-message.js';
import type { ModelManifest, VariantName } from '../src/registry/manifest.js';
import { routingOf } from '../src/select/request-params.js';
import pkg from '../package.json';
import type { V2Env } from './env.js';
import { deviceRoutes } from './v2/device.js';
import { routedHeaders } from './v2/headers.js';
import { tritonRoutes } from './v2/triton.js';
import { errors, InferRequest, InferResponse, json, ModelList, ModelMetadata, ModelParams, RoutedHeaders, ROUTING_HEADERS, ServerMetadata, VersionedParams } from './v2/schemas.js';

// Server metadata comes from the package itself: one version for the gateway, the origin and the SDK.
const SERVER_NAME = pkg.name;
const SERVER_VERSION = pkg.version;
/** Triton's names for the extensions it shares (binary_tensor_data, classification), then the gateway's own. */
const EXTENSIONS = ['binary_tensor_data', 'classification', 'model_configuration', 'model_repository', 'statistics', 'model_variants', 'slo_routing', 'client_hints', 'device_plan'];

const PREFIXES = [
  { path: '/models/{model}', params: ModelParams, hono: '/models/:model' },
  { path: '/models/{model}/versions/{version}', params: VersionedParams, hono: '/models/:model/versions/:version' },
] as const;

function metadata(model: ModelManifest) {
  // Outputs as v2 tensor metadata: a classifier's labels are the manifest's, shown only through classification.
  const outputs = model.outputs.map(({ name, datatype, shape }) => ({ name, datatype, shape }));
  return { name: model.name, versions: [model.version], platform: 'onnxruntime_onnx', inputs: model.inputs, outputs };
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
      if (!result.success) throw new InvalidInput(`invalid request ${result.target}: ${zodMessage(result.error)}`);
    },
  });
  app.openAPIRegistry.register('InferRequest', InferRequest);

  const v2 = { tags: ['v2'] };
  app.openapi(createRoute({ ...v2, method: 'get', path: '/', summary: 'Server metadata', responses: { 200: json(ServerMetadata, 'Server name, version and extensions') } }), (c) =>
    c.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: EXTENSIONS }, 200),
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
  app.openapi(listRoute, async (c) => {
    const plane = c.get('plane');
    const models = await Promise.all(
      plane.registry.list().map(async (m) => {
        const { ready, placement } = await plane.modelStatus(m);
        const variants = (Object.keys(m.variants) as VariantName[]).map((v) => ({ name: v, bytes: m.variants[v]!.bytes, edge_memory_bytes: m.variants[v]!.edge_memory_bytes, placement: placement[v]! }));
        return { name: m.name, versions: [m.version], synthetic: m.synthetic, ready, variants };
      }),
    );
    return c.json({ models }, 200);
  });

  tritonRoutes(app);
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
    app.openapi(readyRoute, async (c) => {
      const model = modelOf(c);
      if (!(await c.get('plane').modelStatus(model)).ready) throw new ModelNotReady(`model '${model.name}' has no edge variant within budget and the origin is down`);
      return c.json({ name: model.name, ready: true }, 200);
    });
    const inferRoute = createRoute({
      ...v2,
      method: 'post',
      path: `${path}/infer`,
      summary: 'Inference',
      description:
        'Runs the request on the variant (edge or origin) that meets the SLO with the best fidelity; the response headers say what ran and why. The body may be gzip or deflate (Content-Encoding); the answer is compressed when Accept-Encoding asks.',
      parameters: ROUTING_HEADERS,
      request: {
        params,
        // A reference, not the zod schema itself: a zod body would make zod-openapi validate (and 415) before the
        // data plane, whose decoder gives the protocol's own 400/413 messages.
        body: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/InferRequest' } } } },
      },
      responses: { 200: { ...json(InferResponse, 'The outputs'), headers: RoutedHeaders }, ...errors(400, 404, 413, 415, 422, 502, 503, 504) },
    });
    app.openapi(inferRoute, async (c) => {
      const body = parseRequestBody(new Uint8Array(await c.req.arrayBuffer()), c.req.header(REQUEST_HEADER.inferenceHeaderContentLength), c.get('plane').config.limits.max_json_depth);
      const requestId = c.get('requestId');
      const outcome = await c.get('plane').infer(modelOf(c), body, {
        routing: routingOf((name) => c.req.header(name)),
        requestBytes: body.bytes,
        // Aborted when the client disconnects (Workers: with the enable_request_signal flag; Node: always), so
        // the plane abandons the origin call instead of computing for nobody.
        signal: c.req.raw.signal,
        ...(requestId ? { requestId } : {}),
        ...(c.get('caller') ? { caller: c.get('caller')! } : {}),
        ...waitUntilOf(c),
      });
      const arrivedAt = c.get('arrivedAt');
      const headers = routedHeaders(outcome, arrivedAt !== undefined ? performance.now() - arrivedAt : undefined);
      c.set('outcome', outcome);
      if (outcome.blocks.length) {
        // Binary tensor extension: JSON header, then the output bytes.
        const { body: bytes, headerLength } = joinBinaryBody(outcome.body, outcome.blocks);
        return c.body(bytes, 200, { ...headers, 'content-type': 'application/octet-stream', [RESPONSE_HEADER.inferenceHeaderContentLength]: String(headerLength) }) as never;
      }
      return c.json(outcome.body, 200, headers);
    });
    app.on(['GET', 'PUT', 'DELETE', 'PATCH'], `${hono}/infer`, methodNotAllowed('POST'));
    app.on(['POST', 'PUT', 'DELETE', 'PATCH'], hono, methodNotAllowed('GET'));
  }
  deviceRoutes(app);
  return app;
}
