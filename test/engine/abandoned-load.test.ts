/**
 * A session load whose first request goes away, inside workerd. The first request for a cold variant
 * starts its load, its client disconnects mid-load (workerd then cancels that request), and other requests
 * for the same variant are waiting for it. Anything they awaited that belonged to the cancelled request (a
 * shared promise) would never settle: they must all answer, each with its own correct outputs.
 *
 * Locally the variant file comes from an in-process binding with no pause in which a client could go away
 * (one thread, no idle), unlike R2 over the network. So the test wraps the ASSETS binding the gateway is
 * built from: the read of this one file waits on its own timer (a real pause, like a network read) until
 * the test has cut the first request off. (Against the former design, one load promise awaited by all,
 * the five waiting requests never answered: the test timed out.)
 */
import { env, SELF } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// ppocr-det/int8w ships with the Worker, is edge-servable, and no other workers test loads it.
const MODEL = 'ppocr-det';
const KEY = 'ppocr-det/int8w.onnx';
const SIDE = 32;

const assets = env.ASSETS;
const reads: string[] = [];
let cut = false;

beforeAll(() => {
  // Before this isolate's first request, which builds the gateway from `env`.
  (env as { ASSETS: Fetcher }).ASSETS = {
    ...assets,
    async fetch(input: RequestInfo | URL, init?: RequestInit) {
      const url = String(input instanceof Request ? input.url : input);
      reads.push(url);
      const deadline = Date.now() + 20_000;
      while (url.endsWith(KEY) && !cut && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1));
      return assets.fetch(input, init);
    },
  } as Fetcher;
});

afterAll(() => {
  cut = true;
  (env as { ASSETS: Fetcher }).ASSETS = assets;
  vi.restoreAllMocks();
});

/** A small page image, different for each seed (deterministic). */
function image(seed: number): number[] {
  let s = seed * 7919 + 1;
  return Array.from({ length: 3 * SIDE * SIDE }, () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1);
}

function infer(seed: number, signal?: AbortSignal): Promise<Response> {
  return SELF.fetch(`http://gateway.test/v2/models/${MODEL}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-model-variant': 'int8w', 'x-slo-ms': '60000' },
    body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, SIDE, SIDE], data: image(seed) }] }),
    ...(signal ? { signal } : {}),
  });
}

/** The gateway's JSON log lines about this variant's session with `event`. */
const events = (lines: unknown[], event: string) => lines.filter((l) => typeof l === 'string' && l.includes(`"event":"${event}"`) && l.includes(KEY));

describe('a session load whose first request is cancelled', () => {
  it('still answers every request that waits for the same variant, each with its own outputs', async () => {
    // The gateway runs in this isolate and logs its loads as JSON lines: record them.
    const lines: unknown[] = [];
    for (const level of ['log', 'debug'] as const) {
      const write = console[level].bind(console);
      vi.spyOn(console, level).mockImplementation((line: unknown, ...rest: unknown[]) => {
        write(line, ...rest);
        lines.push(line);
      });
    }
    const abort = new AbortController();
    const first = infer(0, abort.signal).then(
      (res) => ({ status: res.status }),
      (error: unknown) => ({ error }),
    );
    await vi.waitFor(() => expect(reads.filter((u) => u.endsWith(KEY))).toHaveLength(1), { timeout: 20_000, interval: 1 });
    expect(events(lines, 'session_loading'), 'the first request started the load').toHaveLength(1);

    // Others arrive and wait for that load; then the first request's client goes away, mid-load.
    const seeds = [1, 2, 3, 4, 5];
    const waiting = seeds.map((seed) => infer(seed));
    await vi.waitFor(() => expect(events(lines, 'session_wait')).toHaveLength(seeds.length), { timeout: 20_000, interval: 1 });
    abort.abort();
    expect(await first, 'the first request was cut off').toHaveProperty('error');
    expect(events(lines, 'session_loaded'), 'the cut came before the load finished').toHaveLength(0);
    cut = true;

    const answers = await Promise.all(waiting.map(async (pending) => ({ res: await pending, body: (await (await pending).json()) as any })));
    for (const { res, body } of answers) {
      expect(res.status, JSON.stringify(body)).toBe(200);
      expect(res.headers.get('x-served-by')).toBe('edge');
      expect(res.headers.get('x-model-variant')).toBe('int8w');
      expect(body.outputs[0].shape).toEqual([1, 1, SIDE, SIDE]);
      // Each waited for the load the cancelled request started, rather than finding the session loaded.
      expect(res.headers.get('server-timing')).toMatch(/load;dur/);
    }
    expect(events(lines, 'session_loading'), 'one load for all').toHaveLength(1);
    expect(reads.filter((u) => u.endsWith(KEY)), 'one read of the file').toHaveLength(1);

    // Correct outputs: each matches its own image run again, alone, on the now loaded session.
    for (const [i, seed] of seeds.entries()) {
      const reference = ((await (await infer(seed)).json()) as any).outputs[0].data as number[];
      const got = answers[i]!.body.outputs[0].data as number[];
      expect(got).toHaveLength(reference.length);
      expect(Math.max(...got.map((v, j) => Math.abs(v - reference[j]!)))).toBeLessThan(1e-5);
    }
  });
});
