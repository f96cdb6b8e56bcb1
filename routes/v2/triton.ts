/**
 * Three of Triton's optional HTTP extensions, in the shapes tritonclient.http reads: model_configuration
 * (`GET …/config`), model_repository (`POST /repository/index`, `…/load`, `…/unload`) and statistics
 * (`GET /models[/{m}[/versions/{v}]]/stats`). HTTP only: the data plane builds each answer
 * (src/protocol/model-config.ts, src/dataplane/repository.ts, src/dataplane/statistics.ts). Config, stats
 * and the index are open like the model metadata; load and unload change this process's memory, so
 * routes/app.ts puts them behind the admin token.
 *
 * Mounted before the model routes of routes/v2.ts: `/models/stats` would otherwise be read as a model named
 * "stats" (as in Triton, such a model's metadata is out of reach).
 */
import { createRoute } from '@hono/zod-openapi';
import type { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { repositoryIndex } from '../../src/dataplane/repository.js';
import { InvalidInput, MethodNotAllowed } from '../../src/errors.js';
import { zodMessage } from '../../src/lib/zod-message.js';
import type { ModelManifest } from '../../src/registry/manifest.js';
import type { V2Env } from '../env.js';
import { ADMIN_ERRORS, ADMIN_TOKEN_SCHEME } from '../responses.js';
import { errors, json, ModelParams, VersionedParams } from './schemas.js';
import { ModelConfigBody, ModelStats, RepositoryIndex, RepositoryIndexRequest, RepositoryModelRequest } from './triton-schemas.js';

type C = Context<V2Env, string, object>;

/** The model (and version, when the path names one); 404 when unknown. */
function modelOf(c: C): ModelManifest {
  return c.get('plane').registry.get(c.req.param('model') ?? '', c.req.param('version'));
}

/** An optional JSON body: empty is `{}` (tritonclient posts an empty index request); anything else must parse. */
async function optionalBody<T>(c: C, schema: z.ZodType<T>, what: string): Promise<T> {
  const text = await c.req.text();
  let value: unknown = {};
  if (text.trim()) {
    try {
      value = JSON.parse(text);
    } catch {
      throw new InvalidInput(`${what}: the body is not valid JSON`);
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidInput(`invalid ${what}: ${zodMessage(parsed.error)}`);
  return parsed.data;
}

/** Load parameters that ask for another config or other files than the deployed ones: refused, not ignored. */
function refuseOverrides(parameters: Record<string, unknown> | undefined): void {
  const override = Object.keys(parameters ?? {}).find((k) => k === 'config' || k.startsWith('file:'));
  if (override) throw new InvalidInput(`load parameter '${override}' is not supported: the models are the deployed manifests and files`);
}

const optionalJson = (ref: string) => ({ required: false, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });

/** Adds the routes of the three extensions to the v2 table. */
export function tritonRoutes(app: OpenAPIHono<V2Env>): void {
  app.openAPIRegistry.register('TritonRepositoryIndexRequest', RepositoryIndexRequest);
  app.openAPIRegistry.register('TritonRepositoryModelRequest', RepositoryModelRequest);
  const tags = ['v2'];
  const stats = (c: C, model?: ModelManifest) => c.json({ model_stats: c.get('plane').statistics(model) }, 200);

  const statsDoc = { tags, method: 'get', summary: 'Statistics (Triton extension)', responses: { 200: json(ModelStats, 'Counts and cumulative durations since this process started'), ...errors(404) } } as const;
  app.openapi(createRoute({ ...statsDoc, path: '/models/stats', description: 'Every model.' }), (c) => stats(c));
  app.openapi(createRoute({ ...statsDoc, path: '/models/{model}/stats', request: { params: ModelParams } }), (c) => stats(c, modelOf(c)));
  app.openapi(createRoute({ ...statsDoc, path: '/models/{model}/versions/{version}/stats', request: { params: VersionedParams } }), (c) => stats(c, modelOf(c)));

  const configDoc = { tags, method: 'get', summary: 'Model configuration (Triton extension)', responses: { 200: json(ModelConfigBody, "Triton's ModelConfig, from the manifest and the model's policy"), ...errors(404) } } as const;
  app.openapi(createRoute({ ...configDoc, path: '/models/{model}/config', request: { params: ModelParams } }), async (c) => c.json(await c.get('plane').modelConfig(modelOf(c)), 200));
  app.openapi(createRoute({ ...configDoc, path: '/models/{model}/versions/{version}/config', request: { params: VersionedParams } }), async (c) => c.json(await c.get('plane').modelConfig(modelOf(c)), 200));

  const indexRoute = createRoute({
    tags,
    method: 'post',
    path: '/repository/index',
    summary: 'Model repository index (Triton extension)',
    description: 'Every model and whether it can be served now; `{"ready": true}` lists only those that can.',
    request: { body: optionalJson('TritonRepositoryIndexRequest') },
    responses: { 200: json(RepositoryIndex, 'The models'), ...errors(400) },
  });
  app.openapi(indexRoute, async (c) => {
    const { ready } = await optionalBody(c, RepositoryIndexRequest, 'repository index request');
    return c.json(await repositoryIndex(c.get('plane'), ready ?? false), 200);
  });

  const modelDoc = { tags, method: 'post' as const, security: [{ [ADMIN_TOKEN_SCHEME]: [] }], request: { params: ModelParams, body: optionalJson('TritonRepositoryModelRequest') } };
  const loadRoute = createRoute({
    ...modelDoc,
    path: '/repository/models/{model}/load',
    summary: 'Load a model (Triton extension; admin token)',
    description: "Opens this process's sessions of the variants the policy lets the edge run that fit its memory budget. `config` and `file:` parameters are refused; other parameters are ignored.",
    responses: { 200: json(RepositoryModelRequest.pick({}), 'Loaded'), ...ADMIN_ERRORS, ...errors(400, 404, 503) },
  });
  app.openapi(loadRoute, async (c) => {
    const model = modelOf(c);
    refuseOverrides((await optionalBody(c, RepositoryModelRequest, 'load request')).parameters);
    await c.get('plane').load(model);
    return c.json({}, 200);
  });
  const unloadRoute = createRoute({
    ...modelDoc,
    path: '/repository/models/{model}/unload',
    summary: 'Unload a model (Triton extension; admin token)',
    description: "Releases this process's sessions of the model; it stays servable (loaded again on demand, or by the origin). Parameters (`unload_dependents`) are ignored: no model depends on another.",
    responses: { 200: json(RepositoryModelRequest.pick({}), 'Unloaded'), ...ADMIN_ERRORS, ...errors(400, 404) },
  });
  app.openapi(unloadRoute, async (c) => {
    const model = modelOf(c);
    await optionalBody(c, RepositoryModelRequest, 'unload request');
    await c.get('plane').unload(model);
    return c.json({}, 200);
  });

  const wrongMethod = (allow: string) => () => {
    throw new MethodNotAllowed(allow);
  };
  for (const path of ['/models/stats', '/models/:model/stats', '/models/:model/versions/:version/stats', '/models/:model/config', '/models/:model/versions/:version/config']) {
    app.on(['POST', 'PUT', 'DELETE', 'PATCH'], path, wrongMethod('GET'));
  }
  for (const path of ['/repository/index', '/repository/models/:model/load', '/repository/models/:model/unload']) app.on(['GET', 'PUT', 'DELETE', 'PATCH'], path, wrongMethod('POST'));
}
