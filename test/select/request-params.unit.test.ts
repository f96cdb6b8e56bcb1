/**
 * The routing a front reads from a request's headers (`routingOf`): the four routing headers as sent, and the
 * Client Hints, without any other header, so the data plane decides from a typed context and names no header.
 */
import { describe, expect, it } from 'vitest';
import { routingOf } from '../../src/select/request-params.js';

/** A case-insensitive header getter, as Hono's and Fetch's are. */
const headers = (h: Record<string, string>) => {
  const lower = new Map(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
  return (name: string) => lower.get(name.toLowerCase());
};

describe('routingOf', () => {
  it('reads the SLO, strictness, deadline and pin as sent, leaving their checks to the data plane', () => {
    const routing = routingOf(headers({ 'X-SLO-Ms': ' 0x66 ', 'x-slo-strict': 'maybe', 'x-request-deadline-ms': '250', 'x-model-variant': 'FP8' }));
    expect({ ...routing, hints: undefined }).toEqual({ slo_ms: ' 0x66 ', strict: 'maybe', deadline_ms: '250', variant: 'FP8', hints: undefined });
  });

  it('leaves what was not sent undefined', () => {
    const routing = routingOf(headers({}));
    expect([routing.slo_ms, routing.strict, routing.deadline_ms, routing.variant, routing.hints('rtt')]).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('hands on the Client Hints in any case, and no other header', () => {
    const { hints } = routingOf(headers({ RTT: '120', 'save-data': 'on', 'Sec-CH-UA-Mobile': '?1', authorization: 'Bearer secret', 'x-slo-ms': '50' }));
    expect([hints('rtt'), hints('Save-Data'), hints('sec-ch-ua-mobile')]).toEqual(['120', 'on', '?1']);
    expect([hints('authorization'), hints('x-slo-ms')]).toEqual([undefined, undefined]);
  });
});
