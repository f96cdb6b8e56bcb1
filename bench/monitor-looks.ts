/**
 * `npm run bench:looks`: what looking at the monitor's verdict after every shadow check costs (issue 24). The
 * verdict (src/monitor/verdict.ts) is a one-sided test at `monitoring.confidence` on a sliding window of
 * `monitoring.window` samples; looked at after every check, forever, a variant that is truly above its floor
 * is eventually demoted by chance, and the higher the confidence the later a real drop is caught. This replays
 * both, seeded, through the gateway's own `judge`: the share of runs in which a variant 0.5 to 1 point above
 * its floor is demoted within 10,000 checks, and how many checks after a drop below the floor it takes to demote.
 * One sample per check (a request of one row); requests of several rows decide sooner.
 */
import { judge } from '../src/monitor/verdict.js';
import { Prng } from '../tools/lib/prng.js';
import { isMain, runEntry } from './lib/entry.js';
import { writeResult } from './lib/results.js';
import { table } from './lib/stats.js';

const WINDOW = 400;
const MIN_SAMPLES = 30;

/**
 * Runs `trials` variants of true agreement `p` for up to `checks` checks of `rows` samples each (agreement
 * `before` for the first `change` checks, when given); the share demoted after the change, the share demoted
 * before it (by chance), and how many checks after the change it took.
 */
export function demotions(p: number, floor: number, confidence: number, checks: number, trials: number, o: { before?: number; change?: number; rows?: number; seed?: number } = {}): { share: number; early: number; median?: number; p90?: number } {
  const prng = new Prng(o.seed ?? 7);
  const change = o.change ?? 0;
  const taken: number[] = [];
  let early = 0;
  for (let t = 0; t < trials; t++) {
    const ring: number[] = [];
    let sum = 0;
    for (let i = 0; i < checks; i++) {
      for (let r = 0; r < (o.rows ?? 1); r++) {
        const x = prng.next() < (i < change ? (o.before ?? p) : p) ? 1 : 0;
        ring.push(x);
        sum += x;
        if (ring.length > WINDOW) sum -= ring.shift()!;
      }
      if (judge({ y: { metric: 'agreement', n: ring.length, sum, sumsq: sum } }, { floor, confidence, minSamples: MIN_SAMPLES }).status === 'below') {
        if (i < change) early++;
        else taken.push(i - change + 1);
        break;
      }
    }
  }
  taken.sort((a, b) => a - b);
  return { share: taken.length / trials, early: early / trials, ...(taken.length ? { median: taken[Math.floor(taken.length / 2)]!, p90: taken[Math.floor(taken.length * 0.9)]! } : {}) };
}

const CONFIDENCES = [0.99, 0.999, 0.9999];
const HEALTHY: [number, number][] = [[0.96, 0.95], [0.995, 0.99]];
const DROPS: [number, number][] = [[0.9, 0.95], [0.93, 0.95], [0.97, 0.99]];

export function looks(trials = 200) {
  return CONFIDENCES.map((c) => ({
    confidence: c,
    false_demotion_in_10k: Object.fromEntries(HEALTHY.map(([p, f]) => [`${p} vs floor ${f}`, demotions(p, f, c, 10_000, trials).share])),
    checks_to_demote: Object.fromEntries(DROPS.map(([p, f]) => [`${p} vs floor ${f}`, demotions(p, f, c, 2_000, trials)])),
    // bench:drift's drop: four-digit requests, int8s at 0.985 on mild drift, then 0.77.
    drift_bench_drop: demotions(0.77, 0.95, c, 2_300, trials, { before: 0.985, change: 300, rows: 4 }),
  }));
}

if (isMain(import.meta.url)) {
  await runEntry('looks', async () => {
    const rows = looks();
    const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
    table(`the monitor's verdict looked at after every check: window ${WINDOW}, min_samples ${MIN_SAMPLES}, 200 seeded runs per cell`, [
      ['confidence', ...HEALTHY.map(([p, f]) => `healthy ${p} vs ${f}: demoted within 10,000 checks`), ...DROPS.map(([p, f]) => `drop to ${p} vs ${f}: checks to demote, median / p90 (caught within 2,000)`), 'bench:drift\'s drop (0.985 to 0.77, 4 rows a check)'],
      ...rows.map((r) => [String(r.confidence), ...Object.values(r.false_demotion_in_10k).map(pct), ...Object.values(r.checks_to_demote).map((d) => `${d.median ?? '–'} / ${d.p90 ?? '–'} (${pct(d.share)})`), `${r.drift_bench_drop.median ?? '–'} / ${r.drift_bench_drop.p90 ?? '–'} (early ${pct(r.drift_bench_drop.early)})`]),
    ]);
    writeResult('looks', { window: WINDOW, min_samples: MIN_SAMPLES, trials: 200, rows });
  });
}
