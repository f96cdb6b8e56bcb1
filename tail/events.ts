/**
 * From one Workers trace event (what a Tail Worker receives per gateway invocation) to one observation of
 * an edge run: the invocation's CPU time, paired with the model, variant and items the gateway logged for
 * it in its request line (schema: src/latency/request-line.ts). In production Workers `Date.now()` and `performance.now()` do not
 * advance during CPU work, so the isolate cannot time its own inference; the runtime's `cpuTime` can.
 * Everything else is skipped with a reason, counted, never learned from: failed, origin-served, cold-load,
 * batched runs, and bodies padded far past their tensors (whose parse CPU the sender controls).
 */
import type { RequestLogLine } from '../src/latency/request-line.js';
import { parseRequestLine } from '../src/latency/request-line.js';
import { parseServerTiming } from '../src/lib/server-timing.js';
import { VariantName } from '../src/registry/manifest.js';

/**
 * The parts of a TraceItem (@cloudflare/workers-types) this reads. `event` and log messages are checked
 * at run time: trace events are data from outside, and the same shape arrives through Logpush.
 */
export interface TraceEvent {
  scriptName: string | null;
  outcome: string;
  cpuTime: number;
  wallTime: number;
  event: object | null;
  logs: readonly { message: unknown; level: string }[];
}

/** One edge run the gateway served alone in its invocation: CPU ms for `items` items. */
export interface Observation {
  colo: string;
  model: string;
  variant: VariantName;
  items: number;
  cpu_ms: number;
  /** What the gateway predicted for what ran, when it logged one. */
  predicted_ms?: number | undefined;
  /** Who asked (the gateway's non-secret caller id), so each caller is one vote in a fit (aggregate.ts). */
  caller?: string | undefined;
}

/**
 * How much larger than its input tensors a body may be and still teach the model's cost: JSON spends up to
 * ~24 characters on a 4-byte float ("-1.2345678901234567e-05,"), so 8x plus a few KB of envelope holds every
 * honest encoding; whitespace or parameters padded past that cost their sender CPU the model never spent.
 */
export const MAX_BODY_RATIO = 8;
const BODY_SLACK_BYTES = 4096;

export const SKIP_REASONS = ['not_fetch', 'no_log', 'failed', 'not_measured', 'origin', 'cold_load', 'shared_run', 'no_items', 'padded_body'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** The gateway's request line among an invocation's logs (a message is console.log's arguments). */
export function requestLine(logs: TraceEvent['logs']): RequestLogLine | undefined {
  for (const log of logs) {
    for (const part of Array.isArray(log.message) ? log.message : [log.message]) {
      const line = parseRequestLine(part);
      if (line) return line;
    }
  }
  return undefined;
}

/** The colo of a fetch event (`request.cf.colo`), "unknown" where the runtime gave none. */
function coloOf(event: object): string {
  const cf = isObject(event) && isObject(event.request) ? event.request.cf : undefined;
  return isObject(cf) && typeof cf.colo === 'string' && cf.colo ? cf.colo : 'unknown';
}

/** What one trace event teaches, an observation or why it teaches nothing, under the Tail Worker's settings. */
export const observer = ({ maxBodyRatio = MAX_BODY_RATIO }: { maxBodyRatio?: number } = {}) => (trace: TraceEvent): Observation | { skip: SkipReason } => {
  const event = trace.event;
  if (!isObject(event) || !isObject((event as Record<string, unknown>).request)) return { skip: 'not_fetch' };
  if (trace.outcome !== 'ok') return { skip: 'failed' };
  const line = requestLine(trace.logs);
  if (line?.model === undefined) return { skip: 'no_log' };
  if (line.status !== 200) return { skip: 'failed' };
  // Local workerd (wrangler dev, miniflare) reports 0 for both; a real 0 ms CPU run still took wall time.
  if (trace.cpuTime <= 0 && trace.wallTime <= 0) return { skip: 'not_measured' };
  // An origin run's invocation CPU is the gateway's own work, not the model's.
  if (line.target !== 'edge' || !VariantName.safeParse(line.variant).success) return { skip: 'origin' };
  // Session creation (compile, weights) would land in the run's cost.
  const timings = parseServerTiming(line.server_timing);
  if ((timings['load'] ?? 0) > 0) return { skip: 'cold_load' };
  if (line.items === undefined || !(line.items > 0)) return { skip: 'no_items' };
  // A dynamic batch runs in one invocation for several requests: its CPU belongs to none of them alone.
  if (line.batch !== undefined && line.batch !== line.items) return { skip: 'shared_run' };
  // The invocation's CPU includes reading the body: one padded far past its tensors is its sender's cost.
  if (line.body_bytes !== undefined && line.tensor_bytes !== undefined && line.body_bytes > line.tensor_bytes * maxBodyRatio + BODY_SLACK_BYTES) return { skip: 'padded_body' };
  const predicted = timings['predicted'] ?? line.predicted_ms;
  return {
    colo: coloOf(event),
    model: line.model,
    variant: line.variant as VariantName,
    items: line.items,
    cpu_ms: trace.cpuTime,
    ...(predicted !== undefined ? { predicted_ms: predicted } : {}),
    ...(line.caller ? { caller: line.caller } : {}),
  };
};

/** What one trace event teaches under the default settings. */
export const observe = observer();
