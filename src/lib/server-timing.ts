/**
 * The Server-Timing header (https://www.w3.org/TR/server-timing/), both ways: the gateway writes one on
 * every answer (routes/v2/headers.ts) and reads the origin's (origin client, feedback learner); the benches
 * read the gateway's. One parser, so all of them agree on what a header says.
 */

/** A header value from named durations (ms), in their order, two decimals; undefined ones are left out. */
export function formatServerTiming<T extends { [K in keyof T]: number | undefined }>(t: T): string {
  return Object.entries(t as Record<string, number | undefined>)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k};dur=${v!.toFixed(2)}`)
    .join(', ');
}

/**
 * The durations of a header, by metric name: `"load;dur=1.2, infer;desc=\"run\";dur=3.4"` → `{load: 1.2,
 * infer: 3.4}`. Parameters may come in any order; a metric without a finite, non-negative `dur` is left
 * out, and a repeated metric keeps its first value (as the spec says for duplicate parameters).
 */
export function parseServerTiming(header: string | null | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of (header ?? '').split(',')) {
    const [metric, ...params] = part.split(';').map((x) => x.trim());
    if (!metric || metric in out) continue;
    const dur = params.find((p) => /^dur\s*=/i.test(p));
    const ms = dur === undefined ? NaN : Number(dur.slice(dur.indexOf('=') + 1).trim().replace(/^"|"$/g, ''));
    if (Number.isFinite(ms) && ms >= 0) out[metric] = ms;
  }
  return out;
}
