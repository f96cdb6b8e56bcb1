/**
 * The API description: an OpenAPI 3.1 document generated from the v2 route table's zod schemas (routes/v2.ts)
 * plus the ops surfaces (admin, metrics, dashboard, these docs), served at /openapi.json, and a
 * server-rendered API reference at /docs built from that same document.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { ApiReference } from './dashboard/api-reference.js';
import type { V2Env } from './env.js';
import { v2Routes } from './v2.js';
import { ErrorBody } from './v2/schemas.js';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json(ErrorBody, description);
const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });
const ADMIN_ERRORS = { 401: error('The admin token is configured and none was sent'), 403: error('Wrong admin token') };

const VariantName = z.enum(['fp32', 'fp16', 'int8']);

const ExplainRequest = z
  .object({
    model: z.string().min(1).openapi({ example: 'mnist' }),
    slo_ms: z.number().positive().optional().openapi({ description: 'Latency budget (ms); else the model policy', example: 50 }),
    items: z.number().int().positive().optional().openapi({ description: 'Batch size (items per request)', example: 1 }),
    request_bytes: z.number().int().nonnegative().optional().openapi({ description: 'Body size, sent over the client downlink', example: 8000 }),
    variant: z.string().optional().openapi({ description: 'Pinned variant (fp32, fp16, int8)' }),
    hints: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
      .optional()
      .openapi({ description: 'Client Hints as they would arrive', example: { ECT: '3g', 'Save-Data': 'on', 'Sec-CH-UA-Mobile': '?1' } }),
  })
  .openapi('ExplainRequest');

const Candidate = z
  .object({
    target: z.enum(['edge', 'origin']),
    variant: VariantName,
    fidelity: z.number().openapi({ description: 'Top-1 agreement with fp32 (else cosine); fp32 is 1' }),
    predicted_ms: z.number(),
    kept: z.boolean(),
    why: z.string(),
  })
  .openapi('Candidate');

const RouteDecision = z
  .object({
    target: z.enum(['edge', 'origin', 'none']),
    variant: VariantName.optional(),
    predicted_ms: z.number(),
    budget_ms: z.number().openapi({ description: 'SLO minus client network time' }),
    network_ms: z.number(),
    meets_slo: z.boolean(),
    reason: z.string().openapi({ description: 'What x-route-reason would say' }),
    candidates: z.array(Candidate),
  })
  .openapi('RouteDecision');

const NetworkProfile = z
  .object({
    rtt_ms: z.number(),
    downlink_mbps: z.number(),
    save_data: z.boolean(),
    mobile: z.boolean(),
    device_memory_gb: z.number().optional(),
    from_hints: z.array(z.string()),
  })
  .openapi('NetworkProfile');

const Explanation = z
  .object({
    model: z.string(),
    policy: z.record(z.string(), z.unknown()).openapi({ description: 'The resolved policy (slo_ms, variants, accuracy_floor, ...) with the source of each value' }),
    network: NetworkProfile,
    items: z.number().int(),
    decision: RouteDecision,
  })
  .openapi('Explanation');

const AdminConfig = z
  .object({
    status: z.record(z.string(), z.unknown()).openapi({ description: 'Where the policy was last read from, when, and the last error' }),
    config: z.record(z.string(), z.unknown()).openapi({ description: 'The effective gateway configuration' }),
    sources: z.record(z.string(), z.enum(['kv', 'deployment', 'default'])),
    models: z.record(z.string(), z.record(z.string(), z.unknown())).openapi({ description: 'The resolved policy of every model' }),
  })
  .openapi('AdminConfig');

const WhatIfQuery = z.object(
  Object.fromEntries(
    (
      [
        ['model', 'Model to explain; without it the dashboard shows no decision'],
        ['slo_ms', 'SLO (ms)'],
        ['items', 'Items per request'],
        ['request_bytes', 'Request body bytes'],
        ['rtt', 'RTT hint (ms)'],
        ['ect', 'ECT hint: slow-2g, 2g, 3g, 4g'],
        ['downlink', 'Downlink hint (Mbit/s)'],
        ['save_data', '"on" for Save-Data'],
        ['device_memory', 'Device-Memory hint (GiB)'],
        ['mobile', 'Any value: Sec-CH-UA-Mobile ?1'],
        ['variant', 'Pinned variant'],
      ] as const
    ).map(([name, description]) => [name, z.string().optional().openapi({ param: { name, in: 'query' }, description })]),
  ),
);

/** Builds the whole document; v2 paths come from the route table itself, mounted under /v2. */
export function openApiDocument() {
  const doc = new OpenAPIHono<V2Env>();
  doc.route('/v2', v2Routes());
  const r = doc.openAPIRegistry;
  r.registerComponent('securitySchemes', 'adminToken', { type: 'http', scheme: 'bearer', description: 'Admin token, when `auth.admin_token_sha256` is configured' });
  const admin = { tags: ['admin'], security: [{ adminToken: [] }] };
  r.registerPath({ ...admin, method: 'get', path: '/admin/config', summary: 'Effective policy and where each value came from', responses: { 200: json(AdminConfig, 'The policy'), ...ADMIN_ERRORS } });
  r.registerPath({
    ...admin,
    method: 'post',
    path: '/admin/explain',
    summary: 'Routing decision for a hypothetical request',
    description: 'Nothing is run: returns the budget, network time and every candidate with its prediction and why it was kept or dropped.',
    request: { body: { required: true, content: { 'application/json': { schema: ExplainRequest } } } },
    responses: { 200: json(Explanation, 'The decision'), 400: error('Malformed body or bad value (SLO, variant)'), 404: error('Unknown model'), ...ADMIN_ERRORS },
  });
  r.registerPath({
    ...admin,
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of this isolate',
    responses: { 200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: z.string() } } }, ...ADMIN_ERRORS },
  });
  r.registerPath({
    ...admin,
    method: 'get',
    path: '/dashboard',
    summary: 'Ops dashboard (HTML)',
    description: 'Models, variants, fidelity, latency profiles, live counters, origin status, and a what-if form whose query string is explained.',
    request: { query: WhatIfQuery },
    responses: { 200: html('The dashboard'), 400: html('The dashboard with the what-if error'), 404: html('The dashboard: unknown model in the what-if'), ...ADMIN_ERRORS },
  });
  const docs = { tags: ['docs'] };
  r.registerPath({ ...docs, method: 'get', path: '/openapi.json', summary: 'This OpenAPI 3.1 document', responses: { 200: json(z.record(z.string(), z.unknown()), 'The document') } });
  r.registerPath({ ...docs, method: 'get', path: '/docs', summary: 'API reference (HTML)', responses: { 200: html('The reference') } });
  return doc.getOpenAPI31Document({
    openapi: '3.1.0',
    info: {
      title: 'Edge inference gateway',
      version: '0.1.0',
      description:
        'Open Inference Protocol v2 (KServe / Triton REST) at the edge, with SLO-aware routing between compressed model variants (fp32, fp16, int8) on onnxruntime-web and a cloud origin. Every error is JSON `{"error": "..."}`.',
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
  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/docs', (c) => c.html(ApiReference({ doc: document() })));
  return app;
}
