/**
 * The schemas of the device routes (routes/v2/device.ts): the plan's body, its query parameters (documented,
 * checked by src/select/device-params.ts with its own 400s), the artifact path parameters and answers.
 */
import { z } from '@hono/zod-openapi';
import { VariantName } from '../../src/registry/manifest.js';
import { ErrorBody, ModelParams, VersionedParams } from './schemas.js';

const ms = z.number().nullable();

const DeviceCandidate = z
  .object({
    variant: VariantName,
    fidelity: z.number(),
    bytes: z.number().int(),
    cached: z.boolean(),
    download_ms: z.number().openapi({ description: 'Round trip + bytes over the downlink; 0 when cached' }),
    run_ms: z.number().openapi({ description: 'Session creation + one run on the device' }),
    per_call_ms: z.number().openapi({ description: 'One run alone: what each later call costs' }),
    device_ms: z.number().openapi({ description: 'download + run: the first call' }),
    runnable: z.boolean().openapi({ description: 'The device may run it (policy, download budget, memory, a file to download), SLO aside' }),
    kept: z.boolean(),
    why: z.string(),
  })
  .openapi('DeviceCandidate');

export const DevicePlanBody = z
  .object({
    model: z.string(),
    version: z.string(),
    target: z.enum(['device', 'edge']),
    variant: VariantName.nullable().openapi({ description: 'The device variant (target device), else the variant the gateway would pick at the edge, or null when it would use the origin' }),
    artifact: z
      .object({ url: z.string().openapi({ description: 'Versioned artifact path on this gateway (immutable)' }), bytes: z.number().int(), sha256: z.string() })
      .nullable()
      .openapi({ description: 'The file to download and verify; null when target is edge' }),
    expected_ms: z.object({
      device: ms.openapi({ description: 'download + run on the device (the best device variant when target is edge); null when no variant may run on a device' }),
      download: ms,
      device_run: ms.openapi({ description: 'Session creation + one run on the device' }),
      edge: ms.openapi({ description: "Network + gateway + edge or origin compute: the gateway's own prediction" }),
    }),
    reason: z.string().openapi({ description: 'Why device or edge, with the numbers' }),
    slo_ms: z.number(),
    hints: z.object({
      rtt_ms: z.number(),
      downlink_mbps: z.number(),
      save_data: z.boolean(),
      mobile: z.boolean(),
      device_memory_gb: z.number().nullable(),
      from_hints: z.array(z.string()).openapi({ description: 'Client Hints that were read' }),
      from_query: z.array(z.string()).openapi({ description: 'Query parameters that overrode them' }),
      download_budget_bytes: z.number().int(),
      device_speed_factor: z.number(),
    }),
    edge: z.object({ target: z.enum(['edge', 'origin', 'none']), variant: VariantName.nullable() }).openapi({ description: 'What the gateway itself would do for this client' }),
    candidates: z.array(DeviceCandidate),
  })
  .openapi('DevicePlan');

/** The plan's query parameters: each replaces a Client Hint (or the SLO, or says what the client holds). */
export const DEVICE_QUERY = [
  { name: 'device_memory', description: 'Device memory in GB (replaces Device-Memory)', example: '2' },
  { name: 'ect', description: 'Effective connection type: slow-2g, 2g, 3g, 4g (replaces ECT)', example: '3g' },
  { name: 'downlink', description: 'Downlink in Mbit/s (replaces Downlink)' },
  { name: 'rtt', description: 'Round trip in ms (replaces RTT)' },
  { name: 'save_data', description: 'on, 1 or true (off, 0, false) (replaces Save-Data)' },
  { name: 'mobile', description: '?1, 1 or true (?0, 0, false) (replaces Sec-CH-UA-Mobile)' },
  { name: 'slo_ms', description: "Latency budget in ms; default: the model's policy SLO", example: '2000' },
  { name: 'cached', description: 'Comma-separated variants the client already holds (no download)', example: 'int8' },
].map(({ name, description, example }) => ({ in: 'query' as const, name, required: false, description, schema: { type: 'string' as const, ...(example ? { example } : {}) } }));

const TEXT = {
  400: 'A query parameter is malformed (the error names it)',
  401: 'API keys are configured and none was sent',
  403: 'Unknown API key, or the device policy refuses it: download forbidden, a variant device.variants does not list, a file over device.max_download_bytes',
  404: 'Unknown model, version or variant; or a variant served only at the origin',
  416: 'Range not satisfiable (Content-Range: bytes */<size>)',
} as const;

/** Documented error answers of the device routes, each `{"error": "..."}`. */
export function deviceErrors<C extends keyof typeof TEXT>(...codes: C[]): Record<C, { description: string; content: { 'application/json': { schema: typeof ErrorBody } } }> {
  return Object.fromEntries(codes.map((code) => [code, { description: TEXT[code], content: { 'application/json': { schema: ErrorBody } } }])) as never;
}

const variantParam = { variant: z.string().openapi({ param: { name: 'variant', in: 'path' }, example: 'int8' }) };
export const ArtifactParams = ModelParams.extend(variantParam);
export const VersionedArtifactParams = VersionedParams.extend(variantParam);

const file = { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } };
const header = (description: string) => ({ schema: { type: 'string' as const }, description });

/** The artifact's answers. */
export function artifactResponses() {
  const headers = { ETag: header('"<sha256 hex>" (strong)'), 'Cache-Control': header('immutable (versioned URL) or no-cache (latest); private when inference needs an API key'), Vary: header('Authorization, x-api-key when inference needs an API key'), 'Content-Length': header('Bytes sent'), 'Accept-Ranges': header('bytes') };
  return {
    200: { description: 'The whole file', content: file, headers },
    206: { description: 'One range of the file', content: file, headers: { ...headers, 'Content-Range': header('bytes a-b/size') } },
    304: { description: 'If-None-Match matched: the client has it' },
    ...deviceErrors(401, 403, 404, 416),
  };
}
