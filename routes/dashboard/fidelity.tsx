/**
 * Production fidelity on the dashboard: per model, each variant's standing (and why: the demotion's evidence,
 * a canary's share, a rollback), its production fidelity in this isolate and across the fleet with confidence
 * bounds next to the offline figure the router ranks by, a chart of production against offline over time,
 * and the last changes of standing. Server-rendered SVG, like the latency chart (chart.tsx).
 */
import type { ScorePoint, WatchView } from '../../src/dataplane.js';
import type { VariantWatch } from '../../src/monitor/monitor.js';
import type { ModelManifest, VariantName } from '../../src/registry/manifest.js';
import { variantColour } from './chart.js';

const W = 460;
const H = 200;
const PAD = { left: 46, right: 14, top: 12, bottom: 40 };
const TONE: Record<VariantWatch['state'], 'ok' | 'warn' | 'bad' | 'info'> = { active: 'ok', promoted: 'ok', canary: 'info', demoted: 'bad', rolled_back: 'bad' };

const f3 = (x: number) => x.toFixed(3);
const clock = (t: number) => new Date(t).toISOString().slice(11, 16);

function Verdict({ v }: { v: VariantWatch['isolate'] | undefined }) {
  if (!v || v.n === 0) return <span class="muted">no samples</span>;
  return (
    <span title={v.text}>
      {f3(v.score)} <span class="muted">[{f3(v.lower)}, {f3(v.upper)}] n={v.n}</span>
    </span>
  );
}

/** Production score per variant over time (isolate: lines; fleet: squares), offline dashed, the floor in red. */
export function FidelityChart({ model, watch, history }: { model: ModelManifest; watch: VariantWatch[]; history: ReturnType<WatchView['history']> }) {
  const series = Object.entries(history) as [VariantName, { isolate: ScorePoint[]; fleet: ScorePoint[] }][];
  const all = series.flatMap(([, h]) => [...h.isolate, ...h.fleet]);
  if (!all.length) return <p class="muted small">No production samples yet for {model.name} (shadow checks run after answers, at <code>monitoring.shadow_rate</code>).</p>;
  const floor = watch[0]?.floor ?? 0;
  const lo = Math.max(0, Math.min(floor, ...all.map((p) => p.score), ...watch.map((w) => w.offline)) - 0.02);
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(t0 + 60_000, ...all.map((p) => p.t));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (t: number) => PAD.left + ((t - t0) / (t1 - t0)) * plotW;
  const y = (s: number) => PAD.top + plotH - ((s - lo) / (1 - lo || 1)) * plotH;
  const ticks = [lo, (lo + 1) / 2, 1];
  return (
    <svg class="chart" role="img" aria-label={`production fidelity of ${model.name} over time`} width={W} height={H} viewBox={`0 0 ${W} ${H}`} data-chart="fidelity">
      <title>{`${model.name}: production fidelity (agreement, else cosine) over time; dashed: offline; red: floor`}</title>
      {ticks.map((t) => (
        <g>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="#e6e9ef" />
          <text x={PAD.left - 6} y={y(t) + 4} text-anchor="end" font-size="10" fill="#5b6577">{t.toFixed(2)}</text>
        </g>
      ))}
      <text x={PAD.left} y={H - PAD.bottom + 14} font-size="10" fill="#5b6577">{clock(t0)}</text>
      <text x={W - PAD.right} y={H - PAD.bottom + 14} text-anchor="end" font-size="10" fill="#5b6577">{clock(t1)} UTC</text>
      {floor > lo ? <line x1={PAD.left} x2={W - PAD.right} y1={y(floor)} y2={y(floor)} stroke="#c62828" stroke-width="1.5" data-floor={floor} /> : ''}
      {series.map(([name, h]) => {
        const offline = watch.find((w) => w.variant === name)?.offline;
        return (
          <g data-variant={name}>
            {offline !== undefined && (h.isolate.length || h.fleet.length) ? <line x1={PAD.left} x2={W - PAD.right} y1={y(offline)} y2={y(offline)} stroke={variantColour(name)} stroke-dasharray="4 3" /> : ''}
            {h.isolate.length > 1 ? <polyline fill="none" stroke={variantColour(name)} stroke-width="2" points={h.isolate.map((p) => `${x(p.t).toFixed(1)},${y(p.score).toFixed(1)}`).join(' ')} /> : ''}
            {h.isolate.map((p) => (
              <circle cx={x(p.t)} cy={y(p.score)} r="2.5" fill={variantColour(name)}>
                <title>{`${name} ${clock(p.t)}: ${f3(p.score)} over ${p.n} samples (this isolate)`}</title>
              </circle>
            ))}
            {h.fleet.map((p) => (
              <rect x={x(p.t) - 3} y={y(p.score) - 3} width="6" height="6" fill="none" stroke={variantColour(name)}>
                <title>{`${name} ${clock(p.t)}: ${f3(p.score)} over ${p.n} samples (fleet)`}</title>
              </rect>
            ))}
          </g>
        );
      })}
      <text x={W - PAD.right} y={H - 4} text-anchor="end" font-size="10" fill="#5b6577">● isolate · □ fleet · dashed offline · red floor</text>
    </svg>
  );
}

/** One model's variants under watch: standing, production against offline, and the chart. */
export function FidelityCard({ model, watch, history }: { model: ModelManifest; watch: VariantWatch[]; history: ReturnType<WatchView['history']> }) {
  return (
    <section class="card" id={`fidelity-${model.name}`} data-fidelity-model={model.name}>
      <h3>{model.name}</h3>
      <div class="cols">
        <div class="scroll">
          <table class="small">
            <thead>
              <tr>
                <th>variant</th>
                <th>standing</th>
                <th class="num">offline</th>
                <th class="num">production (isolate)</th>
                <th class="num">production (fleet)</th>
              </tr>
            </thead>
            <tbody>
              {watch.map((w) => (
                <tr data-variant={w.variant} data-state={w.state}>
                  <td>
                    <span style={`color:${variantColour(w.variant)}`}>■</span> <b>{w.variant}</b>
                  </td>
                  <td>
                    <span class={`badge ${TONE[w.state]}`}>{w.state.replace('_', ' ')}</span>
                    <div class="muted why">{w.reason}</div>
                  </td>
                  <td class="num">{f3(w.offline)}</td>
                  <td class="num">
                    <Verdict v={w.isolate} />
                  </td>
                  <td class="num">
                    <Verdict v={w.fleet} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted small">
            Floor {watch[0]?.floor ?? 0}: a variant is demoted when the upper bound of its production fidelity is below it (one-sided at <code>monitoring.confidence</code>), with at least <code>monitoring.min_samples</code> samples; bounds in brackets, over the evidence since its standing began.
          </p>
        </div>
        <div style="flex:0 1 470px">
          <FidelityChart model={model} watch={watch} history={history} />
        </div>
      </div>
    </section>
  );
}

/** The last changes of standing in this isolate. */
export function WatchEvents({ events }: { events: ReturnType<WatchView['events']> }) {
  if (!events.length) return <p class="muted small">No change of standing in this isolate yet.</p>;
  return (
    <table class="small" id="watch-events">
      <thead>
        <tr>
          <th>when (UTC)</th>
          <th>variant</th>
          <th>from → to</th>
          <th>why</th>
        </tr>
      </thead>
      <tbody>
        {[...events].reverse().map((e) => (
          <tr data-to={e.to}>
            <td>{new Date(e.at).toISOString().slice(0, 19).replace('T', ' ')}</td>
            <td>
              {e.model}/{e.variant}
            </td>
            <td>
              {e.from} → <b>{e.to}</b>
            </td>
            <td class="muted">{e.reason}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
