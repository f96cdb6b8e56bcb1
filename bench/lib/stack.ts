/**
 * Starts and stops what a bench entry needs, on free 127.0.0.1 ports: the origin (onnxruntime-node) and
 * gateways in workerd (`wrangler dev`, one process group each). Every child is killed by process group on
 * normal exit, on an uncaught error and on SIGINT/SIGTERM, so a failed or interrupted run leaves nothing.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ORIGIN_ALLOCATOR_ENV } from '../../tools/lib/allocator.js';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const children = new Set<ChildProcess>();

function killGroup(c: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (c.pid === undefined || c.exitCode !== null || c.signalCode !== null) return;
  try {
    process.kill(-c.pid, signal);
  } catch {
    // already gone
  }
}

const buildDirs: string[] = [];

process.on('exit', () => {
  for (const c of children) killGroup(c, 'SIGKILL');
  for (const d of buildDirs) rmSync(d, { recursive: true, force: true });
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    for (const c of children) killGroup(c, 'SIGKILL');
    process.exit(130);
  });
}

/** A port the OS says is free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** Polls `url` until it answers 2xx or the deadline passes (no fixed sleeps). */
export async function waitReady(url: string, seconds: number, child?: ChildProcess, log?: () => string): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${url}: process exited (${child.exitCode})\n${log?.() ?? ''}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready within ${seconds} s\n${log?.() ?? ''}`);
}

export interface Running {
  url: string;
  /** Wall-clock ms from spawn to ready. */
  startMs: number;
  /** workerd's DevTools inspector (gateways only): bench/lib/cpu-profile.ts records the isolate's CPU profile. */
  inspectorPort?: number;
  /** The launched process (a process group leader): bench/lib/proc-cpu.ts finds its workerd under it. */
  pid?: number;
  stop(): Promise<void>;
}

function launch(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; log: () => string } {
  const child = spawn(cmd, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(child);
  let tail = '';
  const keep = (b: Buffer) => {
    tail = (tail + b.toString()).slice(-4000);
    if (process.env.BENCH_VERBOSE) process.stderr.write(b);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  child.on('exit', () => children.delete(child));
  return { child, log: () => tail };
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    killGroup(child, 'SIGTERM');
    const t = setTimeout(() => killGroup(child, 'SIGKILL'), 3000);
    await gone;
    clearTimeout(t);
  };
}

/** The shared secret between the bench's gateway and origin (both run here, on 127.0.0.1). */
export const BENCH_ORIGIN_TOKEN = randomBytes(16).toString('hex');

/**
 * The origin server (origin/server.ts on onnxruntime-node); it loads every model before it is ready. Its
 * per-caller rate limit is lifted unless `ratePerMinute` sets one: every bench caller shares one token, and a
 * load test would otherwise measure the limiter (429s) instead of the origin.
 */
export async function startOrigin(opts: { ratePerMinute?: number } = {}): Promise<Running> {
  const port = await freePort();
  const t0 = performance.now();
  const rate = String(opts.ratePerMinute ?? 100_000_000);
  const { child, log } = launch(process.execPath, ['--import', 'tsx', 'origin/server.ts', '--port', String(port), '--host', '127.0.0.1', '--rate-limit', rate], { ORIGIN_TOKEN: BENCH_ORIGIN_TOKEN, ...ORIGIN_ALLOCATOR_ENV });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}/v2/health/ready`, 180, child, log);
  return { url, startMs: performance.now() - t0, stop: stopper(child) };
}

export interface GatewayOptions {
  /** wrangler config, relative to the repo root: ./wrangler.toml or bench/wrangler.bench.toml. */
  config?: string;
  originUrl?: string;
  /** The full GATEWAY_CONFIG (replaces [vars.GATEWAY_CONFIG]); see gatewayConfig(). */
  gatewayConfig: Record<string, unknown>;
  /**
   * What to poll until the gateway is up (default /v2/health/live, which reaches the gateway and so is its
   * isolate's first request); the bench Worker's /__ping answers without reaching the gateway.
   */
  readyPath?: string;
}

const snapshots = new Map<string, Promise<string>>();

/**
 * Bundles a wrangler config's Worker once per bench process (`wrangler deploy --dry-run --outdir`) and
 * returns a config that serves that bundle unbundled. wrangler dev otherwise rebuilds and restarts the
 * isolate whenever anyone saves a file under src/ or routes/, which would stall requests and drop loaded
 * sessions in the middle of a measurement.
 */
export function snapshot(config: string): Promise<string> {
  let p = snapshots.get(config);
  if (!p) {
    p = (async () => {
      const dir = mkdtempSync(join(tmpdir(), 'gateway-bench-'));
      buildDirs.push(dir);
      const { child, log } = launch('npx', ['wrangler', 'deploy', '--dry-run', '--outdir', dir, '-c', config], { WRANGLER_SEND_METRICS: 'false' });
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      if (code !== 0) throw new Error(`bundling ${config} failed (${code})\n${log()}`);
      const main = readFileSync(resolve(ROOT, config), 'utf8').match(/^main = "(.*)"$/m)?.[1] ?? 'src/worker.ts';
      const bundle = main.replace(/^.*\//, '').replace(/\.ts$/, '.js');
      const assets = resolve(ROOT, config, '..', readFileSync(resolve(ROOT, config), 'utf8').match(/^directory = "(.*)"$/m)?.[1] ?? './models');
      const toml = readFileSync(resolve(ROOT, config), 'utf8')
        .replace(/^main = .*$/m, `main = "${bundle}"\nno_bundle = true\nfind_additional_modules = true`)
        .replace(/^directory = .*$/m, `directory = ${JSON.stringify(assets)}`);
      const path = join(dir, 'wrangler.toml');
      writeFileSync(path, toml);
      return path;
    })();
    snapshots.set(config, p);
  }
  return p;
}

/** A gateway in workerd via `wrangler dev`, sharing the repo's local R2 state (seeded by seedModels()). */
export async function startGateway(opts: GatewayOptions): Promise<Running> {
  const config = await snapshot(opts.config ?? 'wrangler.toml');
  const [port, inspector] = [await freePort(), await freePort()];
  const args = [
    'wrangler', 'dev', '-c', config, '--ip', '127.0.0.1', '--port', String(port), '--inspector-port', String(inspector),
    '--persist-to', resolve(ROOT, '.wrangler/state'), '--show-interactive-dev-session=false', '--log-level', 'warn',
    '--var', `GATEWAY_CONFIG:${JSON.stringify(opts.gatewayConfig)}`,
    '--var', 'ADMIN_OPEN:true',
    ...(opts.originUrl ? ['--var', `ORIGIN_URL:${opts.originUrl}`, '--var', `ORIGIN_TOKEN:${BENCH_ORIGIN_TOKEN}`] : ['--var', 'ORIGIN_URL:']),
  ];
  const t0 = performance.now();
  const { child, log } = launch('npx', args, { WRANGLER_SEND_METRICS: 'false' });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(`${url}${opts.readyPath ?? '/v2/health/live'}`, 120, child, log);
  return { url, startMs: performance.now() - t0, inspectorPort: inspector, pid: child.pid!, stop: stopper(child) };
}

/** Stops everything still running (entries call it in `finally`). */
export async function stopAll(): Promise<void> {
  await Promise.all([...children].map((c) => stopper(c)()));
}
