/**
 * The API description and the ops pages inside workerd: /openapi.json is an OpenAPI 3.1 document listing
 * every v2 route, /docs renders it, and /dashboard shows the models and explains a what-if request.
 */
import { SELF } from 'cloudflare:test';
import type { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { adminRoutes, configRoute, ExplainRequest, explainRoute, metricsRoute, metricsRoutes } from '../../routes/admin.js';
import { dashboardRoute, dashboardRoutes } from '../../routes/dashboard.js';
import { docsRoute, openApiJsonRoute, openApiRoutes } from '../../routes/openapi.js';
import type { PolicySource } from '../../src/policy-source.js';

const V2_OPERATIONS = [
  ['get', '/v2'],
  ['get', '/v2/health/live'],
  ['get', '/v2/health/ready'],
  ['get', '/v2/models'],
  ['get', '/v2/models/{model}'],
  ['get', '/v2/models/{model}/ready'],
  ['post', '/v2/models/{model}/infer'],
  ['get', '/v2/models/{model}/versions/{version}'],
  ['get', '/v2/models/{model}/versions/{version}/ready'],
  ['post', '/v2/models/{model}/versions/{version}/infer'],
  ['get', '/v2/models/{model}/device'],
  ['get', '/v2/models/{model}/versions/{version}/device'],
  ['get', '/v2/models/{model}/variants/{variant}/artifact'],
  ['get', '/v2/models/{model}/versions/{version}/variants/{variant}/artifact'],
] as const;

async function page(path: string): Promise<{ status: number; type: string; text: string }> {
  const res = await SELF.fetch(`http://gateway.test${path}`);
  return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The text of an HTML fragment, without tags, with whitespace collapsed. */
const textOf = (html: string) =>
  html
    .replace(/<style>[^<]*<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&gt;/g, '>')
    .replace(/&lt;/g, '<')
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with info, and lists every v2 route with its responses', async () => {
    const res = await SELF.fetch('http://gateway.test/openapi.json');
    expect(res.status).toBe(200);
    const doc: any = await res.json();
    expect(doc.openapi).toMatch(/^3\.1\./);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    for (const [method, path] of V2_OPERATIONS) {
      const op = doc.paths[path]?.[method];
      expect(op, `${method} ${path}`).toBeDefined();
      expect(op.summary, `${method} ${path}`).toEqual(expect.any(String));
      expect(op.responses['200'], `${method} ${path}`).toBeDefined();
    }
  });

  it('describes the infer body, the routing headers, path parameters and JSON errors', async () => {
    const doc: any = await (await SELF.fetch('http://gateway.test/openapi.json')).json();
    const infer = doc.paths['/v2/models/{model}/versions/{version}/infer'].post;
    const params = infer.parameters.map((p: any) => `${p.in}:${p.name}`);
    expect(params).toEqual(expect.arrayContaining(['path:model', 'path:version', 'header:x-slo-ms', 'header:x-model-variant', 'header:ect', 'header:save-data']));
    expect(infer.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/InferRequest');
    expect(doc.components.schemas.InferRequest.required).toContain('inputs');
    expect(infer.responses['200'].headers).toHaveProperty('x-route-reason');
    expect(infer.responses['400'].content['application/json'].schema.$ref).toBe('#/components/schemas/Error');
    for (const ref of JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)) expect(doc.components.schemas, ref[1]).toHaveProperty(ref[1]!);
  });

  it('documents the device plan (its query parameters and body) and the artifacts (206, 304, 416)', async () => {
    const doc: any = await (await SELF.fetch('http://gateway.test/openapi.json')).json();
    const plan = doc.paths['/v2/models/{model}/versions/{version}/device'].get;
    expect(plan.parameters.map((p: any) => `${p.in}:${p.name}`)).toEqual(
      expect.arrayContaining(['path:model', 'path:version', 'query:device_memory', 'query:ect', 'query:downlink', 'query:rtt', 'query:save_data', 'query:mobile', 'query:slo_ms', 'query:cached']),
    );
    expect(plan.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/DevicePlan');
    expect(Object.keys(doc.components.schemas.DevicePlan.properties)).toEqual(expect.arrayContaining(['model', 'version', 'target', 'variant', 'artifact', 'expected_ms', 'reason', 'hints']));
    expect(plan.responses['400']).toBeDefined();
    const artifact = doc.paths['/v2/models/{model}/versions/{version}/variants/{variant}/artifact'].get;
    expect(artifact.parameters.map((p: any) => `${p.in}:${p.name}`)).toEqual(expect.arrayContaining(['path:model', 'path:version', 'path:variant']));
    expect(Object.keys(artifact.responses)).toEqual(expect.arrayContaining(['200', '206', '304', '403', '404', '416']));
    expect(artifact.responses['200'].content).toHaveProperty('application/octet-stream');
  });

  it('documents the ops routes: dashboard, metrics, admin config and explain', async () => {
    const doc: any = await (await SELF.fetch('http://gateway.test/openapi.json')).json();
    expect(doc.paths['/dashboard'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['model', 'slo_ms', 'ect', 'variant']));
    expect(doc.paths['/metrics'].get.responses['200'].content).toHaveProperty('text/plain');
    expect(doc.paths['/admin/config'].get).toBeDefined();
    const explain = doc.paths['/admin/explain'].post;
    expect(explain.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/ExplainRequest');
    expect(Object.keys(doc.components.schemas.ExplainRequest.properties)).toEqual(['model', 'slo_ms', 'items', 'request_bytes', 'variant', 'strict', 'timeout_us', 'hints']);
    expect(doc.components.schemas.RouteDecision.properties.candidates.items.$ref).toBe('#/components/schemas/Candidate');
  });

  it('takes the ops paths from the route tables\' own declarations, not from shapes of its own', async () => {
    const doc: any = await (await SELF.fetch('http://gateway.test/openapi.json')).json();
    const declared = [
      ['/admin/config', configRoute],
      ['/admin/explain', explainRoute],
      ['/metrics', metricsRoute],
      ['/dashboard', dashboardRoute],
      ['/openapi.json', openApiJsonRoute],
      ['/docs', docsRoute],
    ] as const;
    for (const [path, route] of declared) {
      const op = doc.paths[path]?.[route.method];
      expect(op, `${route.method} ${path}`).toBeDefined();
      expect(op.summary).toBe(route.summary);
      expect(Object.keys(op.responses).sort()).toEqual(Object.keys(route.responses).sort());
    }
    // The explain body is the schema the handler parses with: same fields, and unknown ones refused.
    expect(Object.keys(doc.components.schemas.ExplainRequest.properties)).toEqual(Object.keys(ExplainRequest.shape));
    expect(doc.components.schemas.ExplainRequest.additionalProperties).toBe(false);
    expect(doc.paths['/admin/explain'].post.security).toEqual([{ adminToken: [] }]);
    expect(doc.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('documents every route the admin, metrics, dashboard and docs tables serve', async () => {
    const doc: any = await (await SELF.fetch('http://gateway.test/openapi.json')).json();
    // The tables are only listed here, never called: no policy is read.
    const tables: [string, Hono<any>][] = [
      ['/admin', adminRoutes({} as PolicySource)],
      ['', metricsRoutes()],
      ['/dashboard', dashboardRoutes()],
      ['', openApiRoutes()],
    ];
    for (const [mountedAt, table] of tables) {
      expect(table.routes.length, mountedAt).toBeGreaterThan(0);
      for (const { method, path } of table.routes) {
        // Hono's `:param` is OpenAPI's `{param}`.
        const full = `${mountedAt}${path}`.replace(/(.)\/$/, '$1').replace(/:(\w+)/g, '{$1}');
        expect(doc.paths[full]?.[method.toLowerCase()], `${method} ${full}`).toBeDefined();
      }
    }
  });
});

describe('the API reference page', () => {
  it('renders every path and method with summaries and schemas, without external assets', async () => {
    const { status, type, text } = await page('/docs');
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/html/);
    expect(text.startsWith('<!doctype html>')).toBe(true);
    for (const [method, path] of V2_OPERATIONS) expect(text).toContain(`data-path="${path}" data-method="${method}"`);
    expect(text).toContain('data-path="/admin/explain" data-method="post"');
    expect(text).toContain('id="schema-InferRequest"');
    expect(textOf(text)).toContain('Every model with its versions and variants');
    expect(text).not.toMatch(/<script|(src|href)="(https?:)?\/\//);
  });
});

describe('the dashboard', () => {
  it('shows every model with its variants, fidelity, latency chart and counters', async () => {
    const { status, type, text } = await page('/dashboard');
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/html/);
    for (const model of ['mnist', 'transformer-large']) expect(text).toContain(`data-model="${model}"`);
    const mnist = text.slice(text.indexOf('data-model="mnist"'));
    for (const v of ['fp32', 'fp16', 'int8']) expect(mnist).toContain(`<tr data-variant="${v}">`);
    expect(text).toContain('aria-label="latency profile of mnist"');
    expect(textOf(text)).toMatch(/synthetic/);
    expect(text).toContain('data-metric="nv_inference_request_success"');
    expect(text).toContain('id="prometheus"');
    expect(text).not.toMatch(/<script|(src|href)="(https?:)?\/\//);
  });

  it('counts a served inference in its live counters', async () => {
    const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: new Array(784).fill(0) }] };
    const res = await SELF.fetch('http://gateway.test/v2/models/mnist/infer', { method: 'POST', body: JSON.stringify(body), headers: { 'x-slo-ms': '10000' } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    const { text } = await page('/dashboard');
    const stat = text.match(/data-metric="nv_inference_request_success"><b>(\d+)<\/b>/);
    expect(Number(stat?.[1])).toBeGreaterThanOrEqual(1);
    expect(text).toMatch(/nv_inference_request_success\{[^}]*model=&quot;mnist&quot;/);
    // What the isolate learned of the variant that ran, next to the manifest's line, and the clock's state.
    const mnist = text.slice(text.indexOf('data-model="mnist"'));
    expect(textOf(mnist)).toMatch(/edge: [\d.]+ \+ [\d.]+n manifest [\d.]+ \+ [\d.]+n · \d+ runs/);
    expect(text).toContain('id="clock"');
    expect(textOf(text)).toMatch(/ticking clock during edge runs/);
  });

  it('explains a what-if request: the decision (here a strict refusal), budget, network time and every candidate', async () => {
    const { status, text } = await page('/dashboard?model=mnist&slo_ms=5&ect=3g&items=4&variant=&strict=1');
    expect(status).toBe(200);
    const decision = text.slice(text.indexOf('id="decision"'));
    expect(decision).toMatch(/data-target="none" data-variant=""/);
    const words = textOf(decision);
    // 3g takes 270 ms of round trip out of a 5 ms SLO: no budget, so a strict request is refused, with the arithmetic.
    expect(words).toContain('refused (422): SLO cannot be met');
    expect(words).toContain('SLO cannot be met: 5 ms SLO - 270 ms round trip (your ECT hint) - 4 ms gateway overhead = -269 ms budget');
    expect(words).toMatch(/client network time 270\.0 ms/);
    expect(words).toMatch(/gateway overhead 4\.0 ms budget \(SLO − network − overhead\) -269\.0 ms/);
    expect(words).toMatch(/items 4/);
    expect(decision.match(/<tr class="[^"]*" data-kept="(true|false)">/g)?.length).toBeGreaterThanOrEqual(3);
    expect(decision.match(/data-compute="[\d.]+" data-manifest="[\d.]+"/g)?.length).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/<option value="3g" selected="">|<option value="3g" selected>/);
  });

  it('shows why candidates were dropped when a variant is pinned', async () => {
    const { status, text } = await page('/dashboard?model=mnist&variant=int8&slo_ms=1000');
    expect(status).toBe(200);
    expect(textOf(text)).toContain('not the pinned variant int8');
    expect(text).toMatch(/data-target="edge" data-variant="int8"/);
  });

  it('renders a bad what-if value as a 400 page naming the problem', async () => {
    const bad = await page('/dashboard?model=mnist&slo_ms=-3');
    expect(bad.status).toBe(400);
    expect(bad.type).toMatch(/^text\/html/);
    expect(textOf(bad.text)).toMatch(/SLO must be a positive number of milliseconds, got "-3"/);
    const variant = await page('/dashboard?model=mnist&variant=fp8');
    expect(variant.status).toBe(400);
    expect(textOf(variant.text)).toContain("unknown variant 'fp8' for model 'mnist'");
    const items = await page('/dashboard?model=mnist&items=zero');
    expect(items.status).toBe(400);
    expect(textOf(items.text)).toContain('items must be an integer of at least 1, got "zero"');
  });
});
