/**
 * The feedback path in the local stack: `wrangler dev` runs the real gateway (this repository's
 * wrangler.toml plus `tail_consumers`) and the Tail Worker (tail/wrangler.toml) side by side, as they would
 * deploy. Local workerd delivers every trace event with the gateway's log lines and `request.cf.colo`, but
 * reports 0 ms of CPU and wall time, so locally the Tail Worker pairs each inference with its request line
 * and counts it as not measured: nothing is learned and nothing published. What it would learn from real
 * times is covered on recorded events (events, aggregate and collector tests).
 */
import { spawn, type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../setup/net.js';

const ROOT = resolve(import.meta.dirname, '../..');
const WRANGLER = join(ROOT, 'node_modules/.bin/wrangler');
const run = promisify(execFile);
// Written next to the originals: wrangler resolves `main` and asset paths relative to the config file.
const GATEWAY_CONFIG = join(ROOT, `.wrangler-feedback-${process.pid}.toml`);
const TAIL_CONFIG = join(ROOT, 'tail', `.wrangler-local-${process.pid}.toml`);

let dev: ChildProcess | undefined;
let state = '';
let base = '';

async function kvGet(key: string): Promise<string | null> {
  const { stdout } = await run(WRANGLER, ['kv', 'key', 'get', key, '--binding', 'POLICY', '--local', '--persist-to', state, '-c', TAIL_CONFIG], { cwd: ROOT }).catch(() => ({ stdout: '' }));
  return stdout.trim() && !/not found/i.test(stdout) ? stdout.trim() : null;
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe().catch(() => undefined);
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  const gateway = await readFile(join(ROOT, 'wrangler.toml'), 'utf8');
  // Every answered inference logs its request line here (the deployment samples them: logging.request_sample_rate),
  // so the test knows how many lines the Tail Worker must receive.
  const withTail = gateway.replace(/^(compatibility_date = .*)$/m, `$1\ntail_consumers = [{ service = "gateway-feedback" }]`);
  await writeFile(GATEWAY_CONFIG, `${withTail}\n[vars.GATEWAY_CONFIG.logging]\nrequest_sample_rate = 1\n`);
  const tail = await readFile(join(ROOT, 'tail/wrangler.toml'), 'utf8');
  await writeFile(TAIL_CONFIG, tail.replace(/^FLUSH_INTERVAL_MS = .*$/m, 'FLUSH_INTERVAL_MS = "1"'));
  state = await mkdtemp(join(tmpdir(), 'feedback-local-'));
  const [port, closed] = [await freePort(), await freePort()];
  dev = spawn(WRANGLER, ['dev', '-c', GATEWAY_CONFIG, '-c', TAIL_CONFIG, '--ip', '127.0.0.1', '--port', String(port), '--persist-to', state, '--var', `ORIGIN_URL:http://127.0.0.1:${closed}`, '--log-level', 'error'], { cwd: ROOT, stdio: 'ignore', detached: true });
  base = `http://127.0.0.1:${port}`;
  await until('the gateway', async () => ((await fetch(`${base}/v2/health/ready`)).ok ? true : undefined), 90_000);
}, 120_000);

afterAll(async () => {
  if (dev?.pid) process.kill(-dev.pid, 'SIGTERM');
  await rm(GATEWAY_CONFIG, { force: true });
  await rm(TAIL_CONFIG, { force: true });
  if (state) await rm(state, { recursive: true, force: true });
}, 30_000);

describe('the Tail Worker next to the gateway under wrangler dev', () => {
  it('receives the gateway’s inferences with their request lines and, without CPU times, learns nothing', async () => {
    const samples = JSON.parse(await readFile(join(ROOT, 'models/mnist/samples.json'), 'utf8')) as { inputs: number[][] };
    const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: samples.inputs[0] }] });
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/v2/models/mnist/infer`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slo-ms': '10000', 'x-model-variant': 'int8' }, body });
      expect(res.status).toBe(200);
      await res.arrayBuffer();
    }
    const flushed = await until(
      'the Tail Worker’s window in KV',
      async () => {
        const raw = await kvGet('feedback-state');
        const s = raw ? (JSON.parse(raw) as { used: number; skipped: Record<string, number> }) : undefined;
        return s && (s.skipped.not_measured ?? 0) >= 2 ? s : undefined;
      },
      60_000,
    );
    expect(flushed.used).toBe(0);
    expect(await kvGet('policy')).toBeNull();
  }, 90_000);
});
