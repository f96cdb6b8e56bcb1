/**
 * The Hono environment every route table shares: the data plane and the request id, set by the app's
 * middleware (routes/app.ts) before any route runs.
 */
import type { DataPlane } from '../src/dataplane.js';
import type { InferenceLog } from './v2/headers.js';

export interface V2Env {
  Variables: {
    plane: DataPlane;
    requestId: string;
    inference?: InferenceLog | undefined;
    /** Set by the API-key guard: this route needs a key, so its answers are the keyholder's, not the public's. */
    keyRequired?: boolean;
  };
}
