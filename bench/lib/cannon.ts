/**
 * One autocannon cell: fixed connections, bounded by duration and request count, with every response's
 * time checked against the SLO sent in `x-slo-ms` (autocannon's per-response 'response' event).
 */
import autocannon from 'autocannon';
import { assertLoopback } from './http.js';
import { percentile } from '../../tools/lib/percentile.js';
import { r2, r3 } from './stats.js';

export interface CellOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
  sloMs: number;
  maxRequests?: number;
}

export interface Cell {
  connections: number;
  seconds: number;
  requests: number;
  ok: number;
  errors: number;
  non2xx: number;
  timeouts: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  mean: number;
  slo_ms: number;
  slo_attainment: number;
  /** Responses by HTTP status. */
  statuses: Record<string, number>;
}

export function cell(o: CellOptions): Promise<Cell> {
  assertLoopback(o.url);
  const times: number[] = [];
  let ok = 0;
  let within = 0;
  const statuses: Record<string, number> = {};
  return new Promise((resolve, reject) => {
    const inst = autocannon(
      {
        url: o.url,
        method: 'POST',
        body: o.body,
        headers: { 'content-type': 'application/json', 'x-slo-ms': String(o.sloMs), ...o.headers },
        connections: o.connections,
        duration: o.seconds,
        maxOverallRequests: Math.max(o.connections, o.maxRequests ?? 20_000),
        timeout: 20,
      },
      (err, result) => {
        if (err) return reject(err);
        // Requests still in flight when the cell ended count as SLO misses.
        const total = Math.max(times.length + result.errors, result.requests.sent ?? 0);
        resolve({
          connections: o.connections,
          seconds: r2(result.duration),
          requests: total,
          ok,
          errors: result.errors,
          non2xx: result.non2xx,
          timeouts: result.timeouts,
          rps: r2(ok / result.duration),
          p50: r3(percentile(times, 0.5)),
          p95: r3(percentile(times, 0.95)),
          p99: r3(percentile(times, 0.99)),
          mean: r3(times.reduce((a, b) => a + b, 0) / Math.max(1, times.length)),
          slo_ms: o.sloMs,
          slo_attainment: r3(total ? within / total : 0),
          statuses,
        });
      },
    );
    inst.on('response', (_client, status, _bytes, responseTime) => {
      times.push(responseTime);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) {
        ok++;
        if (responseTime <= o.sloMs) within++;
      }
    });
  });
}
