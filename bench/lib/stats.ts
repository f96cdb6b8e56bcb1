/** Summaries, fixed-width tables and Server-Timing parsing for bench output; percentiles come from tools/lib. */
import { parseServerTiming } from '../../src/lib/server-timing.js';
import { percentile } from '../../tools/lib/percentile.js';

export interface Summary {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
}

export function summarize(xs: number[]): Summary {
  const n = xs.length;
  const mean = n ? xs.reduce((a, b) => a + b, 0) / n : NaN;
  return { n, mean: r3(mean), p50: r3(percentile(xs, 0.5)), p95: r3(percentile(xs, 0.95)), p99: r3(percentile(xs, 0.99)), min: r3(Math.min(...xs)), max: r3(Math.max(...xs)) };
}

export const r3 = (x: number) => (Number.isFinite(x) ? Math.round(x * 1000) / 1000 : x);
export const r2 = (x: number) => (Number.isFinite(x) ? Math.round(x * 100) / 100 : x);

/** Prints rows as an aligned text table (first row is the header) and returns it. */
export function table(title: string, rows: (string | number | null | undefined)[][]): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : (c ?? '-'))));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const out = [`\n== ${title}`, line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
  console.log(out);
  return out;
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(1) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toFixed(3);
}

/** Parses `server-timing` ("load;dur=1.2, infer;dur=3.4") into {load: 1.2, infer: 3.4}: the gateway's own parser. */
export const serverTiming = parseServerTiming;
