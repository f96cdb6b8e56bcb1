/**
 * A minimal keep-alive HTTP client for timing single requests: first byte (response headers) and total,
 * measured with performance.now(). Only 127.0.0.1 targets are allowed; every call has a timeout.
 */
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface Timed {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  ttfbMs: number;
  totalMs: number;
}

export function assertLoopback(url: string): URL {
  const u = new URL(url);
  if (u.hostname !== '127.0.0.1') throw new Error(`bench traffic goes to 127.0.0.1 only, not ${u.hostname}`);
  return u;
}

type RequestOptions = { method?: string; body?: string; headers?: Record<string, string>; timeoutMs?: number };

/**
 * Sends one request and times it; rejects after `timeoutMs`. Retried once, on a fresh connection, only
 * when a reused keep-alive socket turns out to be closed by the server before any answer (a client race).
 */
export async function timedRequest(url: string, opts: RequestOptions = {}): Promise<Timed> {
  try {
    return await once(url, opts, agent);
  } catch (e) {
    if ((e as { reused?: boolean }).reused) return once(url, opts, false);
    throw e;
  }
}

function once(url: string, opts: RequestOptions, via: http.Agent | false): Promise<Timed> {
  const u = assertLoopback(url);
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    let ttfb = 0;
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname + u.search, method: opts.method ?? (opts.body ? 'POST' : 'GET'), agent: via, headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) } },
      (res) => {
        ttfb = performance.now() - t0;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => ok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), ttfbMs: ttfb, totalMs: performance.now() - t0 }));
        res.on('error', fail);
      },
    );
    req.setTimeout(opts.timeoutMs ?? 30_000, () => req.destroy(new Error(`timeout after ${opts.timeoutMs ?? 30_000} ms: ${url}`)));
    req.on('error', (e: NodeJS.ErrnoException) => fail(Object.assign(e, { reused: req.reusedSocket && ttfb === 0 && (e.code === 'ECONNRESET' || e.code === 'EPIPE') })));
    req.end(opts.body);
  });
}

/** Reads the gateway's Prometheus text and returns the value of an unlabelled (or first) sample. */
export async function metricValue(gatewayUrl: string, name: string): Promise<number | undefined> {
  const res = await timedRequest(`${gatewayUrl}/metrics`);
  const line = res.body.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.trim().split(/\s+/).pop()) : undefined;
}

export function closeAgent(): void {
  agent.destroy();
}
