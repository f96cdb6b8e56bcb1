/**
 * One card per model: readiness, its variants (size, edge memory, default placement, fidelity against the
 * fp32 reference, latency fit, and what this isolate learned of it) and the latency profile chart.
 */
import type { ModelManifest, VariantFacts, VariantName } from '../../src/registry/manifest.js';
import type { LearnedSeries } from '../../src/latency/learner.js';
import type { LatencyLine } from '../../src/latency/line.js';
import { LatencyChart, variantColour } from './chart.js';

export interface ModelView {
  model: ModelManifest;
  ready: boolean;
  placement: Partial<Record<string, 'edge' | 'origin'>>;
  /** What this isolate learned of the model's variants (any target). */
  learned?: LearnedSeries[] | undefined;
}

const line = (l: LatencyLine) => `${l.fixed_ms.toFixed(2)} + ${l.per_item_ms.toFixed(3)}n`;

/** Learned line per target against the manifest's (x speed factor), and the runs it rests on. */
function Learned({ series }: { series: LearnedSeries[] }) {
  const seen = series.filter((s) => s.estimate.observations > 0);
  if (!seen.length) return <span class="muted">no runs yet</span>;
  return (
    <>
      {seen.map((s) => (
        <div data-learned={s.target} title={`${s.prior_source === 'fleet' ? 'fleet fit' : 'manifest x speed factor'}: ${line(s.prior)}`}>
          {s.target}: {line(s.estimate)}
          <div class="muted">
            {s.prior_source} {line(s.prior)} · {s.estimate.observations.toFixed(0)} runs
          </div>
        </div>
      ))}
    </>
  );
}

export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 2 : 0)} MiB`;
const pct = (x: number | undefined) => (x === undefined ? '–' : `${(x * 100).toFixed(2)}%`);

/** How a variant was made, in a few words: "pruned 50% (64 hidden neurons) · from fp32 · int8 · 0.50x MACs". */
export function madeText(made: VariantFacts): string {
  return [
    made.pruning ? `pruned ${Math.round(made.pruning.ratio * 100)}% (${made.pruning.removed} ${made.pruning.units})` : '',
    made.student ? `student ${made.student}` : '',
    made.base ? `from ${made.base}` : '',
    made.precision ?? '',
    made.macs_ratio !== undefined ? `${made.macs_ratio.toFixed(2)}x MACs` : '',
  ].filter(Boolean).join(' · ');
}

export function ModelCard({ model, ready, placement, learned = [] }: ModelView) {
  const names = Object.keys(model.variants) as VariantName[];
  return (
    <section class="card model" id={`model-${model.name}`} data-model={model.name}>
      <h3>
        {model.name} <span class="muted small">v{model.version}</span>{' '}
        {ready ? <span class="badge ok">ready</span> : <span class="badge bad">not ready</span>}{' '}
        {model.synthetic ? <span class="badge warn" title="random weights, for size and latency scaling only">synthetic</span> : <span class="badge info">real weights</span>}
        {model.test_accuracy !== undefined ? <span class="muted small"> · fp32 test accuracy {pct(model.test_accuracy)}</span> : ''}
      </h3>
      <p class="muted small">{model.description}</p>
      <div class="cols">
        <div class="scroll">
          <table class="variants">
            <thead>
              <tr>
                <th>variant</th>
                <th class="num">file</th>
                <th class="num">memory</th>
                <th>runs at</th>
                <th class="num">top-1</th>
                <th class="num">accuracy</th>
                <th class="num">cosine</th>
                <th class="num">p95 fit (ms)</th>
                <th class="num">learned (ms)</th>
              </tr>
            </thead>
            <tbody>
              {names.map((name) => {
                const v = model.variants[name]!;
                return (
                  <tr data-variant={name}>
                    <td>
                      <span style={`color:${variantColour(name)}`}>■</span> <b>{name}</b>
                      <div class="muted small" title={v.method}>{v.method.length > 34 ? `${v.method.slice(0, 32)}…` : v.method}</div>
                      {v.made ? <div class="muted small made">{madeText(v.made)}</div> : ''}
                    </td>
                    <td class="num">{mib(v.bytes)}</td>
                    <td class="num">{mib(v.edge_memory_bytes)}</td>
                    <td>{placement[name] === 'edge' ? <span class="badge ok">edge</span> : <span class="badge warn">origin</span>}</td>
                    <td class="num">{pct(v.fidelity.top1_agreement)}</td>
                    <td class="num">{pct(v.fidelity.accuracy)}</td>
                    <td class="num">{v.fidelity.cosine.toFixed(5)}</td>
                    <td class="fit small">
                      {v.latency.fit.fixed_ms.toFixed(2)} + {v.latency.fit.per_item_ms.toFixed(3)}n
                      <div class="muted">load {v.latency.load_ms.toFixed(0)} ms</div>
                    </td>
                    <td class="fit small">
                      <Learned series={learned.filter((s) => s.variant === name)} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <p class="muted small">
            Fidelity measured on {model.variants[names[0]!]!.fidelity.eval_set}. Latency: {model.variants[names[0]!]!.latency.runtime}, {model.variants[names[0]!]!.latency.machine}.
          </p>
        </div>
        <div style="flex:0 1 470px">
          <LatencyChart model={model} />
        </div>
      </div>
    </section>
  );
}
