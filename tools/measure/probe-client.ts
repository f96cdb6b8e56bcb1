/**
 * Runs `probe.ts` in a fresh Node process (see there for why) and turns its result into the manifest's
 * latency profile, memory figure and, given evaluation feeds, the variant's outputs.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { LatencyProfile } from '../../src/registry/manifest.js';
import type { InterleaveRequest, InterleaveResult } from './interleave.js';
import type { ProbeRequest, ProbeResult } from './probe.js';
import { fitLatency } from './stats.js';

const PROBE = fileURLToPath(new URL('./probe.ts', import.meta.url));
const INTERLEAVE = fileURLToPath(new URL('./interleave.ts', import.meta.url));

/** The end of a child's stderr, from a line start: a message cut mid-name misleads more than a short one. */
const tail = (stderr: string) => stderr.slice(Math.max(0, stderr.lastIndexOf('\n', stderr.length - 1500) + 1));

/** Measures one variant in a child process; throws with the child's stderr if it fails. */
export function runProbe(req: ProbeRequest): ProbeResult {
  const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', PROBE, JSON.stringify(req)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (child.status !== 0) throw new Error(`probe failed for ${req.model} (exit ${child.status}):\n${tail(child.stderr)}`);
  const last = child.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as ProbeResult;
}

/** Measures several variants' latency interleaved in one child process (interleave.ts). */
export function runInterleaved(req: InterleaveRequest): InterleaveResult {
  const child = spawnSync(process.execPath, ['--import', 'tsx', INTERLEAVE, JSON.stringify(req)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (child.status !== 0) throw new Error(`interleaved probe failed (exit ${child.status}):\n${tail(child.stderr)}`);
  return JSON.parse(child.stdout.trim().split('\n').pop() ?? '') as InterleaveResult;
}

/** The manifest's latency profile from a probe result; `note` is appended to the runtime string. */
export function latencyProfile(result: ProbeResult, note = '', item?: LatencyProfile['item']): LatencyProfile {
  return {
    ...(item ? { item } : {}),
    runtime: `onnxruntime-web ${result.ortVersion} wasm${result.simd ? ' simd' : ''} 1 thread${note}`,
    measured_at: new Date().toISOString(),
    machine: `${cpus()[0]?.model.trim() ?? 'unknown cpu'}, node ${process.version}`,
    points: result.points,
    fit: fitLatency(result.points),
    load_ms: result.load_ms,
  };
}
