/**
 * The Hono environment every route table shares: the data plane and the request id, set by the app's
 * middleware (routes/app.ts) before any route runs.
 */
import type { DataPlane, InferOutcome } from '../src/dataplane.js';

export interface V2Env {
  Variables: {
    plane: DataPlane;
    requestId: string;
    /** When the request arrived (performance.now()), where answers report Server-Timing `total` (the origin). */
    arrivedAt?: number | undefined;
    /** Set by the inference route for the request log line (routes/request-log.ts). */
    outcome?: InferOutcome | undefined;
    /** The request's caller id (routes/middleware/auth.ts), on the routes that authenticate callers. */
    caller?: string | undefined;
    /** Set by the API-key guard: this route needs a key, so its answers are the keyholder's, not the public's. */
    keyRequired?: boolean;
  };
}
