/**
 * The HTTP application: middleware (request id, body limit, client-hint advertisement), the v2 route
 * table, and the single mapping of domain errors to `{"error": "..."}` responses.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { requestId } from 'hono/request-id';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DataPlane } from '../src/dataplane.js';
import { GatewayError } from '../src/errors.js';
import { CLIENT_HINTS } from '../src/select/hints.js';
import type { V2Env } from './v2.js';
import { v2Routes } from './v2.js';

export interface AppOptions {
  plane: DataPlane;
  maxBodyBytes: number;
}

/** Builds the app around one data plane. */
export function createApp({ plane, maxBodyBytes }: AppOptions): Hono<V2Env> {
  const app = new Hono<V2Env>();
  app.use(requestId({ limitLength: 128 }));
  app.use(async function exposeRoutingHeaders(c, next) {
    c.set('plane', plane);
    await next();
    c.header('accept-ch', CLIENT_HINTS.join(', '));
    c.header('vary', CLIENT_HINTS.join(', '), { append: true });
  });
  app.use(
    '/v2/*',
    bodyLimit({
      maxSize: maxBodyBytes,
      onError: (c) => c.json({ error: `request body exceeds the limit of ${maxBodyBytes} bytes` }, 413),
    }),
  );
  app.route('/v2', v2Routes());
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${new URL(c.req.url).pathname}` }, 404));
  app.onError((err, c) => {
    if (err instanceof GatewayError && err.status < 500) return c.json({ error: err.message }, err.status as ContentfulStatusCode, err.headers);
    if (err instanceof GatewayError) {
      console.error(JSON.stringify({ event: 'request_failed', status: err.status, error: err.message, request_id: c.get('requestId') }));
      return c.json({ error: err.message }, err.status as ContentfulStatusCode, err.headers);
    }
    if (err instanceof HTTPException) return c.json({ error: err.message || 'bad request' }, err.status);
    console.error(JSON.stringify({ event: 'internal_error', error: String((err as Error)?.stack ?? err), request_id: c.get('requestId') }));
    return c.json({ error: `internal error (request id ${c.get('requestId')})` }, 500);
  });
  return app;
}
