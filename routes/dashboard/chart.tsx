/**
 * The latency profile of a model's variants as an inline SVG drawn on the server: p95 (solid) and p50
 * (dashed) against items per request, from the measured points in the manifest. Items are on a log2 axis
 * because profiles are measured at 1, 2, 4, 8, ...
 */
import type { ModelManifest, VariantName } from '../../src/registry/manifest.js';

const PRECISION_COLOURS: Record<string, string> = { fp32: '#2557d6', fp16: '#d9822b', int8: '#1d7a46', int8w: '#8a3ffc' };

/** A variant's colour: fixed for the compressor's precisions, and for any other name a hue its name decides. */
export function variantColour(name: VariantName): string {
  const fixed = PRECISION_COLOURS[name];
  if (fixed) return fixed;
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) % 360;
  return `hsl(${h}, 60%, 42%)`;
}

const W = 460;
const H = 232;
const PAD = { left: 52, right: 14, top: 14, bottom: 56 };

/** A round step for about five ticks over [0, max]. */
function niceStep(max: number): number {
  const raw = max / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

const fmt = (ms: number) => (ms === 0 ? '0' : ms >= 100 ? ms.toFixed(0) : ms >= 1 ? ms.toFixed(1) : ms.toFixed(2));

export function LatencyChart({ model }: { model: ModelManifest }) {
  const variants = (Object.keys(model.variants) as VariantName[]).map((name) => ({ name, points: [...model.variants[name]!.latency.points].sort((a, b) => a.items - b.items) }));
  const all = variants.flatMap((v) => v.points);
  const maxItems = Math.max(2, ...all.map((p) => p.items));
  const maxMs = Math.max(...all.map((p) => p.p95_ms), 1e-3);
  const step = niceStep(maxMs);
  const top = Math.ceil(maxMs / step) * step;
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (items: number) => PAD.left + (Math.log2(items) / Math.log2(maxItems)) * plotW;
  const y = (ms: number) => PAD.top + plotH - (ms / top) * plotH;
  const xTicks = Array.from({ length: Math.floor(Math.log2(maxItems)) + 1 }, (_, i) => 2 ** i);
  const yTicks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  const line = (pts: { items: number; ms: number }[]) => pts.map((p) => `${x(p.items).toFixed(1)},${y(p.ms).toFixed(1)}`).join(' ');
  return (
    <svg class="chart" role="img" aria-label={`latency profile of ${model.name}`} width={W} height={H} viewBox={`0 0 ${W} ${H}`}>
      <title>{`${model.name}: latency (ms) vs items per request, p95 solid, p50 dashed`}</title>
      {yTicks.map((t) => (
        <g>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} stroke="#e6e9ef" />
          <text x={PAD.left - 6} y={y(t) + 4} text-anchor="end" font-size="10" fill="#5b6577">{fmt(t)}</text>
        </g>
      ))}
      {xTicks.map((t) => (
        <text x={x(t)} y={H - PAD.bottom + 14} text-anchor="middle" font-size="10" fill="#5b6577">{t}</text>
      ))}
      <line x1={PAD.left} x2={W - PAD.right} y1={PAD.top + plotH} y2={PAD.top + plotH} stroke="#9aa3b2" />
      <text x={PAD.left + plotW / 2} y={H - 24} text-anchor="middle" font-size="11" fill="#5b6577">items per request</text>
      <text x={12} y={PAD.top + plotH / 2} text-anchor="middle" font-size="11" fill="#5b6577" transform={`rotate(-90 12 ${PAD.top + plotH / 2})`}>ms</text>
      {variants.map((v) => (
        <g data-variant={v.name}>
          <polyline fill="none" stroke={variantColour(v.name)} stroke-width="2" points={line(v.points.map((p) => ({ items: p.items, ms: p.p95_ms })))} />
          <polyline fill="none" stroke={variantColour(v.name)} stroke-width="1.5" stroke-dasharray="4 3" points={line(v.points.map((p) => ({ items: p.items, ms: p.p50_ms })))} />
          {v.points.map((p) => (
            <circle cx={x(p.items)} cy={y(p.p95_ms)} r="2.5" fill={variantColour(v.name)}>
              <title>{`${v.name} × ${p.items}: p50 ${fmt(p.p50_ms)} ms, p95 ${fmt(p.p95_ms)} ms (${p.runs} runs)`}</title>
            </circle>
          ))}
        </g>
      ))}
      {variants.map((v, i) => (
        <g transform={`translate(${PAD.left + 8 + i * 70} ${H - 4})`}>
          <line x1="0" x2="16" y1="-4" y2="-4" stroke={variantColour(v.name)} stroke-width="2" />
          <text x="20" y="0" font-size="11" fill="#1d2433">{v.name}</text>
        </g>
      ))}
      <text x={W - PAD.right} y={H - 2} text-anchor="end" font-size="10" fill="#5b6577">solid p95 · dashed p50</text>
    </svg>
  );
}
