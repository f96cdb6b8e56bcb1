/**
 * A small real HTTP server speaking the gateway's device contract (issue 13) for the SDK's tests before
 * the gateway's own routes land: `GET /v2/models/{model}/device` answers the plan the test sets, the
 * artifact route serves the real variant file of models/<model>/ with its real sha256 (strong ETag,
 * immutable, 304, 206, 403 when forbidden), and every other path (infer) is passed to the real origin
 * (origin/server.ts on onnxruntime-node) started in this process on 127.0.0.1. Nothing is mocked but the
 * plan's numbers; the test can tamper with an artifact's bytes to prove the SDK refuses them.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startOrigin } from '../../origin/server.js';
import type { DevicePlan } from '../../sdk/src/types.js';

export const MODELS = resolve('models');
export const API_KEY = 'sdk-test-key';

export interface ContractState {
  /** The plan to answer (per request: the query is given). */
  plan: (query: URLSearchParams) => DevicePlan | { status: number; error: string };
  planCacheControl: string;
  /** Replace an artifact's bytes on the way out (the sha256 in the plan stays the real one). */
  tamper?: (bytes: Buffer) => Buffer;
  /** Answer the artifact route 403 with this reason. */
  forbid?: string;
  /** Every request's method and path with query, in order. */
  log: string[];
}

export interface ContractServer {
  url: string;
  state: ContractState;
  variantFile(model: string, variant: string): { bytes: Buffer; sha256: string; url: string };
  /** A device plan for mnist's `variant` with the file's real size and sha256. */
  devicePlan(variant: string, over?: Partial<DevicePlan>): DevicePlan;
  edgePlan(reason: string): DevicePlan;
  close(): Promise<void>;
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export async function startContractServer(port: number): Promise<ContractServer> {
  // The origin serves mnist only: a models folder holding a link to the real one.
  const dir = mkdtempSync(join(tmpdir(), 'sdk-models-'));
  symlinkSync(join(MODELS, 'mnist'), join(dir, 'mnist'));
  const origin = await startOrigin({ port: 0, host: '127.0.0.1', modelsDir: dir, token: API_KEY });
  const manifest = (model: string) => JSON.parse(readFileSync(join(MODELS, model, 'manifest.json'), 'utf8')) as { version: string; variants: Record<string, { file: string }> };
  const artifactPath = (model: string, variant: string) => `/v2/models/${model}/versions/${manifest(model).version}/variants/${variant}/artifact`;
  const variantFile = (model: string, variant: string) => {
    const bytes = readFileSync(join(MODELS, model, manifest(model).variants[variant]!.file));
    return { bytes, sha256: sha(bytes), url: artifactPath(model, variant) };
  };
  const state: ContractState = { plan: () => ({ status: 404, error: 'no plan set' }), planCacheControl: 'private, max-age=60', log: [] };

  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };

  async function proxy(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'content-length') headers[k] = v;
    const up = await fetch(`${origin.url}${req.url}`, { method: req.method!, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
    const out: Record<string, string> = {};
    up.headers.forEach((v, k) => k !== 'content-length' && k !== 'content-encoding' && k !== 'transfer-encoding' && (out[k] = v));
    const body = Buffer.from(await up.arrayBuffer());
    res.writeHead(up.status, out);
    res.end(body);
  }

  function handle(req: IncomingMessage, res: ServerResponse) {
    const u = new URL(req.url!, 'http://127.0.0.1');
    state.log.push(`${req.method} ${u.pathname}${u.search}`);
    const plan = /^\/v2\/models\/([^/]+)\/device$/.exec(u.pathname);
    if (plan && req.method === 'GET') {
      const p = state.plan(u.searchParams);
      if ('error' in p) return json(res, p.status, { error: p.error });
      return json(res, 200, p, { 'cache-control': state.planCacheControl, vary: 'Device-Memory, ECT, Downlink, RTT, Save-Data, Sec-CH-UA-Mobile' });
    }
    const art = /^\/v2\/models\/([^/]+)\/versions\/([^/]+)\/variants\/([^/]+)\/artifact$/.exec(u.pathname);
    if (art && req.method === 'GET') {
      if (state.forbid) return json(res, 403, { error: state.forbid });
      const f = variantFile(art[1]!, art[3]!);
      const etag = `"${f.sha256}"`;
      const headers = { etag, 'cache-control': 'public, max-age=31536000, immutable', 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers);
        return res.end();
      }
      const bytes = state.tamper ? state.tamper(Buffer.from(f.bytes)) : f.bytes;
      res.writeHead(200, { ...headers, 'content-length': String(bytes.byteLength) });
      return res.end(bytes);
    }
    proxy(req, res).catch((e) => json(res, 502, { error: String(e) }));
  }

  const server: Server = createServer(handle);
  await new Promise<void>((ok) => server.listen(port, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${port}`;
  const devicePlan = (variant: string, over: Partial<DevicePlan> = {}): DevicePlan => {
    const f = variantFile('mnist', variant);
    return {
      model: 'mnist',
      version: manifest('mnist').version,
      target: 'device',
      variant,
      artifact: { url: f.url, bytes: f.bytes.byteLength, sha256: f.sha256 },
      expected_ms: { device: 12, download: 10, device_run: 2, edge: 60 },
      reason: `${variant} fits this device`,
      hints: {},
      ...over,
    };
  };
  const edgePlan = (reason: string): DevicePlan => ({
    model: 'mnist', version: manifest('mnist').version, target: 'edge', variant: null, artifact: null,
    expected_ms: { device: null, download: null, device_run: null, edge: 60 }, reason, hints: {},
  });
  return {
    url,
    state,
    variantFile,
    devicePlan,
    edgePlan,
    close: async () => {
      await new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections?.();
      await origin.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
