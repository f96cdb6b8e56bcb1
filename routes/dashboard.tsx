/**
 * The ops dashboard at /dashboard: every model and variant with fidelity and latency profile, live counters
 * from the isolate's metrics, origin status, and a what-if form that shows the routing decision for a
 * hypothetical request. Server-rendered with hono/jsx; inline CSS and SVG only, no script, no external asset.
 */
import { createRoute } from '@hono/zod-openapi';
import { Hono } from 'hono';
import type { DataPlane } from '../src/dataplane.js';
import { GatewayError } from '../src/errors.js';
import { FidelityCard, WatchEvents } from './dashboard/fidelity.js';
import { Page } from './dashboard/layout.js';
import { ModelCard } from './dashboard/models.js';
import type { Explanation, WhatIfForm } from './dashboard/whatif.js';
import { explainQuery, whatIfForm, WhatIfFormView, WhatIfQuery, WhatIfResult } from './dashboard/whatif.js';
import type { V2Env } from './env.js';
import { ADMIN_ERRORS, adminGuarded, htmlResponse } from './responses.js';

/** The origin as the router sees it now: not configured, disabled, unhealthy (breaker open) or up. */
async function originStatus(plane: DataPlane): Promise<{ label: string; tone: 'ok' | 'warn' | 'bad'; detail: string }> {
  const url = plane.config.origin.url;
  if (!url) return { label: 'not configured', tone: 'warn', detail: 'set ORIGIN_URL' };
  const model = plane.registry.list()[0];
  const origin = model ? (await plane.explain(model, {})).decision.candidates.find((c) => c.target === 'origin') : undefined;
  if (!origin) return { label: 'unknown', tone: 'warn', detail: url };
  // The breaker only opens after failed calls: "available" means no recent failures, not a probe.
  return origin.kept ? { label: 'available', tone: 'ok', detail: `${url} · breaker closed · ${origin.why}` } : { label: origin.why, tone: 'bad', detail: url };
}

async function Counters({ plane }: { plane: DataPlane }) {
  const m = plane.metrics;
  const text = m.render();
  const misses = m.series('gateway_route_decisions_total').filter((s) => s.labels.slo === 'miss').reduce((a, s) => a + s.value, 0);
  const success = m.series('nv_inference_request_success');
  const origin = await originStatus(plane);
  const { clockFrozen } = plane.learned();
  const stats: [string, number | string, string][] = [
    ['successful inferences', m.total('nv_inference_request_success'), 'nv_inference_request_success'],
    ['failed inferences', m.total('nv_inference_request_failure'), 'nv_inference_request_failure'],
    ['edge → origin fallbacks', m.total('gateway_edge_fallbacks_total'), 'gateway_edge_fallbacks_total'],
    ['predicted SLO misses', misses, 'gateway_route_decisions_total{slo="miss"}'],
  ];
  return (
    <>
      <div class="grid" id="counters">
        {stats.map(([label, value, metric]) => (
          <div class="stat" title={metric} data-metric={metric}>
            <b>{value}</b>
            <span>{label}</span>
          </div>
        ))}
        <div class="stat" id="origin-status" title={origin.detail}>
          <b>
            <span class={`badge ${origin.tone}`}>{origin.label}</span>
          </b>
          <span>origin · {origin.detail}</span>
        </div>
        <div class="stat" id="clock" title="gateway_clock_frozen">
          <b>
            <span class={`badge ${clockFrozen ? 'warn' : 'ok'}`}>{clockFrozen ? 'frozen' : 'ticking'}</span>
          </b>
          <span>clock during edge runs · {clockFrozen ? 'edge runs are not learned' : 'edge runs are learned'}</span>
        </div>
      </div>
      {success.length ? (
        <table class="small" style="margin-top:10px">
          <thead>
            <tr>
              <th>model</th>
              <th>variant</th>
              <th>served by</th>
              <th class="num">successes</th>
            </tr>
          </thead>
          <tbody>
            {success.map((s) => (
              <tr>
                <td>{s.labels.model}</td>
                <td>{s.labels.variant}</td>
                <td>{s.labels.target}</td>
                <td class="num">{s.value}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted small">No inference served by this isolate yet (counters are per isolate).</p>
      )}
      <details style="margin-top:10px">
        <summary>Raw Prometheus metrics (this isolate)</summary>
        <pre id="prometheus">{text}</pre>
      </details>
    </>
  );
}

async function Dashboard({ plane, form, result, error }: { plane: DataPlane; form: WhatIfForm; result?: Explanation | undefined; error?: string | undefined }) {
  const models = plane.registry.list();
  const statuses = await Promise.all(models.map((m) => plane.modelStatus(m)));
  const learned = plane.learned().series;
  const watching = await plane.watching();
  return (
    <Page title="Gateway dashboard" current="dashboard">
      <h2>Live counters</h2>
      <Counters plane={plane} />
      <h2 id="what-if">What if… <span class="muted small">the routing decision for a hypothetical request (nothing is run)</span></h2>
      <div class="card">
        <WhatIfFormView form={form} models={models.map((m) => m.name)} variants={[...new Set(models.flatMap((m) => Object.keys(m.variants)))]} />
        {error ? (
          <div class="error" role="alert" id="whatif-error">
            <b>Invalid what-if request:</b> {error}
          </div>
        ) : (
          ''
        )}
      </div>
      {result ? <WhatIfResult result={result} /> : ''}
      {watching ? (
        <>
          <h2 id="fidelity">Production fidelity <span class="muted small">answers checked against each model's reference after they are sent; demotions, canaries (this isolate, and the fleet's published evidence)</span></h2>
          {models.map((model) => (
            <FidelityCard model={model} watch={watching.report(model)} history={watching.history(model)} />
          ))}
          <WatchEvents events={watching.events()} />
        </>
      ) : (
        ''
      )}
      <h2>Models</h2>
      {models.map((model, i) => (
        <ModelCard model={model} ready={statuses[i]!.ready} placement={statuses[i]!.placement} learned={learned.filter((s) => s.model === model.name)} />
      ))}
    </Page>
  );
}

/** GET /dashboard, as routes/openapi.ts documents it. */
export const dashboardRoute = createRoute({
  ...adminGuarded,
  method: 'get',
  path: '/',
  summary: 'Ops dashboard (HTML)',
  description: 'Models, variants, fidelity, latency profiles, live counters, origin status, and a what-if form whose query string is explained.',
  request: { query: WhatIfQuery },
  responses: { 200: htmlResponse('The dashboard'), 400: htmlResponse('The dashboard with the what-if error'), 404: htmlResponse('The dashboard: unknown model in the what-if'), ...ADMIN_ERRORS },
});

/** The dashboard route table, mounted at /dashboard. A submitted what-if form (`?model=...`) is explained. */
export function dashboardRoutes(): Hono<V2Env> {
  const app = new Hono<V2Env>();
  // Not app.openapi(dashboardRoute): its query validator would answer a repeated parameter with a JSON 400;
  // the page reads the first value of each field and shows its own errors.
  app.get(dashboardRoute.path, async (c) => {
    const plane = c.get('plane');
    const form = whatIfForm(c.req.query());
    if (!form.model) return c.html(<Dashboard plane={plane} form={form} />);
    try {
      const result = await plane.explain(plane.registry.get(form.model), explainQuery(form));
      return c.html(<Dashboard plane={plane} form={form} result={result} />);
    } catch (err) {
      if (!(err instanceof GatewayError) || err.status >= 500) throw err;
      return c.html(<Dashboard plane={plane} form={form} error={err.message} />, err.status as 400 | 404);
    }
  });
  return app;
}
