/**
 * The what-if form of the dashboard (a plain GET form, so it works without JavaScript) and the routing
 * decision it produces: budget, network time, and every candidate with its prediction and why it was kept
 * or dropped. The decision itself comes from the data plane's `explain`.
 */
import { z } from '@hono/zod-openapi';
import type { DataPlane, ExplainQuery } from '../../src/dataplane.js';
import { InvalidInput } from '../../src/errors.js';
import { CLIENT_HINT } from '../../src/protocol/headers.js';

/** The form's fields and what each means; the dashboard route declares them as its query parameters. */
const FIELDS = {
  model: 'Model to explain; without it the dashboard shows no decision',
  slo_ms: 'SLO (ms)',
  items: 'Items per request',
  request_bytes: 'Request body bytes',
  rtt: 'RTT hint (ms)',
  ect: 'ECT hint: slow-2g, 2g, 3g, 4g',
  downlink: 'Downlink hint (Mbit/s)',
  save_data: '"on" for Save-Data',
  device_memory: 'Device-Memory hint (GiB)',
  mobile: 'Any value: Sec-CH-UA-Mobile ?1',
  strict: 'Any value: x-slo-strict 1 (refuse what the facts say cannot meet the SLO)',
  variant: 'Pinned variant',
} as const;

/** The form's fields, as submitted (strings; empty means "not set"). */
export type WhatIfForm = Record<keyof typeof FIELDS, string>;

/** The query string a submitted form sends: every field optional, all strings. */
export const WhatIfQuery = z.object(
  Object.fromEntries(Object.entries(FIELDS).map(([name, description]) => [name, z.string().optional().openapi({ param: { name, in: 'query' }, description })])),
);

export function whatIfForm(query: Record<string, string>): WhatIfForm {
  return Object.fromEntries(Object.keys(FIELDS).map((f) => [f, (query[f] ?? '').trim()])) as WhatIfForm;
}

function count(value: string, field: string, min: number): number | undefined {
  if (value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new InvalidInput(`${field} must be an integer of at least ${min}, got ${JSON.stringify(value)}`);
  return n;
}

/** The explain query of a submitted form; InvalidInput for values explain would not understand. */
export function explainQuery(form: WhatIfForm): ExplainQuery {
  let slo: number | undefined;
  if (form.slo_ms !== '') {
    slo = Number(form.slo_ms);
    if (!Number.isFinite(slo)) throw new InvalidInput(`SLO must be a positive number of milliseconds, got ${JSON.stringify(form.slo_ms)}`);
  }
  const hints: Record<string, string> = {};
  if (form.rtt) hints[CLIENT_HINT.rtt] = form.rtt;
  if (form.ect) hints[CLIENT_HINT.ect] = form.ect;
  if (form.downlink) hints[CLIENT_HINT.downlink] = form.downlink;
  if (form.save_data) hints[CLIENT_HINT.saveData] = 'on';
  if (form.device_memory) hints[CLIENT_HINT.deviceMemory] = form.device_memory;
  if (form.mobile) hints[CLIENT_HINT.secChUaMobile] = '?1';
  return { slo_ms: slo, items: count(form.items, 'items', 1), request_bytes: count(form.request_bytes, 'request bytes', 0), variant: form.variant || undefined, strict: form.strict !== '', hints };
}

export type Explanation = Awaited<ReturnType<DataPlane['explain']>>;

const sel = (on: boolean) => (on ? { selected: true } : {});

/** The what-if form; `variants`: every variant name the models have (a pin to one the model lacks is explained as such). */
export function WhatIfFormView({ form, models, variants }: { form: WhatIfForm; models: string[]; variants: string[] }) {
  const model = form.model || models[0] || '';
  return (
    <form class="whatif" method="get" action="/dashboard#what-if">
      <label>
        model
        <select name="model">
          {models.map((m) => (
            <option value={m} {...sel(m === model)}>{m}</option>
          ))}
        </select>
      </label>
      <label>
        SLO (ms)
        <input name="slo_ms" inputmode="decimal" placeholder="model policy" value={form.slo_ms} />
      </label>
      <label>
        items / batch
        <input name="items" inputmode="numeric" placeholder="1" value={form.items} />
      </label>
      <label>
        request bytes
        <input name="request_bytes" inputmode="numeric" placeholder="0" value={form.request_bytes} />
      </label>
      <label>
        RTT (ms)
        <input name="rtt" inputmode="numeric" placeholder="default" value={form.rtt} />
      </label>
      <label>
        ECT
        <select name="ect">
          {['', 'slow-2g', '2g', '3g', '4g'].map((e) => (
            <option value={e} {...sel(e === form.ect)}>{e || '(none)'}</option>
          ))}
        </select>
      </label>
      <label>
        Downlink (Mbit/s)
        <input name="downlink" inputmode="decimal" placeholder="default" value={form.downlink} />
      </label>
      <label>
        Device-Memory (GiB)
        <input name="device_memory" inputmode="decimal" placeholder="unknown" value={form.device_memory} />
      </label>
      <label>
        pinned variant
        <select name="variant">
          {['', ...variants].map((v) => (
            <option value={v} {...sel(v === form.variant)}>{v || '(router chooses)'}</option>
          ))}
        </select>
      </label>
      <label class="check">
        <input type="checkbox" name="save_data" value="on" {...(form.save_data ? { checked: true } : {})} /> Save-Data
      </label>
      <label class="check">
        <input type="checkbox" name="mobile" value="1" {...(form.mobile ? { checked: true } : {})} /> mobile
      </label>
      <label class="check">
        <input type="checkbox" name="strict" value="1" {...(form.strict ? { checked: true } : {})} /> strict SLO
      </label>
      <div>
        <button type="submit">Explain</button>
      </div>
    </form>
  );
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

/** A bar of a candidate's prediction against the budget (the dark tick). */
function BudgetBar({ predicted, budget, scale }: { predicted: number; budget: number; scale: number }) {
  const w = 160;
  const px = (v: number) => Math.max(0, Math.min(w, (v / scale) * w));
  return (
    <svg width={w} height="12" viewBox={`0 0 ${w} 12`} aria-hidden="true">
      <rect x="0" y="2" width={w} height="8" fill="#eef0f4" rx="2" />
      <rect x="0" y="2" width={px(predicted)} height="8" fill={predicted <= budget ? '#3a9a64' : '#d9534f'} rx="2" />
      {budget > 0 ? <line x1={px(budget)} x2={px(budget)} y1="0" y2="12" stroke="#1d2433" stroke-width="2" /> : ''}
    </svg>
  );
}

export function WhatIfResult({ result }: { result: Explanation }) {
  const { decision: d, network, policy } = result;
  const scale = Math.max(d.budget_ms, ...d.candidates.map((c) => c.predicted_ms), 1e-3);
  return (
    <div class="card decision" id="decision" data-target={d.target} data-variant={d.variant ?? ''}>
      <h3>
        Decision for {result.model}:{' '}
        {d.target === 'none' ? <span class="badge bad">{d.refused ? 'refused (422): SLO cannot be met' : 'nothing can serve'}</span> : <span class="badge info">{`${d.variant} at ${d.target}`}</span>}{' '}
        {d.target === 'none' ? '' : d.meets_slo ? <span class="badge ok">meets SLO</span> : <span class="badge bad">predicted SLO miss</span>}
      </h3>
      <p>
        <code class="reason">{d.reason}</code>
      </p>
      <dl class="kv">
        <dt>SLO</dt>
        <dd>{ms(policy.slo_ms)}</dd>
        <dt>client network time</dt>
        <dd>
          {ms(d.network_ms)} <span class="muted small">(RTT {network.rtt_ms} ms, downlink {network.downlink_mbps} Mbit/s{network.save_data ? ', Save-Data' : ''}{network.mobile ? ', mobile' : ''}{network.device_memory_gb !== undefined ? `, ${network.device_memory_gb} GiB` : ''}; from {network.from_hints.length ? network.from_hints.join(', ') : 'defaults'})</span>
        </dd>
        <dt>gateway overhead</dt>
        <dd>{ms(Math.round((policy.slo_ms - d.network_ms - d.budget_ms) * 10) / 10)}</dd>
        <dt>budget (SLO − network − overhead)</dt>
        <dd>{ms(d.budget_ms)}</dd>
        <dt>predicted</dt>
        <dd>{d.target === 'none' ? '–' : ms(d.predicted_ms)}</dd>
        <dt>items</dt>
        <dd>{result.items}</dd>
      </dl>
      <table class="candidates">
        <thead>
          <tr>
            <th>target</th>
            <th>variant</th>
            <th class="num">fidelity</th>
            <th class="num">predicted</th>
            <th class="num" title="the run's compute: learned by this isolate, and the manifest profile x speed factor">compute: learned / manifest</th>
            <th>vs budget</th>
            <th>kept</th>
            <th>why</th>
          </tr>
        </thead>
        <tbody>
          {d.candidates.map((c) => (
            <tr class={c.target === d.target && c.variant === d.variant ? 'chosen' : ''} data-kept={String(c.kept)}>
              <td>{c.target}</td>
              <td>{c.variant}</td>
              <td class="num">{c.fidelity.toFixed(4)}</td>
              <td class="num">{ms(c.predicted_ms)}</td>
              <td class="num small" data-compute={c.compute_ms} data-manifest={c.manifest_ms}>
                {c.observations > 0 ? ms(c.compute_ms) : '–'} / {ms(c.manifest_ms)}
                <div class="muted">{c.observations > 0 ? `${c.observations} runs` : 'no runs yet'}</div>
              </td>
              <td>
                <BudgetBar predicted={c.predicted_ms} budget={d.budget_ms} scale={scale} />
              </td>
              <td>{c.kept ? <span class="badge ok">kept</span> : <span class="badge bad">dropped</span>}</td>
              <td class="small">{c.why}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
