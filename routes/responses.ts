/**
 * The pieces route tables declare their answers with, for `createRoute`: JSON, HTML and text bodies, and
 * the admin token's security requirement with the 401/403 adminAuth answers. One wording for the
 * ops tables (admin, metrics, dashboard) and the docs, so the OpenAPI document reads the same throughout.
 */
import { z } from '@hono/zod-openapi';
import { ErrorBody } from './v2/schemas.js';

/** A JSON response of `schema`. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });

/** A `{"error": "..."}` response: every error the gateway gives has this body. */
export const errorResponse = (description: string) => jsonResponse(ErrorBody, description);

/** A server-rendered HTML page. */
export const htmlResponse = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } });

/** The name of the admin token's security scheme in the document (routes/openapi.ts registers it). */
export const ADMIN_TOKEN_SCHEME = 'adminToken';

/** Spread into an ops route: tagged admin, guarded by the admin token (routes/middleware/auth.ts adminAuth). */
export const adminGuarded = { tags: ['admin'], security: [{ [ADMIN_TOKEN_SCHEME]: [] }] };

/** Spread into an ops route's responses: what adminAuth answers when a token is configured. */
export const ADMIN_ERRORS = { 401: errorResponse('The admin token is configured and none was sent'), 403: errorResponse('Wrong admin token') };
