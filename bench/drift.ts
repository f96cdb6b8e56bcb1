/**
 * `npm run bench:drift`: does production monitoring catch a variant that drift has pushed below its floor,
 * how fast, at what cost, and does a broken canary get rolled back before it reaches many callers?
 *
 * 1. Drift: a stream of four-digit mnist requests moves away from what `int8s` (a static int8 calibrated on
 *    clean digits) was calibrated on (bench/drift/traffic.ts). Two gateways, monitoring off and on at the
 *    default shadow rate, get the same requests interleaved, in process through the real data plane
 *    (bench/drift/replay.ts). Answers served by int8s while it is truly below the floor, and how many
 *    requests, checked requests and seconds after the drop the monitor demoted it.
 * 2. Canary: `broken` (the reference with shuffled weights) as a 5% canary on clean traffic.
 * 3. Cost: the Worker in workerd with monitoring off, on at the default rate and on for every request,
 *    interleaved: client p50/p99, isolate CPU per request, predicted shadow compute against serving compute,
 *    origin calls (bench/drift/latency.ts).
 * Prints the tables and writes bench/results/drift.json. DRIFT_SCALE (default 1) scales the request counts.
 */
import { rmSync } from 'node:fs';
import { startGateway, type LocalGateway } from '../test/setup/gateway.js';
import { loadAllDigits, splitDigits } from '../tools/lib/digits.js';
import { isMain, runEntry } from './lib/entry.js';
import { writeResult } from './lib/results.js';
import { r3, table } from './lib/stats.js';
import { driftFolder } from './drift/folder.js';
import { latencyArms } from './drift/latency.js';
import { metric, replay } from './drift/replay.js';
import { stream, truth, type Phase } from './drift/traffic.js';

const SCALE = Number(process.env.DRIFT_SCALE ?? 1);
const FLOOR = 0.95;
const n = (x: number) => Math.max(10, Math.round(x * SCALE));
const PHASES: Phase[] = [
  { name: 'clean', level: 0, requests: n(3000) },
  { name: 'mild (σ 0.075, ±3°)', level: 0.15, requests: n(3000) },
  { name: 'drifted (σ 0.25, ±10°)', level: 0.5, requests: n(30_000) },
  { name: 'heavy (σ 0.5, ±20°)', level: 1, requests: n(10_000) },
];

/**
 * mnist served by int8s: ops allow it next to fp32 with a `fidelity_tolerance` that makes the two equally
 * faithful offline, and int8s is predicted faster at 4 items (the bundled int8's profile), so it serves until
 * it is demoted, then fp32 does. No batching: its wait for company would make the two predictions equal.
 */
const served = { variants: ['int8s', 'fp32'], fidelity_tolerance: 0.005, slo_ms: 1000, batching: false, monitoring: { floor: FLOOR } };
// Predictions from the manifests alone: on Node the learner would rank by onnxruntime-node's speed, not the edge's;
// at a 10x slower fleet, so mnist's 0.04 ms runs differ at the selector's 0.1 ms resolution. Both variants are
// loaded up front, as `edge.warm` does for a hot model (a cold one is charged its load and never wins).
const base = { learning: { enabled: false }, edge: { speed_factor: 10, warm: ['mnist/int8s', 'mnist/fp32'] } };

async function started(config: Record<string, unknown>, dir: string): Promise<LocalGateway> {
  const gw = await startGateway({ modelsDir: dir, config });
  await gw.plane.warm();
  return gw;
}

async function driftPart(dir: string, digits: ReturnType<typeof splitDigits>['train'], phaseTruth: number[]) {
  const off = await started({ ...base, monitoring: { enabled: false }, models: { mnist: served } }, dir);
  const on = await started({ ...base, models: { mnist: served } }, dir);
  try {
    const starts = PHASES.map((_, p) => PHASES.slice(0, p).reduce((s, x) => s + x.requests, 0));
    const below = phaseTruth.map((t) => t < FLOOR);
    const dropPhase = below.indexOf(true);
    const drop = starts[dropPhase]!;
    const t0 = performance.now();
    const arms = await replay({ off, on }, stream(digits, PHASES), 'int8s', [drop]);
    const seconds = (performance.now() - t0) / 1000;
    const phaseOf = (i: number) => starts.findLastIndex((s) => s <= i);
    const belowFloorAnswers = (arm: string) => arms[arm]!.served.filter((v, i) => v === 'int8s' && below[phaseOf(i)]).length;
    const perPhase = (arm: string) => PHASES.map((_, p) => arms[arm]!.served.filter((v, i) => v === 'int8s' && phaseOf(i) === p).length);
    const demoted = arms.on!.transitions.find((t) => t.variant === 'int8s' && t.to === 'demoted');
    const mark = arms.on!.marks[drop]!;
    return {
      seconds: r3(seconds),
      drop_request: drop,
      below_floor_answers: { off: belowFloorAnswers('off'), on: belowFloorAnswers('on') },
      int8s_answers_per_phase: { off: perPhase('off'), on: perPhase('on') },
      demotion: demoted
        ? { request: demoted.index, after_requests: demoted.index - drop + 1, after_checked_requests: demoted.sampled - mark.sampled, after_seconds: r3((demoted.at - mark.at) / 1000), reason: demoted.reason }
        : undefined,
      transitions: arms.on!.transitions.map(({ index, variant, to, reason }) => ({ index, variant, to, reason })),
      false_demotions_before_drop: arms.on!.transitions.filter((t) => t.to === 'demoted' && t.index < drop).length,
      shadow: {
        checked_requests: metric(on, 'gateway_shadow_comparisons_total'),
        predicted_cpu_ms: r3(metric(on, 'gateway_shadow_cpu_ms_total')),
        serving_predicted_ms: r3(arms.on!.servingMs),
        origin_calls: metric(on, 'gateway_shadow_origin_calls_total'),
        skipped: metric(on, 'gateway_shadow_skipped_total'),
      },
    };
  } finally {
    await Promise.all([off.close(), on.close()]);
  }
}

async function canaryPart(dir: string, digits: ReturnType<typeof splitDigits>['train'], requests: number) {
  const gw = await started({ ...base, models: { mnist: { variants: ['*'], slo_ms: 1000, monitoring: { floor: FLOOR }, canary: { variant: 'broken', share: 0.05 } } } }, dir);
  try {
    const arms = await replay({ canary: gw }, stream(digits, [{ name: 'clean', level: 0, requests }]), 'broken');
    const arm = arms.canary!;
    const rolled = arm.transitions.find((t) => t.variant === 'broken' && t.to === 'rolled_back');
    const canaryAnswers = arm.served.filter((v) => v === 'broken').length;
    return { requests, canary_share: 0.05, canary_answers: canaryAnswers, share_of_traffic: r3(canaryAnswers / requests), rolled_back_at_request: rolled?.index, reason: rolled?.reason, checked: metric(gw, 'gateway_shadow_comparisons_total', { role: 'canary' }) };
  } finally {
    await gw.close();
  }
}

export async function runDrift(): Promise<void> {
  const { train, test } = splitDigits(loadAllDigits(), 9000, 24);
  const folder = await driftFolder(test);
  try {
    const phaseTruth = await truth(train, PHASES, folder.sessions);
    table('int8s against fp32 per phase (truth, onnxruntime-node)', [['phase', 'requests', 'top-1 agreement', `below floor ${FLOOR}`], ...PHASES.map((p, i) => [p.name, p.requests, r3(phaseTruth[i]!), phaseTruth[i]! < FLOOR ? 'yes' : 'no'])]);
    const drift = await driftPart(folder.dir, train, phaseTruth);
    const cut = 1 - drift.below_floor_answers.on / Math.max(1, drift.below_floor_answers.off);
    table('drift: monitoring off vs on (default shadow rate 0.01)', [
      ['', 'off', 'on'],
      ['answers by int8s while below the floor', drift.below_floor_answers.off, drift.below_floor_answers.on],
      ...PHASES.map((p, i) => [`  int8s answers, ${p.name}`, drift.int8s_answers_per_phase.off[i], drift.int8s_answers_per_phase.on[i]]),
      ['demoted after (requests / checked / s)', '-', drift.demotion ? `${drift.demotion.after_requests} / ${drift.demotion.after_checked_requests} / ${drift.demotion.after_seconds}` : 'never'],
      ['shadow predicted CPU / serving', '-', `${drift.shadow.predicted_cpu_ms} / ${drift.shadow.serving_predicted_ms} ms`],
    ]);
    console.log(`below-floor answers cut by ${(cut * 100).toFixed(1)}%; ${drift.demotion?.reason ?? 'not demoted'}`);
    const canary = await canaryPart(folder.dir, train, n(10_000));
    table('canary: broken variant at a 5% share', [['requests', 'canary answers', 'share of traffic', 'rolled back at request', 'checked'], [canary.requests, canary.canary_answers, canary.share_of_traffic, canary.rolled_back_at_request, canary.checked]]);
    const latency = process.env.DRIFT_SKIP_LATENCY ? [] : await latencyArms(train, n(1500));
    const offCpu = latency[0]?.cpuPerRequestMs ?? NaN;
    table('cost in workerd (mnist by int8, fp32 reference), interleaved', [
      ['arm', 'p50 ms', 'p99 ms', 'isolate CPU / req ms', 'CPU vs off', 'checked', 'shadow predicted ms', 'origin calls'],
      ...latency.map((a) => [a.name, a.client.p50, a.client.p99, r3(a.cpuPerRequestMs), `${((a.cpuPerRequestMs / offCpu - 1) * 100).toFixed(1)}%`, a.comparisons, r3(a.shadowPredictedMs), a.originCalls]),
    ]);
    writeResult('drift', { floor: FLOOR, scale: SCALE, phases: PHASES.map((p, i) => ({ ...p, int8s_agreement: r3(phaseTruth[i]!) })), offline: folder.manifest.variants.int8s!.fidelity, drift: { ...drift, below_floor_cut: r3(cut) }, canary, latency });
  } finally {
    rmSync(folder.dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await runEntry('bench:drift', runDrift);
