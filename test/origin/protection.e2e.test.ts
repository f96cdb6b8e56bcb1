/**
 * The origin protects itself: the shared secret on inference, its own admin token on /metrics, a rate limit
 * per caller id (the gateway's `x-caller-id`, else the token), its own policy on pins (ORIGIN_CONFIG), and the
 * gateway's body and shape limits, against a real origin (onnxruntime-node) serving mnist.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOrigin, type RunningOrigin } from '../../origin/server.js';
import { TokenBucketLimiter } from '../../origin/rate-limit.js';
import samples from '../../models/mnist/samples.json';
import { parseServerTiming } from '../../src/lib/server-timing.js';

const digits = samples as { inputs: number[][]; labels: number[] };
const mnistBody = (from: number, n: number) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [n, 784], data: digits.inputs.slice(from, from + n).flat() }] });
const argmax = (row: number[]) => row.indexOf(Math.max(...row));

const TOKEN = 'a-long-shared-secret';
const ADMIN_TOKEN = 'the-origin-operators-token';
let origin: RunningOrigin;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'origin-models-'));
  symlinkSync(resolve('models/mnist'), join(dir, 'mnist'));
  // Its policy lets a pin ask for fp32 or int8 of mnist only.
  origin = await startOrigin({ port: 0, host: '127.0.0.1', modelsDir: dir, token: TOKEN, adminToken: ADMIN_TOKEN, ratePerMinute: 20, config: JSON.stringify({ models: { mnist: { variants: ['fp32', 'int8'] } } }) });
});

afterAll(async () => {
  await origin?.close();
  rmSync(dir, { recursive: true, force: true });
});

function infer(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${origin.url}/v2/models/mnist/infer`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
}

const auth = { authorization: `Bearer ${TOKEN}` };

describe('the origin', () => {
  it('refuses inference without the shared secret (401) and with a wrong one (403)', async () => {
    const none = await infer(mnistBody(0, 1));
    expect(none.status).toBe(401);
    expect((await none.json()) as object).toHaveProperty('error');
    const wrong = await infer(mnistBody(0, 1), { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(403);
  });

  it("honours Triton's timeout (µs) and priority: served within a deadline it can meet, 422 with the arithmetic for one it cannot, 400 for a bad priority", async () => {
    const ok = await infer({ ...mnistBody(0, 1), parameters: { timeout: 5_000_000, priority: 1 } }, auth);
    expect(ok.status).toBe(200);
    const tooShort = await infer({ ...mnistBody(0, 1), parameters: { timeout: 1 } }, auth);
    expect(tooShort.status).toBe(422);
    expect(((await tooShort.json()) as { error: string }).error).toMatch(/^model 'mnist': SLO cannot be met: 0 ms timeout - [\d.]+ ms gateway overhead = -[\d.]+ ms budget$/);
    const bad = await infer({ ...mnistBody(0, 1), parameters: { priority: 'high' } }, auth);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^parameters\.priority must be a whole number/);
  });

  it('answers the gateway that presents the secret, with the right digits', async () => {
    const res = await infer(mnistBody(0, 2), auth);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: { shape: number[]; data: number[] }[] };
    const logits = body.outputs[0]!.data;
    expect([argmax(logits.slice(0, 10)), argmax(logits.slice(10, 20))]).toEqual(digits.labels.slice(0, 2));
  });

  it("reports its whole time on a request in Server-Timing `total`, parsing included, so the gateway never learns it as network", async () => {
    const parameters = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]));
    const res = await infer({ ...mnistBody(0, 1), parameters }, auth);
    const timing = parseServerTiming(res.headers.get('server-timing'));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(timing['total']).toBeGreaterThanOrEqual((timing['queue'] ?? 0) + (timing['infer'] ?? 0));
  });

  it("holds a gateway's pin to its own policy: a variant it does not allow is a JSON 400 naming the policy", async () => {
    const allowed = await infer(mnistBody(0, 1), { ...auth, 'x-model-variant': 'int8' });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('x-model-variant')).toBe('int8');
    const refused = await infer(mnistBody(0, 1), { ...auth, 'x-model-variant': 'fp16' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/^variant 'fp16' of model 'mnist' is not allowed by its policy \(variants: fp32, int8\)/);
  });

  it('keeps /metrics behind its own admin token: the secret every gateway holds does not open it, nor is the admin token an inference key', async () => {
    expect((await fetch(`${origin.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${origin.url}/metrics`, { headers: auth })).status).toBe(403);
    expect((await infer(mnistBody(0, 1), { authorization: `Bearer ${ADMIN_TOKEN}` })).status).toBe(403);
    const ok = await fetch(`${origin.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/nv_inference_request_success/);
  });

  it("applies the gateway's body and tensor limits", async () => {
    const huge = await infer('x'.repeat(17 * 1024 * 1024), auth);
    expect(huge.status).toBe(413);
    const elements = await infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [8192, 784], data: [0] }] }, auth);
    expect(elements.status).toBe(413);
    expect(((await elements.json()) as { error: string }).error).toMatch(/elements/);
  });

  // Last: it spends this caller's budget (20 a minute).
  it('rate-limits each caller with 429 and Retry-After', async () => {
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 25; i++) {
      const res = await fetch(`${origin.url}/v2/models/mnist/infer`, { method: 'POST', body: JSON.stringify(mnistBody(0, 1)), headers: auth });
      statuses.push(res.status);
      if (res.status === 429) retryAfter = res.headers.get('retry-after');
      await res.arrayBuffer();
    }
    expect(statuses).toContain(429);
    expect(retryAfter).toBe('60');
    // The limit is per caller id: the same gateway speaking for another tenant is still served.
    const other = await infer(mnistBody(0, 1), { ...auth, 'x-caller-id': '00000000000000b0' });
    expect(other.status).toBe(200);
    const flooded = await infer(mnistBody(0, 1), auth);
    expect(flooded.status).toBe(429);
  });
});

describe('the token bucket', () => {
  it('allows the limit per period and key, then refuses until tokens come back', async () => {
    let now = 0;
    const limiter = new TokenBucketLimiter({ limit: 2, periodMs: 1000, now: () => now });
    expect((await limiter.limit({ key: 'a' })).success).toBe(true);
    expect((await limiter.limit({ key: 'a' })).success).toBe(true);
    expect((await limiter.limit({ key: 'a' })).success).toBe(false);
    expect((await limiter.limit({ key: 'b' })).success).toBe(true);
    now = 500;
    expect((await limiter.limit({ key: 'a' })).success).toBe(true);
    expect((await limiter.limit({ key: 'a' })).success).toBe(false);
  });
});
