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

/** What batch 16 gives over batch 1 for one model: each batch's cost and the gain in items per CPU second. */
export interface BareGain {
  b1: BareBatchCost;
  b16: BareBatchCost;
  /** Median over rounds of (CPU per item at batch 1) / (CPU per item at batch 16). */
  gain: number;
  /** Each round's gain: their spread is the machine's noise. */
  gains: number[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const r1 = (x: number) => Math.round(x * 10) / 10;

/**
 * CPU cost of session.run at batch 1 and 16 for a batch-1 v2 JSON `body`, in the gateway's isolate, in
 * `rounds` interleaved pairs (1, 16, 1, 16, ...) so both batch sizes see the same outside load; the gain is
 * the median of the pairs' ratios and each cost the median of its rounds.
 */
export async function bareGain(gw: Running, model: string, variant: string, body: string, rounds = 3, ms = 1600): Promise<BareGain> {
  const plan: { batch: number; q: string; n: number }[] = [];
  for (const batch of [1, 16]) {
    const q = `model=${model}&variant=${variant}&batch=${batch}`;
    await call(gw, q, body, 3); // session, JIT, WASM heap growth
    const probe = await call(gw, q, body, 10);
    plan.push({ batch, q, n: Math.max(5, Math.round(ms / 4 / Math.max(probe.hostMs / 10, 0.01))) });
  }
  const perRun: number[][] = [[], []];
  for (let r = 0; r < rounds; r++) {
    for (const [i, { q, n }] of plan.entries()) {
      const short = await call(gw, q, body, n);
      const long = await call(gw, q, body, 4 * n);
      perRun[i]!.push(Math.max(1e-3, ((long.cpuMs - short.cpuMs) * 1000) / (3 * n)));
    }
  }
  const cost = (i: number): BareBatchCost => {
    const { batch, n } = plan[i]!;
    const run = median(perRun[i]!);
    return { batch, runs: 5 * n * rounds, cpu_us_per_run: r1(run), cpu_us_per_item: r1(run / batch), items_per_cpu_s: Math.round((1e6 * batch) / run) };
  };
  const gains = perRun[0]!.map((one, r) => Math.round(((one * 16) / perRun[1]![r]!) * 100) / 100);
  return { b1: cost(0), b16: cost(1), gain: median(gains), gains };
}
