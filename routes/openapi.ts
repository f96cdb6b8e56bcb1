/**
 * The API description: an OpenAPI 3.1 document assembled from the route tables' own `createRoute`
 * declarations (v2, admin, metrics, dashboard and these docs; no shape is declared here), served at
 * /openapi.json, and a server-rendered API reference at /docs built from that same document.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { RouteConfig } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { mergePath } from 'hono/utils/url';
import { configRoute, explainRoute, metricsRoute } from './admin.js';
import { clearRoute, variantsRoute } from './admin/variants.js';
import { ApiReference } from './dashboard/api-reference.js';
import { dashboardRoute } from './dashboard.js';
import pkg from '../package.json';
import type { V2Env } from './env.js';
import { ADMIN_TOKEN_SCHEME, htmlResponse, jsonResponse } from './responses.js';
import { v2Routes } from './v2.js';

const docs = { tags: ['docs'] };

/** GET /openapi.json. */
export const openApiJsonRoute = createRoute({ ...docs, method: 'get', path: '/openapi.json', summary: 'This OpenAPI 3.1 document', responses: { 200: jsonResponse(z.record(z.string(), z.unknown()), 'The document') } });

/** GET /docs. */
export const docsRoute = createRoute({ ...docs, method: 'get', path: '/docs', summary: 'API reference (HTML)', responses: { 200: htmlResponse('The reference') } });

/** Every documented route table but v2's, by where it is mounted (routes/app.ts and the Worker entry mount them). */
const TABLES: readonly (readonly [mountedAt: string, routes: readonly RouteConfig[]])[] = [
  ['/admin', [configRoute, explainRoute, variantsRoute, clearRoute]],
  ['/', [metricsRoute]],
  ['/dashboard', [dashboardRoute]],
  ['/', [openApiJsonRoute, docsRoute]],
];

/** Builds the whole document: v2 paths from the v2 route table mounted under /v2, the others from their declarations. */
export function openApiDocument() {
  const doc = new OpenAPIHono<V2Env>();
  doc.route('/v2', v2Routes());
  const r = doc.openAPIRegistry;
  r.registerComponent('securitySchemes', ADMIN_TOKEN_SCHEME, { type: 'http', scheme: 'bearer', description: 'Admin token, when `auth.admin_token_sha256` is configured' });
  for (const [mountedAt, routes] of TABLES) for (const route of routes) r.registerPath({ ...route, path: mergePath(mountedAt, route.path) });
  return doc.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Edge inference gateway',
      version: pkg.version,
      description:
        'Open Inference Protocol v2 (KServe / Triton REST) at the edge, with SLO-aware routing between compressed model variants (fp32, fp16, int8, weight-only int8w, and any other a model\'s folder holds) on onnxruntime-web and a cloud origin. Every error is JSON `{"error": "..."}`.',
    },
    tags: [
      { name: 'v2', description: 'Open Inference Protocol v2' },
      { name: 'admin', description: 'Ops: policy, explain, metrics, dashboard' },
      { name: 'docs', description: 'This description' },
    ],
  });
}

export type OpenApiDocument = ReturnType<typeof openApiDocument>;

/** GET /openapi.json and GET /docs; mount at the root. The document is built on first use per isolate. */
export function openApiRoutes(): Hono<V2Env> {
  const app = new Hono<V2Env>();
  let doc: OpenApiDocument | undefined;
  const document = () => (doc ??= openApiDocument());
  app.get(openApiJsonRoute.path, (c) => c.json(document()));
  app.get(docsRoute.path, (c) => c.html(ApiReference({ doc: document() })));
  return app;
}
