/**
 * A pass-through proxy that adds a fixed delay before forwarding: stands in for the edge-to-origin round
 * trip that loopback lacks (origin.expected_rtt_ms in the config), so the router measures a real RTT.
 */
import http from 'node:http';
import { freePort } from './stack.js';

export async function startDelayProxy(upstream: string, delayMs: number): Promise<{ url: string; close(): Promise<void> }> {
  const up = new URL(upstream);
  const server = http.createServer((req, res) => {
    setTimeout(() => {
      // agent: false: a fresh connection each time, so an idle keep-alive socket the origin already closed is
      // never reused (that race would look like an origin failure to the gateway's circuit breaker).
      const fwd = http.request({ host: up.hostname, port: up.port, path: req.url, method: req.method, headers: req.headers, agent: false }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      fwd.on('error', () => res.destroy());
      req.pipe(fwd);
    }, delayMs);
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
