/**
 * The Hono environment every route table shares: the data plane and the request id, set by the app's
 * middleware (routes/app.ts) before any route runs.
 */
import type { DataPlane, InferOutcome } from '../src/dataplane.js';

export interface V2Env {
  /** `outcome`: set by the inference route for the request log line (routes/request-log.ts); `caller`: the request's caller id (routes/middleware/auth.ts), on the routes that authenticate callers. */
  Variables: { plane: DataPlane; requestId: string; outcome?: InferOutcome | undefined; caller?: string | undefined };
}
