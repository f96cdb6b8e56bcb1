/**
 * `npm start`: brings up the whole stack on this machine. Prepares the bundled models, builds the catalog,
 * seeds the local R2 bucket, then runs the origin (onnxruntime-node) and the gateway (wrangler dev, i.e.
 * workerd) side by side under a supervisor (a crashed process is restarted with backoff while the other keeps
 * serving), prints when both are ready, and stops both only on Ctrl-C.
 * Node-only; never imported by the Worker. Ports: GATEWAY_PORT (8787), ORIGIN_PORT (8788).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { ORIGIN_ALLOCATOR_ENV } from '../lib/allocator.js';
import { seedR2 } from './seed-r2.js';
import { Supervised } from './supervisor.js';

const gatewayPort = Number(process.env.GATEWAY_PORT ?? 8787);
const originPort = Number(process.env.ORIGIN_PORT ?? 8788);
const originUrl = `http://127.0.0.1:${originPort}`;
const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
const services: Supervised[] = [];

function step(title: string, cmd: string, args: string[]): void {
  console.log(`> ${title}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`start: '${title}' failed`);
    process.exit(r.status ?? 1);
  }
}

function supervise(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Supervised {
  const s = new Supervised({ name, command, args, env });
  s.start();
  services.push(s);
  return s;
}

let stopping = false;
/** Ctrl-C (or a failed start) is the only way the stack stops: a crashed service is restarted instead. */
function stopAll(code: number): void {
  if (stopping) return;
  stopping = true;
  for (const s of services) s.stop();
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
// A fresh shared secret per run unless one is given: the origin answers only the gateway.
const originToken = process.env.ORIGIN_TOKEN || randomBytes(24).toString('base64url');
supervise('origin', process.execPath, ['--import', 'tsx', 'origin/server.ts', '--port', String(originPort)], { ORIGIN_TOKEN: originToken, ...ORIGIN_ALLOCATOR_ENV });
supervise('gateway', 'npx', ['wrangler', 'dev', '--ip', '127.0.0.1', '--port', String(gatewayPort), '--var', `ORIGIN_URL:${originUrl}`, '--var', `ORIGIN_TOKEN:${originToken}`, '--var', 'ADMIN_OPEN:true', '--show-interactive-dev-session=false'], {
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
  console.log('WARNING: local stack: /admin, /metrics and /dashboard are OPEN without a token (ADMIN_OPEN=true).');
  console.log('         A deploy without auth.admin_token_sha256 answers them 403. Never set ADMIN_OPEN in production.');
  console.log('         Inference answers anyone too (no API keys: the gateway logs anonymous_inference); see docs/operations.md.\n');
}
