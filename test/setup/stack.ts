/**
 * The whole stack as `npm start` runs it (tools/setup/start.ts: origin + gateway in workerd under its
 * supervisor), on free ports, for the end-to-end tests that drive it as a reader or an operator would; and
 * the poll-with-a-deadline they wait with (never a sleep).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './net.js';

/** A running stack: where it answers, everything it printed so far, and how to stop it. */
export interface RunningStack {
  gateway: string;
  origin: string;
  ports: { gateway: number; origin: number };
  /** stdout and stderr of the supervisor and both processes, as printed so far. */
  output(): string;
  stop(): Promise<void>;
}

/** Polls `probe` until it returns a value; past `seconds`, fails naming `what`, with `context` (e.g. the stack's output). */
export async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>, context: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not within ${seconds} s\n${context().slice(-3000)}`);
}

/** Starts the stack from `cwd` (the repository) and resolves once it prints READY. */
export async function startStack(cwd?: string): Promise<RunningStack> {
  const ports = { gateway: await freePort(), origin: await freePort() };
  let out = '';
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'tools/setup/start.ts'], {
    ...(cwd ? { cwd } : {}),
    env: { ...process.env, GATEWAY_PORT: String(ports.gateway), ORIGIN_PORT: String(ports.origin), WRANGLER_SEND_METRICS: 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stopping it reaches the origin and wrangler too.
    detached: true,
  });
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const output = () => out;
  const stop = async () => {
    if (!child.pid || child.exitCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    process.kill(-child.pid, 'SIGINT');
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    if (child.exitCode === null) process.kill(-child.pid, 'SIGKILL');
  };
  try {
    await until('READY', 240, async () => (out.includes('READY') ? true : undefined), output);
  } catch (e) {
    await stop();
    throw e;
  }
  return { gateway: `http://127.0.0.1:${ports.gateway}`, origin: `http://127.0.0.1:${ports.origin}`, ports, output, stop };
}
