/**
 * Admin routes for ops: the effective policy and where each value came from, the routing decision for a
 * hypothetical request (explain), and Prometheus metrics. HTTP only; the data plane does the work. Each
 * route is declared with `createRoute`, and routes/openapi.ts documents exactly these declarations.
 *
 * The explain answer's schemas document types the core declares (src/dataplane/decide.ts Explanation,
 * src/select RouteDecision, Candidate, NetworkProfile): the policy's is the core's own zod schema; the others
 * are held to the core types at compile time by test/routes/admin-schemas.test-d.ts, so neither can drift.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { InvalidInput } from '../src/errors.js';
import { issuePath } from '../src/lib/zod-message.js';
import type { PolicySource } from '../src/policy-source.js';
import { resolvePolicy } from '../src/config.js';
import { ResolvedPolicySchema } from '../src/config/policy.js';
import { CLIENT_HINT } from '../src/protocol/headers.js';
import { VariantName } from '../src/registry/manifest.js';
import type { V2Env } from './env.js';
import { VariantWatch, variantRoutes } from './admin/variants.js';
import { ADMIN_ERRORS, adminGuarded, errorResponse, jsonResponse } from './responses.js';

/** The explain body; the handler parses with it, so the document and the check cannot disagree. */
export const ExplainRequest = z
  .object({
    model: z.string().min(1).openapi({ example: 'mnist' }),
    slo_ms: z.number().positive().optional().openapi({ description: 'Latency budget (ms); else the model policy', example: 50 }),
    items: z.number().int().positive().optional().openapi({ description: 'Batch size (items per request)', example: 1 }),
    request_bytes: z.number().int().nonnegative().optional().openapi({ description: 'Body size, sent over the client downlink', example: 8000 }),
    variant: z.string().optional().openapi({ description: 'Pinned variant, by name (any of the model\'s)' }),
    strict: z.boolean().optional().openapi({ description: 'As x-slo-strict: 1: refuse (422) what the facts say cannot meet the SLO' }),
    timeout_us: z.number().int().nonnegative().optional().openapi({ description: 'As v2 parameters.timeout: the caller\'s deadline in µs' }),
    hints: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String))
      .optional()
      .openapi({ description: 'Client Hints as they would arrive', example: { [CLIENT_HINT.ect]: '3g', [CLIENT_HINT.saveData]: 'on', [CLIENT_HINT.secChUaMobile]: '?1' } }),
  })
  .strict()
  .openapi('ExplainRequest');

export const Candidate = z
  .object({
    target: z.enum(['edge', 'origin']),
    variant: VariantName,
    fidelity: z.number().openapi({ description: 'Top-1 agreement with fp32 (else cosine); fp32 is 1' }),
    verified: z.boolean().openapi({ description: 'False when the fidelity was measured on random inputs only (policy unverified_fidelity)' }),
    predicted_ms: z.number().openapi({ description: 'Until the answer is back: compute with its tail margin, load, queue and batch wait (origin: round trip and its in-flight wait)' }),
    compute_ms: z.number().openapi({ description: 'The run\'s predicted compute: the learned mean, else the manifest\'s (what Server-Timing `predicted` says)' }),
    manifest_ms: z.number().openapi({ description: 'The same run predicted by the manifest profile x speed factor' }),
    observations: z.number().openapi({ description: 'Runs the learned estimate rests on (0: the manifest prior alone)' }),
    kept: z.boolean(),
    why: z.string(),
  })
  .openapi('Candidate');

export const RouteDecision = z
  .object({
    target: z.enum(['edge', 'origin', 'none']),
    refused: z.boolean().optional().openapi({ description: 'A strict caller (x-slo-strict, parameters.timeout) or refuse_predicted_miss, and the facts say the SLO cannot be met: such a request is answered 422 without running' }),
    variant: VariantName.optional(),
    predicted_ms: z.number(),
    budget_ms: z.number().openapi({ description: 'SLO minus client network time' }),
    network_ms: z.number(),
    meets_slo: z.boolean(),
    reason: z.string().openapi({ description: 'What x-route-reason would say' }),
    candidates: z.array(Candidate),
  })
  .openapi('RouteDecision');

export const NetworkProfile = z
  .object({
    rtt_ms: z.number(),
    downlink_mbps: z.number(),
    save_data: z.boolean(),
    mobile: z.boolean(),
    device_memory_gb: z.number().optional(),
    from_hints: z.array(z.string()),
  })
  .openapi('NetworkProfile');

/** The policy resolved for one model (request > model > global), with the source of each value. */
const ResolvedPolicy = ResolvedPolicySchema.openapi('ResolvedPolicy');

export const Explanation = z
  .object({
    model: z.string(),
    policy: ResolvedPolicy,
    network: NetworkProfile,
    items: z.number().int(),
    decision: RouteDecision,
    learning: z
      .object({ enabled: z.boolean(), clock_frozen: z.boolean().openapi({ description: 'Edge runs read a frozen clock (production Workers) and are not learned' }) })
      .openapi({ description: 'Whether predictions are learned in this isolate' }),
    monitor: z.array(VariantWatch).optional().openapi({ description: 'Each variant\'s standing and production fidelity next to its offline figure (GET /admin/variants has the same)' }),
  })
  .openapi('Explanation');

const AdminConfig = z
  .object({
    status: z.record(z.string(), z.unknown()).openapi({ description: 'Where the policy was last read from, when, and the last error' }),
    config: z.record(z.string(), z.unknown()).openapi({ description: 'The effective gateway configuration' }),
    sources: z.record(z.string(), z.enum(['kv', 'deployment', 'default'])),
    models: z.record(z.string(), ResolvedPolicy).openapi({ description: 'The resolved policy of every model' }),
  })
  .openapi('AdminConfig');

/** GET /admin/config. */
export const configRoute = createRoute({
  ...adminGuarded,
  method: 'get',
  path: '/config',
  summary: 'Effective policy and where each value came from',
  responses: { 200: jsonResponse(AdminConfig, 'The policy'), ...ADMIN_ERRORS },
});

/** POST /admin/explain. */
export const explainRoute = createRoute({
  ...adminGuarded,
  method: 'post',
  path: '/explain',
  summary: 'Routing decision for a hypothetical request',
  description: 'Nothing is run: returns the budget, network time and every candidate with its prediction and why it was kept or dropped.',
  request: { body: { required: true, content: { 'application/json': { schema: ExplainRequest } } } },
  responses: { 200: jsonResponse(Explanation, 'The decision'), 400: errorResponse('Malformed body or bad value (SLO, variant)'), 404: errorResponse('Unknown model'), ...ADMIN_ERRORS },
});

/** GET /metrics (mounted at the root, next to /v2, as Prometheus scrapers expect). */
export const metricsRoute = createRoute({
  ...adminGuarded,
  method: 'get',
  path: '/metrics',
  summary: 'Prometheus metrics of this isolate',
  responses: { 200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: z.string() } } }, ...ADMIN_ERRORS },
});

/** The admin route table, mounted at /admin. */
export function adminRoutes(policy: PolicySource): OpenAPIHono<V2Env> {
  const app = new OpenAPIHono<V2Env>();

  app.openapi(configRoute, (c) => {
    const plane = c.get('plane');
    const { config, sources, status } = policy.describe();
    const models = Object.fromEntries(plane.registry.list().map((m) => [m.name, resolvePolicy(config, m.name)]));
    return c.json({ status, config, sources, models }, 200);
  });

  // Not app.openapi(explainRoute): zod-openapi's body validator would answer 415 to JSON sent without a JSON
  // content type (curl -d) and word its own 400s. The handler parses with the same schema and names the field.
  app.post(explainRoute.path, async (c) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch (e) {
      throw new InvalidInput(`malformed JSON body: ${(e as Error).message}`);
    }
    const parsed = ExplainRequest.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidInput(`invalid explain request at '${issuePath(issue)}': ${issue.message}`);
    }
    const plane = c.get('plane');
    const { model, ...query } = parsed.data;
    return c.json(await plane.explain(plane.registry.get(model), query));
  });

  app.route('/', variantRoutes(policy));
  return app;
}

/** The metrics route table, mounted at the root. */
export function metricsRoutes(): OpenAPIHono<V2Env> {
  const app = new OpenAPIHono<V2Env>();
  app.openapi(metricsRoute, (c) => c.text(c.get('plane').metrics.render(), 200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }));
  return app;
}
