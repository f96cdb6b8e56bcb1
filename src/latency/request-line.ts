/**
 * The gateway's request log line, the one record that crosses from the gateway's isolates to the feedback
 * Tail Worker (tail/): production Workers cannot time their own CPU work (the clock is frozen), so the Tail
 * Worker pairs the invocation's `cpuTime` with what this line says ran (model, variant, where, items, batch,
 * prediction, who asked and how big the body was). One schema for both ends: routes/request-log.ts builds it, tail/events.ts parses it with this,
 * so a field renamed on one side fails a type check instead of silently teaching nothing.
 */
import { z } from 'zod';

export const RequestLogLine = z.object({
  event: z.literal('request'),
  request_id: z.string().optional(),
  method: z.string(),
  path: z.string(),
  /** From the path: any /v2/models/<model>/... request, answered or not. */
  model: z.string().optional(),
  status: z.number().int(),
  /** What answered a served inference: the variant that ran, where (`x-served-by`), and why. */
  variant: z.string().optional(),
  target: z.string().optional(),
  reason: z.string().optional(),
  /** The answer's Server-Timing (select, load, queue, infer, origin, predicted compute). */
  server_timing: z.string().optional(),
  /** Items of the request, and of the edge run it was part of (dynamic batching). */
  items: z.number().optional(),
  batch: z.number().optional(),
  /** The decision's prediction for what ran (left out after a fallback, when what ran was not what was predicted). */
  predicted_ms: z.number().optional(),
  /** The caller id (src/protocol/caller.ts: non-secret): the feedback path lets each caller be one vote. */
  caller: z.string().optional(),
  /** The body as received (decoded) and its input tensors' raw bytes: a body padded far past them is not learned from. */
  body_bytes: z.number().optional(),
  tensor_bytes: z.number().optional(),
  /** Wall time of the request in the gateway (ms). */
  ms: z.number(),
});
export type RequestLogLine = z.infer<typeof RequestLogLine>;

/** The request line in one console.log argument, or undefined for any other line (or a broken one). */
export function parseRequestLine(part: unknown): RequestLogLine | undefined {
  if (typeof part !== 'string' || !part.startsWith('{')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(part);
  } catch {
    return undefined;
  }
  const line = RequestLogLine.safeParse(json);
  return line.success ? line.data : undefined;
}
