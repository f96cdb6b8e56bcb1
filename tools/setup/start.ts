/**
 * `npm start`: brings up the whole stack on this machine. Prepares the bundled models, builds the catalog,
 * seeds the local R2 bucket, then runs the origin (onnxruntime-node) and the gateway (wrangler dev, i.e.
 * workerd) side by side, prints when both are ready, and stops both when either stops or on Ctrl-C.
 * Node-only; never imported by the Worker. Ports: GATEWAY_PORT (8787), ORIGIN_PORT (8788).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { seedR2 } from './seed-r2.js';

const gatewayPort = Number(process.env.GATEWAY_PORT ?? 8787);
const originPort = Number(process.env.ORIGIN_PORT ?? 8788);
const originUrl = `http://127.0.0.1:${originPort}`;
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
const children: ChildProcess[] = [];

function step(title: string, cmd: string, args: string[]): void {
  console.log(`> ${title}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`start: '${title}' failed`);
    process.exit(r.status ?? 1);
  }
}

function run(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
  const prefix = (line: string) => line && console.log(`[${name}] ${line}`);
  child.stdout!.on('data', (b: Buffer) => b.toString().split('\n').forEach(prefix));
  child.stderr!.on('data', (b: Buffer) => b.toString().split('\n').forEach(prefix));
  child.on('exit', (code) => {
    console.error(`start: ${name} exited (${code}); stopping the stack`);
    stopAll(code ?? 1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null && c.pid) {
    try {
      process.kill(-c.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  setTimeout(() => process.exit(code), 500).unref();
}

async function waitReady(url: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready within ${seconds} s`);
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));

step('models: verify bundled files, generate the large ones', 'npm', ['run', '--silent', 'models']);
step('catalog: validate manifests, choose bundled vs R2 files', 'npm', ['run', '--silent', 'catalog']);
console.log('> r2: seed the local bucket');
await seedR2('models');
run('origin', process.execPath, ['--import', 'tsx', 'origin/server.ts', '--port', String(originPort)]);
run('gateway', 'npx', ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', String(gatewayPort), '--var', `ORIGIN_URL:${originUrl}`, '--show-interactive-dev-session=false'], {
  WRANGLER_SEND_METRICS: 'false',
});
try {
  await Promise.all([waitReady(`${originUrl}/v2/health/ready`, 180), waitReady(`${gatewayUrl}/v2/health/ready`, 180)]);
} catch (e) {
  console.error(`start: ${(e as Error).message}`);
  stopAll(1);
}
if (!stopping) {
  console.log(`\nREADY  gateway ${gatewayUrl}  (workerd, onnxruntime-web)   origin ${originUrl}  (onnxruntime-node)`);
  console.log(`try:   curl -s ${gatewayUrl}/v2/models\n`);
}
