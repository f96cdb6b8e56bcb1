/**
 * The HTTP application: middleware (request id, the data plane, CORS, structured request log, auth and
 * rate limits, HTTP compression of inference bodies, body limit, client-hint advertisement), the v2, admin
 * and metrics routes, and the single mapping of domain errors to `{"error": "..."}` responses.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DataPlane } from '../src/dataplane.js';
import { GatewayError } from '../src/errors.js';
import { CLIENT_HINTS, errorHeaders, EXPOSED_HEADERS, RESPONSE_HEADER } from '../src/protocol/headers.js';
import type { PolicySource } from '../src/policy-source.js';
import { adminRoutes, metricsRoutes } from './admin.js';
import type { Context } from 'hono';
import type { AuthBindings } from './middleware/auth.js';
import { adminAuth, apiKeyAuth, connectingIp } from './middleware/auth.js';
import { FailedAuthLimit } from './middleware/failed-auth.js';
import { compression } from './middleware/compression.js';
import { requestLogLine } from './request-log.js';
import type { V2Env } from './env.js';
import { v2Routes } from './v2.js';

export interface AppOptions {
  plane: DataPlane;
  /** Admin surfaces open when no admin token is configured (local development only); default closed. */
  adminOpen?: boolean;
  /** What closed admin surfaces answer (403) when no admin token is configured; default: how to set one. */
  adminClosedReason?: string;
  maxBodyBytes: number;
  /** The hot-reloadable policy the plane reads, for the admin routes that show it; absent at the origin. */
  policy?: PolicySource | undefined;
  bindings?: AuthBindings;
  /** The caller's address, for per-address limits: default Cloudflare's `cf-connecting-ip`. */
  clientAddress?: (c: Context<V2Env>) => string;
  /**
   * Compress answers by the request's Accept-Encoding (the origin on Node). Off in a Worker, which only ever
   * sees the platform's Accept-Encoding (routes/middleware/compression.ts); Cloudflare's edge compresses there.
   */
  compressAnswers?: boolean;
  /**
   * Add `total` to an answer's Server-Timing: the server's time from the request's arrival to its answer,
   * parsing included, so a caller of the origin can tell the origin's time from the network's. Off in the
   * Worker, whose clock stands still during CPU work in production (a `total` there would count I/O only).
   */
  serverTimingTotal?: boolean;
  /** Extra route tables mounted by the composition root (dashboard, API docs). */
  mount?: (app: Hono<V2Env>) => void;
}

const HINTS = CLIENT_HINTS.join(', ');

/** Builds the app around one data plane. */
export function createApp({ plane, maxBodyBytes, policy, bindings = {}, mount, adminOpen = false, adminClosedReason, compressAnswers = false, clientAddress = connectingIp, serverTimingTotal = false }: AppOptions): Hono<V2Env> {
  const app = new Hono<V2Env>();
  app.use(requestId({ limitLength: 128 }));
  app.use(async function attachPlane(c, next) {
    c.set('plane', plane);
    if (serverTimingTotal) c.set('arrivedAt', performance.now());
    await next();
  });
  app.use(async function logRequest(c, next) {
    const t0 = Date.now();
    await next();
    const status = c.res.status;
    // Sampled: answered model requests only (errors are always logged, so are admin and metrics calls).
    const rate = plane.config.logging.request_sample_rate;
    const outcome = c.get('outcome');
    const logged = rate >= 1 || status >= 400 || !outcome || Math.random() < rate;
    if (!logged && !bindings.analytics) return;
    // The feedback Tail Worker (tail/) pairs this line with the invocation's CPU time.
    const entry = requestLogLine({ requestId: c.get('requestId'), method: c.req.method, path: c.req.path, status, ms: Date.now() - t0, caller: c.get('caller') }, outcome);
    if (logged) console.log(JSON.stringify(entry));
    if (bindings.analytics && entry.model) {
      // One data point per model request: index by model; blobs and doubles in a fixed order (README).
      bindings.analytics.writeDataPoint({
        indexes: [entry.model.slice(0, 96)],
        blobs: [entry.variant ?? '', entry.target ?? '', String(entry.status), (entry.reason ?? '').slice(0, 200)],
        doubles: [entry.ms, entry.status],
      });
    }
  });
  app.use('*', async function corsFromConfig(c, next) {
    const origins = plane.config.auth.cors_origins;
    if (origins.length === 0) return next();
    return cors({ origin: origins.includes('*') ? '*' : origins, exposeHeaders: [...EXPOSED_HEADERS] })(c, next);
  });
  app.use(async function exposeRoutingHeaders(c, next) {
    // Set before the answer exists, so they are written when the Response is built (errors included);
    // after next() each would copy the finished Response's headers.
    c.header(RESPONSE_HEADER.acceptCh, HINTS);
    c.header('vary', HINTS, { append: true });
    await next();
  });
  // One count of wrong credentials per address for both guards: a guesser of API keys and of the admin token alike.
  const caller = { failures: new FailedAuthLimit({ rateLimiter: bindings.rateLimiter }), clientAddress };
  const inferAuth = apiKeyAuth(bindings, caller);
  // Decoded after auth (nobody unknown gets to make the server inflate) and before the body limit, which
  // then measures the decoded body.
  const coding = compression({ maxBodyBytes, compressAnswers });
  for (const path of ['/v2/models/:model/infer', '/v2/models/:model/versions/:version/infer']) app.post(path, inferAuth, coding);
  // The device tier hands out what inference serves (a plan, the model files): the same key guards it.
  for (const path of ['/v2/models/:model/device', '/v2/models/:model/versions/:version/device', '/v2/models/:model/variants/:variant/artifact', '/v2/models/:model/versions/:version/variants/:variant/artifact']) {
    app.on(['GET', 'HEAD'], path, inferAuth);
  }
  const admin = adminAuth({ openWithoutToken: adminOpen, ...(adminClosedReason ? { closedReason: adminClosedReason } : {}), ...caller });
  app.use('/admin/*', admin);
  // /admin/config describes the policy source itself: read it first (KV, within its TTL), as the plane does
  // at the start of each of its verbs, so the view is as fresh as the next decision.
  if (policy) {
    app.use('/admin/*', async function readPolicy(_c, next) {
      await policy.get();
      await next();
    });
  }
  // Triton's load and unload change what this process holds in memory: an operator's call.
  app.post('/v2/repository/models/:model/load', admin);
  app.post('/v2/repository/models/:model/unload', admin);
  app.use('/metrics', admin);
  app.use('/dashboard/*', admin);
  app.use(
    '*',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => c.json({ error: `request body exceeds the limit of ${maxBodyBytes} bytes` }, 413),
    }),
  );
  app.route('/v2', v2Routes());
  if (policy) app.route('/admin', adminRoutes(policy));
  app.route('/', metricsRoutes());
  mount?.(app);
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError((err, c) => {
    if (err instanceof GatewayError && err.status < 500) return c.json({ error: err.message }, err.status as ContentfulStatusCode, errorHeaders(err));
    if (err instanceof GatewayError) {
      console.error(JSON.stringify({ event: 'request_failed', status: err.status, error: err.message, request_id: c.get('requestId') }));
      return c.json({ error: err.message }, err.status as ContentfulStatusCode, errorHeaders(err));
    }
    if (err instanceof HTTPException) return c.json({ error: err.message || 'bad request' }, err.status);
    console.error(JSON.stringify({ event: 'internal_error', error: String((err as Error)?.stack ?? err), request_id: c.get('requestId') }));
    return c.json({ error: `internal error (request id ${c.get('requestId')})` }, 500);
  });
  return app;
}
