/**
 * The origin's RSS stays under its memory budget whatever is pinned. The real origin runs as its own process
 * (so /proc/<pid>/status VmRSS is its alone), launched as every launcher launches it (the allocator setting of
 * tools/lib/allocator.ts), with `origin_limits.memory_budget_bytes` holding one of transformer-large's big
 * variants at a time (counted: fp32 1011 MiB, fp16 924, int8 272). Its policy allows pins of all three; they
 * are pinned in turn, then all at once. RSS, sampled every 20 ms throughout, must stay within the budget plus
 * the idle process (the same server serving only mnist, measured first) plus a small slack; /metrics must
 * count the loaded variants within the budget at every step; and after each answer RSS must come back within
 * what is counted (plus the idle process and the slack): a released variant's memory leaves the process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import samples from '../../models/mnist/samples.json';
import { ORIGIN_ALLOCATOR_ENV } from '../../tools/lib/allocator.js';
import { freePort } from '../setup/net.js';
import { until } from '../setup/stack.js';

const MiB = 1024 * 1024;
/** fp32's 1011 MiB and mnist's fp32 fit; any second big variant does not. */
const BUDGET = 1100 * MiB;
/** What the process may grow by besides the sessions (JIT code, heap, sockets) in a minute of serving. */
const SLACK = 64 * MiB;
const TOKEN = 'memory-test-secret';
const ADMIN = 'memory-test-admin';

interface Origin {
  url: string;
  rss(): number;
  stop(): Promise<void>;
}

const dirs: string[] = [];
const running: ChildProcess[] = [];

/** The origin server as a process over a models folder holding only `models`. */
async function launch(models: string[], config: Record<string, unknown> = {}): Promise<Origin> {
  const dir = mkdtempSync(join(tmpdir(), 'origin-memory-'));
  dirs.push(dir);
  for (const m of models) symlinkSync(resolve('models', m), join(dir, m));
  const port = await freePort();
  const env = { ...process.env, ORIGIN_TOKEN: TOKEN, ORIGIN_ADMIN_TOKEN: ADMIN, ORIGIN_CONFIG: JSON.stringify(config), ...ORIGIN_ALLOCATOR_ENV };
  const child = spawn(process.execPath, ['--import', 'tsx', 'origin/server.ts', '--port', String(port), '--models', dir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const url = `http://127.0.0.1:${port}`;
  await until('the origin ready', 180, async () => ((await fetch(`${url}/v2/health/ready`)).ok ? true : undefined), () => out);
  return {
    url,
    rss: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

afterAll(() => {
  for (const c of running) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const ids = Array.from({ length: 8 }, (_, i) => 1000 + i * 7);
const tokens = { inputs: [{ name: 'input_ids', datatype: 'INT64', shape: [1, 8], data: ids }, { name: 'attention_mask', datatype: 'INT64', shape: [1, 8], data: ids.map(() => 1) }] };
const digit = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: (samples as { inputs: number[][] }).inputs[0] }] };

/** One pinned transformer-large request; the variant that answered it. */
async function pin(origin: Origin, variant: string): Promise<string> {
  const res = await fetch(`${origin.url}/v2/models/transformer-large/infer`, { method: 'POST', body: JSON.stringify(tokens), headers: { ...auth, 'x-model-variant': variant, 'x-request-deadline-ms': '170000' } });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return res.headers.get('x-model-variant')!;
}

/** The origin's own gauges. */
async function gauges(origin: Origin): Promise<Record<string, number>> {
  const text = await (await fetch(`${origin.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text();
  return Object.fromEntries([...text.matchAll(/^(origin_\w+|process_resident_memory_bytes)\{\} ([\d.e+]+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

const mib = (bytes: number) => Math.round(bytes / MiB);

describe('the origin under its memory budget', () => {
  it('keeps its RSS within the budget plus the idle process while every variant of transformer-large is pinned, in turn and at once', { timeout: 400_000 }, async () => {
    const idle = await launch(['mnist']);
    for (let i = 0; i < 10; i++) await (await fetch(`${idle.url}/v2/models/mnist/infer`, { method: 'POST', body: JSON.stringify(digit), headers: auth })).arrayBuffer();
    const base = idle.rss();
    await idle.stop();

    // Its own deadline limit is raised: pins queued behind another variant's 400 MB load wait for memory.
    const origin = await launch(['mnist', 'transformer-large'], {
      origin_limits: { memory_budget_bytes: BUDGET },
      origin: { timeout_ms: 180_000 },
      models: { 'transformer-large': { variants: ['fp32', 'fp16', 'int8'] } },
    });
    let peak = origin.rss();
    const sampler = setInterval(() => (peak = Math.max(peak, origin.rss())), 20);
    const steps: string[] = [];
    /** The counted bytes now, once RSS is back within them (plus the idle process and the slack), polled up to 5 s. */
    const settled = async (what: string) => {
      const g = await gauges(origin);
      expect(g.origin_resident_bytes).toBeLessThanOrEqual(BUDGET);
      const bound = base + g.origin_resident_bytes! + SLACK;
      const rss = await until(`RSS back within ${mib(bound)} MiB after ${what}`, 5, async () => (origin.rss() <= bound ? origin.rss() : undefined), () => `RSS ${mib(origin.rss())} MiB`).catch((e: Error) => e);
      steps.push(`${what}: counted ${mib(g.origin_resident_bytes!)}, RSS ${mib(origin.rss())}`);
      expect(rss).not.toBeInstanceOf(Error);
      return g;
    };
    try {
      // Ends with int8, the smallest: what fp32 and fp16 held must be gone from the process by then.
      for (const v of ['fp32', 'fp16', 'int8', 'fp32', 'fp16', 'int8']) {
        expect(await pin(origin, v)).toBe(v);
        await settled(v);
      }
      const inTurn = peak;
      const together = await Promise.all(['fp32', 'fp16', 'int8', 'int8', 'fp16', 'fp32'].map((v) => pin(origin, v)));
      expect(together).toEqual(['fp32', 'fp16', 'int8', 'int8', 'fp16', 'fp32']);
      const g = await settled('all at once');
      console.log(
        `origin memory: budget ${mib(BUDGET)} MiB + idle process ${mib(base)} MiB + slack ${mib(SLACK)} MiB = ${mib(BUDGET + base + SLACK)} MiB; ` +
          `peak RSS ${mib(inTurn)} MiB pinning in turn, ${mib(peak)} MiB with all pinned at once; after each answer (MiB): ${steps.join('; ')}`,
      );
      expect(g.origin_memory_budget_bytes).toBe(BUDGET);
      expect(g.process_resident_memory_bytes).toBeGreaterThan(0);
      expect(peak).toBeLessThanOrEqual(BUDGET + base + SLACK);
    } finally {
      clearInterval(sampler);
      await origin.stop();
    }
  });
});
