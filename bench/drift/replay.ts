/**
 * Replays the drift stream through the real app's data plane in this process (test/setup/gateway.ts: the
 * deployment's routes, data plane, selector, monitor and config schema, onnxruntime-node as the edge engine),
 * one gateway per arm, request by request, each request's shadow work (`waitUntil`) finished before the next
 * as between a Worker's invocations. Counts per arm which variant answered, and for the monitored arm when
 * its standing changed, after how many requests, checked ("sampled") requests and seconds.
 */
import type { LocalGateway } from '../../test/setup/gateway.js';
import type { InferContext } from '../../src/dataplane.js';
import { parseRequestBody } from '../../src/protocol/binary.js';
import { routingOf } from '../../src/select/request-params.js';
import type { DriftRequest } from './traffic.js';
import { DIGITS_PER_REQUEST } from './traffic.js';

/** A binary v2 body (Triton's extension) of one request's digits: no JSON number printing in the loop. */
export function binaryBody(pixels: Float32Array) {
  const header = new TextEncoder().encode(JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [DIGITS_PER_REQUEST, 784], parameters: { binary_data_size: pixels.byteLength } }] }));
  const body = new Uint8Array(header.byteLength + pixels.byteLength);
  body.set(header);
  body.set(new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength), header.byteLength);
  return { bytes: body, headerLength: String(header.byteLength) };
}

/** What one arm saw. */
export interface Arm {
  /** Variant that answered each request. */
  served: string[];
  /** Predicted compute of what served (ms), summed. */
  servingMs: number;
  /** For the monitored arm: each change of standing, at the request that was answered just before it. */
  transitions: { index: number; variant: string; to: string; reason: string; sampled: number; at: number }[];
  /** At each marked request: checked answers of the watched variant so far, and when (performance.now()). */
  marks: Record<number, { sampled: number; at: number }>;
}

/** A console.log that keeps the monitor's event lines and counts the shadow lines, printing neither. */
function quietLog(): { restore: () => void; events: Record<string, unknown>[]; shadows: () => number } {
  const original = console.log;
  const events: Record<string, unknown>[] = [];
  let shadows = 0;
  console.log = (...args: unknown[]) => {
    const line = typeof args[0] === 'string' ? args[0] : '';
    if (line.startsWith('{"event":"shadow"')) shadows++;
    else if (line.startsWith('{"event":"variant_state"')) events.push(JSON.parse(line) as Record<string, unknown>);
    else original(...args);
  };
  return { restore: () => void (console.log = original), events, shadows: () => shadows };
}

/** Sends every request to each gateway in turn (`arms` in order), returns what each arm saw. */
export async function replay(arms: Record<string, LocalGateway>, requests: Iterable<DriftRequest>, variant: string, marks: readonly number[] = []): Promise<Record<string, Arm>> {
  const out: Record<string, Arm> = Object.fromEntries(Object.keys(arms).map((k) => [k, { served: [], servingMs: 0, transitions: [], marks: {} }]));
  const sampled = (gw: LocalGateway) => gw.plane.metrics.counter('gateway_shadow_comparisons_total', { model: 'mnist', variant, reference: 'edge', role: 'served' });
  const log = quietLog();
  try {
    for (const r of requests) {
      const { bytes, headerLength } = binaryBody(r.pixels);
      for (const [name, gw] of Object.entries(arms)) {
        if (marks.includes(r.index)) out[name]!.marks[r.index] = { sampled: sampled(gw), at: performance.now() };
        const pending: Promise<unknown>[] = [];
        const ctx: InferContext = { routing: routingOf(() => undefined), requestBytes: bytes.byteLength, requestId: String(r.index), caller: 'bench', waitUntil: (p) => void pending.push(p) };
        const model = gw.plane.registry.get('mnist');
        const outcome = await gw.plane.infer(model, parseRequestBody(bytes, headerLength), ctx);
        await Promise.all(pending);
        const arm = out[name]!;
        arm.served.push(outcome.served.variant);
        arm.servingMs += outcome.predictedMs ?? 0;
        for (const e of log.events.splice(0)) arm.transitions.push({ index: r.index, variant: String(e.variant), to: String(e.to), reason: String(e.reason), sampled: sampled(gw), at: performance.now() });
      }
    }
  } finally {
    log.restore();
  }
  return out;
}

/** The value of a metric's series whose labels include `labels`, summed, from the plane's Prometheus text. */
export function metric(gw: LocalGateway, name: string, labels: Record<string, string> = {}): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  return gw.plane.metrics
    .render()
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && want.every((w) => l.includes(w)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}
