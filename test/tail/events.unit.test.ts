/**
 * The feedback path's reading of trace events, on recorded-shape events (test/tail/trace-events.json, the
 * TraceItem shape a Tail Worker receives, with the gateway's request log line in `logs`): what it learns
 * from and why it skips the rest.
 */
import { describe, expect, it } from 'vitest';
import type { TraceEvent } from '../../tail/events.js';
import { parseServerTiming } from '../../src/lib/server-timing.js';
import { observe, requestLine } from '../../tail/events.js';
import recorded from './trace-events.json';

const fixtures = recorded as unknown as { name: string; expect: string; event: TraceEvent }[];

describe('reading trace events', () => {
  it.each(fixtures.map((f) => [f.name, f.expect, f.event] as const))('%s: %s', (_name, expected, event) => {
    const got = observe(event);
    expect('skip' in got ? got.skip : 'observed').toBe(expected);
  });

  it('pairs a warm solo run with its colo, model, variant, items, CPU time and logged prediction', () => {
    expect(observe(fixtures[0]!.event)).toEqual({ colo: 'SJC', model: 'mnist', variant: 'int8', items: 1, cpu_ms: 2, predicted_ms: 0.2 });
  });

  it('keeps a 0 ms CPU run when the invocation took wall time (quantised CPU time, not a missing one)', () => {
    expect(observe(fixtures[1]!.event)).toMatchObject({ cpu_ms: 0 });
  });

  it('prefers the predicted compute in Server-Timing over the logged total prediction', () => {
    expect(observe(fixtures[2]!.event)).toMatchObject({ colo: 'AMS', model: 'transformer-small', variant: 'fp16', predicted_ms: 28.5 });
  });

  it('finds the request line among other lines, in a string or in console.log arguments', () => {
    const logs = [
      { level: 'log', message: ['session_loaded', 3] },
      { level: 'log', message: '{"event":"warmed","model":"x"}' },
      { level: 'log', message: '{"event":"request","method":"POST","path":"/v2/models/m/infer","model":"m","status":200,"ms":1}' },
    ];
    expect(requestLine(logs)).toMatchObject({ model: 'm' });
    expect(requestLine([{ level: 'log', message: ['{"event":"request" broken'] }])).toBeUndefined();
  });

  it('reads only lines that match the request line schema: one that mentions the event without its fields is not it', () => {
    expect(requestLine([{ level: 'log', message: '{"event":"request","model":"m","status":"200"}' }])).toBeUndefined();
    expect(requestLine([{ level: 'log', message: 'said {"event":"request"} in passing' }])).toBeUndefined();
  });

  it('reads durations out of a Server-Timing value with the gateway\'s own parser', () => {
    expect(parseServerTiming('select;dur=0.11, load;dur=180.00, infer;dur=2.50')['load']).toBe(180);
    expect(parseServerTiming('select;dur=0.11')['load']).toBeUndefined();
    expect(parseServerTiming(undefined)['load']).toBeUndefined();
  });
});
