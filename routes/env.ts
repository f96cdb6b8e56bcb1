/**
 * The Hono environment every route table shares: the data plane and the request id, set by the app's
 * middleware (routes/app.ts) before any route runs.
 */
import type { DataPlane } from '../src/dataplane.js';
import type { InferenceLog } from './v2/headers.js';

export interface V2Env {
  /** `caller`: the request's caller id (routes/middleware/auth.ts), on the routes that authenticate callers. */
  Variables: { plane: DataPlane; requestId: string; inference?: InferenceLog | undefined; caller?: string | undefined };
}
