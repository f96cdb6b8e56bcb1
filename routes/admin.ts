/**
 * Admin routes for ops: the effective policy and where each value came from, the routing decision for a
 * hypothetical request (explain), and Prometheus metrics. HTTP only; the data plane does the work.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { InvalidInput } from '../src/errors.js';
import type { PolicySource } from '../src/policy-source.js';
import { resolvePolicy } from '../src/config.js';
import type { V2Env } from './env.js';

const ExplainBody = z
  .object({
    model: z.string().min(1),
    slo_ms: z.number().positive().optional(),
    items: z.number().int().positive().optional(),
    request_bytes: z.number().int().nonnegative().optional(),
    variant: z.string().optional(),
    hints: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String)).optional(),
  })
  .strict();

export function adminRoutes(policy: PolicySource): Hono<V2Env> {
  const app = new Hono<V2Env>();

  app.get('/config', (c) => {
    const plane = c.get('plane');
    const { config, sources, status } = policy.describe();
    const models = Object.fromEntries(plane.registry.list().map((m) => [m.name, resolvePolicy(config, m.name)]));
    return c.json({ status, config, sources, models });
  });

  app.post('/explain', async (c) => {
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch (e) {
      throw new InvalidInput(`malformed JSON body: ${(e as Error).message}`);
    }
    const parsed = ExplainBody.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidInput(`invalid explain request at '${issue.path.join('.') || '(root)'}': ${issue.message}`);
    }
    const plane = c.get('plane');
    const { model, ...query } = parsed.data;
    return c.json(await plane.explain(plane.registry.get(model), query));
  });

  return app;
}
