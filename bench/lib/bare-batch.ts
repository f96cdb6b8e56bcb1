/**
 * Host side of POST /__bare_batch (bench/workers/overhead-worker.ts): what batching can give at all. The
 * bench Worker runs a batch-B copy of one request's input through session.run `n` times; workerd's CPU
 * from /proc around two calls (n and 4n runs, calibrated so the long one lasts about `ms`) gives CPU per
 * run with the HTTP call, the tensor building and the warm-up cancelled out, as in bench/lib/stages.ts.
 */
import { cpuMs, workerdOf } from './proc-cpu.js';
import type { Running } from './stack.js';

export interface BareBatchCost {
  batch: number;
  runs: number;
  /** workerd CPU µs per session.run of the whole batch. */
  cpu_us_per_run: number;
  cpu_us_per_item: number;
  /** Items per second of one core spent on session.run alone. */
  items_per_cpu_s: number;
}

async function call(gw: Running, q: string, body: string, n: number) {
  const { isolate } = workerdOf(gw.pid!);
  if (isolate.length !== 1) throw new Error(`expected one workerd with an inspector under the gateway, found ${isolate.length}`);
  const [c0, t0] = [cpuMs(isolate), performance.now()];
  const res = await fetch(`${gw.url}/__bare_batch?${q}&n=${n}`, { method: 'POST', body });
  const json = (await res.json()) as { iterations: number; error?: string };
  if (res.status !== 200) throw new Error(`/__bare_batch ${q} answered ${res.status}: ${json.error}`);
  return { cpuMs: cpuMs(isolate) - c0, hostMs: performance.now() - t0 };
}

/**
 * CPU cost of session.run at `batch` for a batch-1 v2 JSON `body`, in the gateway's isolate: the lower of
 * `rounds` measurements, since other load on the machine (sharing its caches) can only inflate CPU time.
 */
export async function bareBatchCost(gw: Running, model: string, variant: string, body: string, batch: number, ms = 2000, rounds = 2): Promise<BareBatchCost> {
  const q = `model=${model}&variant=${variant}&batch=${batch}`;
  await call(gw, q, body, 3); // session, JIT, WASM heap growth
  const probe = await call(gw, q, body, 10);
  const n = Math.max(5, Math.round(ms / 4 / Math.max(probe.hostMs / 10, 0.01)));
  let perRun = Infinity;
  for (let r = 0; r < rounds; r++) {
    const short = await call(gw, q, body, n);
    const long = await call(gw, q, body, 4 * n);
    perRun = Math.min(perRun, Math.max(1e-3, ((long.cpuMs - short.cpuMs) * 1000) / (3 * n)));
  }
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return { batch, runs: 5 * n * rounds, cpu_us_per_run: r1(perRun), cpu_us_per_item: r1(perRun / batch), items_per_cpu_s: Math.round((1e6 * batch) / perRun) };
}
