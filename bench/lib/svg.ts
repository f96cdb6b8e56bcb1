/** Small self-contained SVG charts (line panels, grouped and stacked bars) for bench/results/README.md. */
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const esc = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
const num = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));

function ticks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
  const s = [1, 2, 5, 10].map((m) => m * step).find((x) => (hi - lo) / x <= n) ?? step * 10;
  const out = [];
  for (let v = Math.ceil(lo / s) * s; v <= hi + 1e-9; v += s) out.push(v);
  return out;
}

export interface Series {
  name: string;
  points: [number, number][];
}

export interface LinePanel {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
}

/** One or more line-chart panels side by side. */
export function lineChart(panels: LinePanel[], w = 420, h = 300): string {
  const parts = panels.map((p, k) => {
    const [L, R, T, B] = [55, 10, 30, 45];
    const xs = p.series.flatMap((s) => s.points.map((q) => q[0]));
    const ys = p.series.flatMap((s) => s.points.map((q) => q[1])).filter(Number.isFinite);
    const fx = (x: number) => (p.logX ? Math.log2(x) : x);
    const [x0, x1] = [Math.min(...xs.map(fx)), Math.max(...xs.map(fx))];
    const y1 = Math.max(...ys, 1e-9) * 1.08;
    const px = (x: number) => L + ((fx(x) - x0) / (x1 - x0 || 1)) * (w - L - R);
    const py = (y: number) => h - B - (y / y1) * (h - T - B);
    const g: string[] = [`<g transform="translate(${k * w},0)">`, `<text x="${w / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(p.title)}</text>`];
    for (const t of ticks(0, y1)) g.push(`<line x1="${L}" x2="${w - R}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/><text x="${L - 4}" y="${py(t) + 4}" text-anchor="end">${num(t)}</text>`);
    for (const x of [...new Set(xs)].sort((a, b) => a - b)) g.push(`<text x="${px(x)}" y="${h - B + 15}" text-anchor="middle">${x}</text>`);
    g.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${h - B}" stroke="#333"/><line x1="${L}" x2="${w - R}" y1="${h - B}" y2="${h - B}" stroke="#333"/>`);
    g.push(`<text x="${(L + w - R) / 2}" y="${h - 8}" text-anchor="middle">${esc(p.xLabel)}</text><text transform="translate(14,${(T + h - B) / 2}) rotate(-90)" text-anchor="middle">${esc(p.yLabel)}</text>`);
    p.series.forEach((s, i) => {
      const pts = s.points.filter((q) => Number.isFinite(q[1])).sort((a, b) => a[0] - b[0]);
      const c = COLORS[i % COLORS.length];
      g.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.map((q) => `${px(q[0]).toFixed(1)},${py(q[1]).toFixed(1)}`).join(' ')}"/>`);
      for (const q of pts) g.push(`<circle cx="${px(q[0]).toFixed(1)}" cy="${py(q[1]).toFixed(1)}" r="3" fill="${c}"/>`);
      g.push(`<rect x="${L + 8}" y="${T + 4 + i * 15}" width="10" height="10" fill="${c}"/><text x="${L + 22}" y="${T + 13 + i * 15}">${esc(s.name)}</text>`);
    });
    g.push('</g>');
    return g.join('\n');
  });
  return svg(w * panels.length, h, parts.join('\n'));
}

export interface BarChart {
  title: string;
  yLabel: string;
  categories: string[];
  series: { name: string; values: number[] }[];
  stacked?: boolean;
  yMax?: number;
}

/** Grouped (or stacked) bars: one group per category, one bar (or segment) per series. */
export function barChart(c: BarChart, w = 640, h = 320): string {
  const [L, R, T, B] = [55, 10, 30, 60];
  const totals = c.categories.map((_, j) => (c.stacked ? c.series.reduce((a, s) => a + Math.max(0, s.values[j] ?? 0), 0) : Math.max(...c.series.map((s) => s.values[j] ?? 0))));
  const y1 = c.yMax ?? Math.max(...totals, 1e-9) * 1.1;
  const py = (y: number) => h - B - (Math.min(y, y1) / y1) * (h - T - B);
  const gw = (w - L - R) / c.categories.length;
  const bw = c.stacked ? gw * 0.6 : (gw * 0.8) / c.series.length;
  const g: string[] = [`<text x="${w / 2}" y="18" text-anchor="middle" font-weight="bold">${esc(c.title)}</text>`];
  for (const t of ticks(0, y1)) g.push(`<line x1="${L}" x2="${w - R}" y1="${py(t)}" y2="${py(t)}" stroke="#eee"/><text x="${L - 4}" y="${py(t) + 4}" text-anchor="end">${num(t)}</text>`);
  c.categories.forEach((cat, j) => {
    let base = 0;
    c.series.forEach((s, i) => {
      const v = Math.max(0, s.values[j] ?? 0);
      const x = c.stacked ? L + j * gw + gw * 0.2 : L + j * gw + gw * 0.1 + i * bw;
      const [top, bottom] = c.stacked ? [py(base + v), py(base)] : [py(v), py(0)];
      g.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(0, bottom - top).toFixed(1)}" fill="${COLORS[i % COLORS.length]}"><title>${esc(`${cat} ${s.name}: ${num(v)}`)}</title></rect>`);
      if (!c.stacked) g.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${(top - 3).toFixed(1)}" text-anchor="middle" font-size="9">${num(v)}</text>`);
      base += v;
    });
    if (c.stacked) g.push(`<text x="${(L + j * gw + gw / 2).toFixed(1)}" y="${(py(base) - 3).toFixed(1)}" text-anchor="middle" font-size="9">${num(base)}</text>`);
    g.push(`<text x="${(L + j * gw + gw / 2).toFixed(1)}" y="${h - B + 14}" text-anchor="middle" font-size="10">${esc(cat)}</text>`);
  });
  g.push(`<line x1="${L}" x2="${L}" y1="${T}" y2="${h - B}" stroke="#333"/><line x1="${L}" x2="${w - R}" y1="${h - B}" y2="${h - B}" stroke="#333"/>`);
  g.push(`<text transform="translate(14,${(T + h - B) / 2}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`);
  c.series.forEach((s, i) => g.push(`<rect x="${L + i * 130}" y="${h - 22}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${L + 14 + i * 130}" y="${h - 13}">${esc(s.name)}</text>`));
  return svg(w, h, g.join('\n'));
}

function svg(w: number, h: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif" font-size="11">\n<rect width="100%" height="100%" fill="white"/>\n${body}\n</svg>\n`;
}
