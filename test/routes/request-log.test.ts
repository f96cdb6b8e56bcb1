/**
 * The request log line inside workerd, as the feedback Tail Worker (tail/) reads it: a served inference
 * logs its model, variant, target, items, the batch it ran in and the prediction; fed through the Tail
 * Worker's reader with a production CPU time, the real line becomes an observation.
 */
import { createExecutionContext, env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildGateway } from '../../src/worker.js';
import { observe } from '../../tail/events.js';
import { mnistBody } from '../helpers.js';

afterEach(() => vi.restoreAllMocks());

/** The request line the gateway logs for one inference (one gateway per test, so its sessions stay warm). */
async function loggedLine(gw: ReturnType<typeof buildGateway>, body: unknown, headers: Record<string, string>): Promise<string> {
  const lines: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(String(args[0])));
  const init = { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) };
  const res = await gw.fetch(new Request('http://gateway.test/v2/models/mnist/infer', init), env, createExecutionContext());
  expect(res.status).toBe(200);
  const line = lines.find((l) => l.includes('"event":"request"'));
  expect(line).toBeDefined();
  vi.restoreAllMocks();
  return line!;
}

/** The test env with every answered inference logged (the default logs a sample). */
function fullLog(rate = 1) {
  const raw = env.GATEWAY_CONFIG as unknown as Record<string, unknown>;
  return { ...env, GATEWAY_CONFIG: { ...raw, logging: { request_sample_rate: rate } } } as typeof env;
}

describe('the request log line', () => {
  it('carries what the feedback path pairs with the invocation’s CPU time', async () => {
    const line = await loggedLine(buildGateway(fullLog()), mnistBody(0, 3), { 'x-slo-ms': '10000', 'x-model-variant': 'int8' });
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({ event: 'request', model: 'mnist', status: 200, variant: 'int8', target: 'edge', items: 3 });
    expect(parsed.batch).toBeGreaterThanOrEqual(3);
    expect(parsed.predicted_ms).toBeGreaterThan(0);
  });

  it('becomes an observation for a warm solo run, and a skip for the run that loaded the session', async () => {
    const gw = buildGateway(fullLog());
    const cold = await loggedLine(gw, mnistBody(0, 1), { 'x-slo-ms': '10000', 'x-model-variant': 'int8' });
    const line = await loggedLine(gw, mnistBody(0, 2), { 'x-slo-ms': '10000', 'x-model-variant': 'int8' });
    const traceOf = (l: string) => ({ scriptName: 'edge-inference-gateway', outcome: 'ok', cpuTime: 3, wallTime: 4, event: { request: { url: 'http://gateway.test/v2/models/mnist/infer', cf: { colo: 'SJC' } } }, logs: [{ level: 'log', message: [l] }] });
    // The first request loaded the session: its CPU time is not the run's.
    expect(observe(traceOf(cold))).toEqual({ skip: 'cold_load' });
    expect(observe(traceOf(line))).toMatchObject({ colo: 'SJC', model: 'mnist', variant: 'int8', items: 2, cpu_ms: 3 });
  });

  it('is sampled for answered inferences only: with rate 0 a 200 writes no line, a 4xx and a metadata call still do', async () => {
    const gw = buildGateway(fullLog(0));
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void lines.push(String(args[0])));
    const post = (body: string) => gw.fetch(new Request('http://gateway.test/v2/models/mnist/infer', { method: 'POST', headers: { 'content-type': 'application/json', 'x-slo-ms': '10000' }, body }), env, createExecutionContext());
    expect((await post(JSON.stringify(mnistBody(0, 1)))).status).toBe(200);
    expect(lines.filter((l) => l.includes('"event":"request"'))).toEqual([]);
    expect((await post('{"inputs": 3}')).status).toBe(400);
    expect((await gw.fetch(new Request('http://gateway.test/v2/models/mnist'), env, createExecutionContext())).status).toBe(200);
    const logged = lines.filter((l) => l.includes('"event":"request"')).map((l) => JSON.parse(l) as { status: number; method: string });
    expect(logged.map((l) => [l.method, l.status])).toEqual([['POST', 400], ['GET', 200]]);
  });
});
