/**
 * The device tier's routes (v2 extension, issue 13): the device plan (`GET …/device`: where this client
 * should run the model, from its Client Hints and query) and the variant artifacts (`GET …/variants/{variant}
 * /artifact`: the file, with a strong ETag from its sha256, conditional and range requests). HTTP only: the
 * data plane decides and finds the bytes (src/dataplane/device.ts); routes/middleware/auth.ts guards both
 * with the inference API key (routes/app.ts).
 */
import { createRoute } from '@hono/zod-openapi';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Artifact, DevicePlan } from '../../src/dataplane.js';
import type { ModelManifest } from '../../src/registry/manifest.js';
import { deviceQuery } from '../../src/select/device-params.js';
import { CLIENT_HINTS } from '../../src/protocol/headers.js';
import { clientHintsOf } from '../../src/select/hints.js';
import type { V2Env } from '../env.js';
import { byteRange, noneMatch } from './conditional.js';
import { ArtifactParams, artifactResponses, DEVICE_QUERY, deviceErrors, DevicePlanBody, VersionedArtifactParams } from './device-schemas.js';
import { json, ModelParams, VersionedParams } from './schemas.js';

/** The versioned URL of a variant's file on this gateway: immutable, so cached for a year. */
export function artifactPath(model: ModelManifest, variant: string): string {
  return `/v2/models/${encodeURIComponent(model.name)}/versions/${encodeURIComponent(model.version)}/variants/${variant}/artifact`;
}

/** The plan as the client reads it (the contract of issue 13; fields may be added, never renamed). */
export function planBody(model: ModelManifest, plan: DevicePlan) {
  const d = plan.decision;
  const onDevice = d.target === 'device' && d.variant !== undefined;
  const v = onDevice ? model.variants[d.variant!]! : undefined;
  return {
    model: model.name,
    version: model.version,
    target: d.target,
    variant: onDevice ? d.variant! : (d.edge_variant ?? null),
    artifact: v ? { url: artifactPath(model, d.variant!), bytes: v.bytes, sha256: v.sha256 } : null,
    expected_ms: d.expected,
    reason: d.reason,
    slo_ms: plan.slo_ms,
    hints: {
      rtt_ms: plan.network.rtt_ms,
      downlink_mbps: plan.network.downlink_mbps,
      save_data: plan.network.save_data,
      mobile: plan.network.mobile,
      device_memory_gb: plan.network.device_memory_gb ?? null,
      from_hints: plan.network.from_hints,
      from_query: plan.network.from_query,
      download_budget_bytes: d.download_budget_bytes,
      device_speed_factor: d.speed_factor,
    },
    edge: { target: d.edge_target, variant: d.edge_variant ?? null },
    candidates: d.candidates,
  };
}

const IMMUTABLE = 'public, max-age=31536000, immutable';
/** A key-protected file: the browser may keep it, a shared cache must not hand it to the next caller unasked. */
const PRIVATE_IMMUTABLE = 'private, max-age=31536000, immutable';
const HINTS = new Set<string>(CLIENT_HINTS.map((h) => h.toLowerCase()));

/** The artifact's Cache-Control: public only when inference needs no key (a shared cache would skip the key check). */
export function artifactCacheControl(versioned: boolean, keyRequired: boolean): string {
  if (versioned) return keyRequired ? PRIVATE_IMMUTABLE : IMMUTABLE;
  return keyRequired ? 'private, no-cache' : 'no-cache';
}

/** The artifact answer: 304 on a matching If-None-Match, 206 for one range, else 200; HEAD without the body. */
async function artifactResponse(c: Context<V2Env, string, object>, artifact: Artifact, versioned: boolean): Promise<Response> {
  const etag = `"${artifact.sha256}"`;
  const keyRequired = c.get('keyRequired') === true;
  // The file does not depend on the client's hints: drop them from Vary (keeping e.g. CORS's Origin), so shared
  // caches keep one copy. Behind a key it depends on the credential: say so, for any cache that ignores private.
  const vary = (c.res.headers.get('vary') ?? '').split(',').map((h) => h.trim()).filter((h) => h && !HINTS.has(h.toLowerCase()));
  if (keyRequired) vary.push('Authorization', 'x-api-key');
  c.header('vary', vary.length ? vary.join(', ') : undefined);
  const headers: Record<string, string> = { etag, 'cache-control': artifactCacheControl(versioned, keyRequired), 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
  if (noneMatch(c.req.header('if-none-match'), etag)) return c.body(null, 304, headers);
  const range = byteRange(c.req.header('range'), artifact.bytes, c.req.header('if-range'), etag);
  const status = range ? 206 : 200;
  headers['content-length'] = String(range ? range.length : artifact.bytes);
  if (range) headers['content-range'] = `bytes ${range.offset}-${range.offset + range.length - 1}/${artifact.bytes}`;
  if (c.req.method === 'HEAD') return c.body(null, status, headers);
  return c.body(await artifact.open(range), status, headers);
}

/** The model of a route (and its version, when the path names one); 404 when unknown. */
function modelOf(c: Context<V2Env, string, object>): ModelManifest {
  return c.get('plane').registry.get(c.req.param('model') ?? '', c.req.param('version'));
}

const PREFIXES = [
  { path: '/models/{model}', params: ModelParams, artifactParams: ArtifactParams, versioned: false },
  { path: '/models/{model}/versions/{version}', params: VersionedParams, artifactParams: VersionedArtifactParams, versioned: true },
] as const;

/** Adds the device plan and artifact routes to the v2 table (mounted at /v2). */
export function deviceRoutes(app: OpenAPIHono<V2Env>): void {
  const tags = ['v2'];
  for (const { path, params, artifactParams, versioned } of PREFIXES) {
    const planRoute = createRoute({
      tags,
      method: 'get',
      path: `${path}/device`,
      summary: 'Device plan (extension): run on the device or at the edge',
      description:
        'From the Client Hints (Device-Memory, ECT, Downlink, RTT, Save-Data, Sec-CH-UA-Mobile), overridden by the query parameters, the model\'s measured sizes and profiles and the policy (`device.*`): where this client should run the model, which variant, where to download it and the latency expected on each tier, with a human reason.',
      request: { params },
      parameters: DEVICE_QUERY,
      responses: { 200: json(DevicePlanBody, 'The plan (Cache-Control: private, max-age=60; Vary: the client hints)'), ...deviceErrors(400, 401, 403, 404) },
    });
    app.openapi(planRoute, async (c) => {
      const model = modelOf(c);
      const query = deviceQuery((name) => c.req.query(name), model);
      const plan = await c.get('plane').devicePlan(model, query, clientHintsOf((name) => c.req.header(name)));
      return c.json(planBody(model, plan), 200, { 'cache-control': 'private, max-age=60' });
    });
    const artifactRoute = createRoute({
      tags,
      method: 'get',
      path: `${path}/variants/{variant}/artifact`,
      summary: versioned ? 'Variant file, versioned URL (immutable)' : 'Variant file, latest version (revalidate by ETag)',
      description:
        `The variant's ONNX file from the gateway's assets or R2. Strong ETag \`"<sha256>"\` from the manifest; If-None-Match gives 304; one \`Range: bytes=a-b\`, \`bytes=a-\` or \`bytes=-n\` gives 206 with Content-Range (several ranges: the whole file, 200; unsatisfiable: 416 with \`Content-Range: bytes */<size>\`); HEAD supported. Cache-Control: ${artifactCacheControl(versioned, false)}, or \`${artifactCacheControl(versioned, true)}\` with \`Vary: Authorization, x-api-key\` when inference needs an API key. 403 with the reason when the device policy refuses the file: device download forbidden (\`models.<m>.device.allow = false\`), a variant \`device.variants\` does not list, or a file over \`device.max_download_bytes\`; 404 for an unknown model, version or variant, or a variant served only at the origin.`,
      request: { params: artifactParams },
      responses: artifactResponses(),
    });
    app.openapi(artifactRoute, async (c) => {
      const model = modelOf(c);
      return (await artifactResponse(c, await c.get('plane').artifact(model, c.req.param('variant') ?? ''), versioned)) as never;
    });
  }
}
