/**
 * A fault-injecting proxy in front of the real origin, for the fault-injection suite. Modes, switched with
 * `POST /__fault {"mode": ...}`: pass (forward), kill (stop listening: connection refused), slow (answer
 * after `delay_ms`), error (HTTP 500), garbage (200 with a body that is not JSON), reset (destroy the
 * connection before answering), hang (never answer: a hung origin), throttle (answer 429 with Retry-After to
 * the caller id `caller` names, as the origin's per-caller rate limit would, and forward everyone else).
 * `GET /__fault` reports how many hung
 * requests are open, how many the caller abandoned (closed before an answer) and the `x-request-deadline-ms`
 * each one carried. Started by the workers tests' global setup on ORIGIN_TEST_PORT + 2 (control on + 3).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FaultMode = 'pass' | 'kill' | 'slow' | 'error' | 'garbage' | 'reset' | 'hang' | 'throttle';

/** What the proxy saw of hung requests (mode `hang`), for `GET /__fault`. */
export interface HangStats {
  hung: number;
  abandoned: number;
  deadlines: (string | null)[];
}

export interface FaultProxy {
  url: string;
  close(): Promise<void>;
}

export async function startFaultProxy(port: number, upstream: string): Promise<FaultProxy> {
  let mode: FaultMode = 'pass';
  let delayMs = 2000;
  let throttled: string | undefined;
  let listening = true;
  const sockets = new Set<Socket>();
  const stats: HangStats = { hung: 0, abandoned: 0, deadlines: [] };

  const data = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (mode === 'reset') return req.socket.destroy();
    if (mode === 'hang') {
      // Nothing is ever sent: only the caller can end it, by hanging up.
      stats.hung++;
      const deadline = req.headers['x-request-deadline-ms'];
      stats.deadlines.push(typeof deadline === 'string' ? deadline : null);
      res.once('close', () => {
        stats.hung--;
        stats.abandoned++;
      });
      return;
    }
    if (mode === 'error') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"injected failure"}');
    if (mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"outputs": [{"name": tru');
    if (mode === 'throttle' && req.headers['x-caller-id'] === throttled) {
      return void res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '42' }).end('{"error":"rate limit exceeded; retry in 42 s"}');
    }
    if (mode === 'slow') await new Promise((r) => setTimeout(r, delayMs));
    try {
      const forward: Record<string, string> = {};
      for (const h of ['authorization', 'content-type', 'x-model-variant', 'x-request-id', 'x-request-deadline-ms', 'x-caller-id', 'inference-header-content-length']) {
        const v = req.headers[h];
        if (typeof v === 'string') forward[h] = v;
      }
      const up = await fetch(`${upstream}${req.url}`, { method: req.method, headers: forward, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined });
      const headers: Record<string, string> = {};
      up.headers.forEach((v, k) => {
        // fetch has already decoded a compressed body: passing its content-encoding on would mislabel it.
        if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection' && k !== 'content-encoding') headers[k] = v;
      });
      res.writeHead(up.status, headers).end(Buffer.from(await up.arrayBuffer()));
    } catch {
      if (!res.destroyed) res.destroy();
    }
  });
  data.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const listen = () => new Promise<void>((r) => data.listen(port, '127.0.0.1', () => r()));
  await listen();

  // The control endpoint lives on its own port so that "kill" can really close the data port.
  const control = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method === 'GET') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { mode?: FaultMode; delay_ms?: number; caller?: string };
    const next = body.mode ?? 'pass';
    if (body.delay_ms) delayMs = body.delay_ms;
    throttled = body.caller;
    if (next === 'kill' && listening) {
      await new Promise<void>((r) => {
        data.close(() => r());
        for (const s of sockets) s.destroy();
      });
      listening = false;
    } else if (next !== 'kill' && !listening) {
      await listen();
      listening = true;
    }
    if (next === 'hang') Object.assign(stats, { abandoned: 0, deadlines: [] });
    mode = next;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ mode }));
  });
  await new Promise<void>((r) => control.listen(port + 1, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(data.address() as AddressInfo | null)?.port ?? port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise((r) => (listening ? data.close(r) : r(undefined))), new Promise((r) => control.close(r))]);
    },
  };
}
