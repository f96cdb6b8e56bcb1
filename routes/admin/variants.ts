/**
 * The fidelity monitor's admin routes: every variant's standing with its production fidelity next to the
 * offline figure (GET /admin/variants), and an operator's clear of a demotion or a rollback (POST
 * /admin/variants/{model}/{variant}/clear). A clear acts at once in the isolate that answers and, where the
 * POLICY KV is bound, is recorded there (`models.<m>.monitoring.cleared`) so every isolate and the feedback
 * Tail Worker drop the evidence from before it within the policy's TTL. HTTP only; the data plane does the work.
 */
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ModelNotFound } from '../../src/errors.js';
import type { PolicySource } from '../../src/policy-source.js';
import { STATES } from '../../src/monitor/standing.js';
import { VariantName } from '../../src/registry/manifest.js';
import type { V2Env } from '../env.js';
import { ADMIN_ERRORS, adminGuarded, errorResponse, jsonResponse } from '../responses.js';

export const FidelityVerdict = z
  .object({
    n: z.number().openapi({ description: 'Production samples the verdict rests on (the fewest over the outputs)' }),
    score: z.number().openapi({ description: 'The worst output\'s production score (agreement, cosine, 1 − relative error, 1 − drift); 0 without samples' }),
    lower: z.number().openapi({ description: 'One-sided lower bound at the configured confidence' }),
    upper: z.number().openapi({ description: 'One-sided upper bound at the configured confidence' }),
    status: z.enum(['below', 'above', 'unsure']).openapi({ description: 'Surely below the floor, surely at or above it, or not sure (too few samples, or the floor inside the interval)' }),
    output: z.string().optional(),
    metric: z.enum(['agreement', 'cosine', 'rel_err', 'drift']).optional(),
    floor: z.number(),
    text: z.string().openapi({ example: 'production agreement 0.81 (n=412, upper 0.84) < floor 0.95' }),
  })
  .openapi('FidelityVerdict');

export const VariantWatch = z
  .object({
    variant: VariantName,
    state: z.enum(STATES).openapi({ description: 'active, demoted (held out), canary (its share only), promoted, rolled_back (held out)' }),
    since: z.string().openapi({ description: 'When it took this standing: the evidence of the verdicts starts there' }),
    reason: z.string(),
    offline: z.number().openapi({ description: 'The fidelity the compressor measured (what the router ranks by)' }),
    floor: z.number(),
    isolate: FidelityVerdict.openapi({ description: 'This isolate\'s evidence since `since`' }),
    fleet: FidelityVerdict.optional().openapi({ description: 'The fleet\'s published evidence (the feedback Tail Worker\'s buckets since `since`)' }),
  })
  .openapi('VariantWatch');

const WatchEvent = z.object({ model: z.string(), variant: VariantName, from: z.enum(STATES), to: z.enum(STATES), reason: z.string(), at: z.number() }).openapi('WatchEvent');

const VariantsAnswer = z.object({ models: z.record(z.string(), z.array(VariantWatch)), events: z.array(WatchEvent) }).openapi('Variants');

const ClearAnswer = z
  .object({ model: z.string(), variant: VariantName, standing: VariantWatch, fleet: z.enum(['recorded', 'this isolate only']).openapi({ description: 'Whether the clear was recorded in the POLICY KV for every isolate' }) })
  .openapi('VariantCleared');

const Params = z.object({ model: z.string().openapi({ param: { name: 'model', in: 'path' }, example: 'mnist' }), variant: z.string().openapi({ param: { name: 'variant', in: 'path' }, example: 'int8' }) });

/** GET /admin/variants. */
export const variantsRoute = createRoute({
  ...adminGuarded,
  method: 'get',
  path: '/variants',
  summary: 'Production fidelity and standing of every variant',
  description: 'Each variant\'s standing (active, demoted, canary, promoted, rolled_back) and why, its production fidelity in this isolate and across the fleet with confidence bounds, next to its offline figure; and the last changes of standing.',
  request: { query: z.object({ model: z.string().optional().openapi({ description: 'One model only' }) }) },
  responses: { 200: jsonResponse(VariantsAnswer, 'The variants'), 404: errorResponse('Unknown model'), ...ADMIN_ERRORS },
});

/** POST /admin/variants/{model}/{variant}/clear. */
export const clearRoute = createRoute({
  ...adminGuarded,
  method: 'post',
  path: '/variants/{model}/{variant}/clear',
  summary: 'Clear a demotion or a rollback',
  description: 'A demoted variant is re-admitted, a rolled-back canary is a canary again; its evidence starts afresh from now. Recorded in the POLICY KV (models.<m>.monitoring.cleared) for every isolate when it is bound.',
  request: { params: Params },
  responses: { 200: jsonResponse(ClearAnswer, 'The variant as it now stands'), 400: errorResponse('Unknown variant'), 404: errorResponse('Unknown model, or no monitor'), ...ADMIN_ERRORS },
});

/** The variants' route table, mounted under /admin. */
export function variantRoutes(policy: PolicySource): OpenAPIHono<V2Env> {
  const app = new OpenAPIHono<V2Env>();

  app.get(variantsRoute.path, async (c) => {
    const plane = c.get('plane');
    const view = await plane.watching();
    if (!view) throw new ModelNotFound('(this gateway has no fidelity monitor)');
    const name = c.req.query('model');
    const models = name ? [plane.registry.get(name)] : plane.registry.list();
    return c.json({ models: Object.fromEntries(models.map((m) => [m.name, view.report(m)])), events: view.events() }, 200);
  });

  app.post('/variants/:model/:variant/clear', async (c) => {
    const plane = c.get('plane');
    const model = plane.registry.get(c.req.param('model'));
    const view = await plane.watching();
    if (!view) throw new ModelNotFound('(this gateway has no fidelity monitor)');
    const variant = c.req.param('variant');
    const standing = view.clear(model, variant);
    const recorded = await policy.recordClear(model.name, variant, new Date().toISOString());
    console.log(JSON.stringify({ event: 'variant_cleared', model: model.name, variant, state: standing.state, fleet: recorded }));
    return c.json({ model: model.name, variant, standing, fleet: recorded ? ('recorded' as const) : ('this isolate only' as const) }, 200);
  });

  return app;
}
