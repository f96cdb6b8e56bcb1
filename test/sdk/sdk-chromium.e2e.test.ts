/**
 * End to end in headless Chromium (playwright-core with Debian's /usr/bin/chromium): a page on the
 * gateway's origin loads the SDK bundle (sdk/build.ts) and onnxruntime-web, runs mnist on the device and
 * matches the gateway's own answer; with low-end device hints the plan says edge and the gateway answers;
 * after one download the page keeps working offline from Cache Storage; a tampered file is refused and the
 * edge answers. The gateway is the real Worker in workerd (wrangler `unstable_dev`, as in
 * test/dashboard/dashboard.e2e.test.ts); it needs the device plan and artifact routes.
 * SDK_E2E_TARGET=node runs the same page against the same app built in this process on Node instead
 * (test/setup/gateway.ts: native engine, artifacts from models/), without workerd.
 * The page's own files are served by the test through page routes under /__sdk__/ on the gateway's origin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Unstable_DevWorker } from 'wrangler';
import { unstable_dev } from 'wrangler';
import { buildSdk } from '../../sdk/build.js';
import { startGateway } from '../setup/gateway.js';
import type { LocalGateway } from '../setup/gateway.js';
import { freePort } from '../setup/net.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ON_NODE = process.env.SDK_E2E_TARGET === 'node';
const API_KEY = 'sdk-test-key';
const ORT_DIST = resolve('node_modules/onnxruntime-web/dist');
const samples = JSON.parse(readFileSync('models/mnist/samples.json', 'utf8')) as { inputs: number[][]; labels: number[] };
const argmax = (xs: number[]) => xs.reduce((best, x, i, a) => (x > a[best]! ? i : best), 0);

/** A fast desktop and a low-end phone on 2G with Save-Data, as the page's navigator reports them. */
const FAST = { deviceMemory: 8, connection: { effectiveType: '4g', downlink: 100, rtt: 20, saveData: false } };
const LOW_END = { deviceMemory: 0.5, connection: { effectiveType: '2g', downlink: 0.05, rtt: 1400, saveData: true }, userAgentData: { mobile: true } };

const PAGE = `<!doctype html><meta charset="utf-8"><title>edge-infer</title>
<script type="module">
import * as ort from '/__sdk__/ort/ort.wasm.min.mjs';
import * as sdk from '/__sdk__/edge-infer.js';
window.sdk = sdk; window.ort = ort; window.sdkReady = true;
</script>`;

let worker: Unstable_DevWorker | undefined;
let local: LocalGateway | undefined;
let browser: Browser | undefined;
let dir = '';
let base = '';
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)`);
  dir = await mkdtemp(join(tmpdir(), 'sdk-e2e-'));
  await buildSdk(join(dir, 'edge-infer.js'));
  if (ON_NODE) {
    local = await startGateway({ apiKey: API_KEY });
    base = local.url;
  } else {
    const [port, closedPort] = [await freePort(), await freePort()];
    worker = await unstable_dev('src/worker.ts', {
      config: 'wrangler.toml',
      ip: '127.0.0.1',
      port,
      inspect: false,
      logLevel: 'error',
      persistTo: join(dir, 'wrangler-state'),
      vars: { ORIGIN_URL: `http://127.0.0.1:${closedPort}`, ADMIN_OPEN: 'true' },
      experimental: { disableExperimentalWarning: true, disableDevRegistry: true, watch: false, testMode: true },
    });
    base = `http://127.0.0.1:${worker.port}`;
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
    timeout: 30_000,
  });
}, 180_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await worker?.stop().catch(() => {});
  await local?.close().catch(() => {});
  if (dir) await rm(dir, { recursive: true, force: true }).catch(() => {});
}, 60_000);

const TYPES: Record<string, string> = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm', '.map': 'application/json', '.html': 'text/html' };

/** A fresh browser profile (its own Cache Storage) whose navigator reports `device`, on the SDK's page. */
async function openPage(device: object): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser!.newContext();
  context.setDefaultTimeout(30_000);
  await context.addInitScript((d) => {
    for (const [k, v] of Object.entries(d)) Object.defineProperty(Navigator.prototype, k, { get: () => v, configurable: true });
  }, device);
  context.on('request', (req) => {
    if (!req.url().startsWith(base)) problems.push(`external request ${req.url()}`);
  });
  await context.route(`${base}/__sdk__/**`, async (route) => {
    const path = new URL(route.request().url()).pathname.slice('/__sdk__/'.length);
    const file = path === 'page.html' ? null : path.startsWith('ort/') ? join(ORT_DIST, path.slice(4)) : path.startsWith('edge-infer.js') ? join(dir, path) : undefined;
    if (file === undefined || (file && !existsSync(file))) return route.fulfill({ status: 404, body: 'not found' });
    const body = file ? await readFile(file) : Buffer.from(PAGE);
    await route.fulfill({ status: 200, body, contentType: TYPES[(file ?? '.html').replace(/^.*(\.[a-z]+)$/, '$1')] ?? 'application/octet-stream' });
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error ${e.message}`));
  await page.goto(`${base}/__sdk__/page.html`);
  await page.waitForFunction(() => (globalThis as unknown as { sdkReady?: boolean }).sdkReady === true);
  return { context, page };
}

interface PageResult {
  ranOn: string;
  variant: string | null;
  reason: string;
  logits: number[];
  planTarget?: string;
  servedBy?: string | null;
}

/** Runs `infer` in the page with a client made there (`fresh`: a new client, so nothing in its memory). */
function inferInPage(page: Page, digits: number[][], opts: { sloMs?: number } = {}): Promise<PageResult[]> {
  return page.evaluate(
    async ({ digits, opts, apiKey }) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's globals, set by PAGE
      const w = globalThis as unknown as { sdk: any; ort: any; client?: any; location: { origin: string } };
      w.client ??= w.sdk.createClient({ baseUrl: w.location.origin, apiKey, ort: w.ort, wasmPaths: '/__sdk__/ort/' });
      const out = [];
      for (const d of digits) {
        const r = await w.client.infer('mnist', [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: Float32Array.from(d) }], opts);
        out.push({ ranOn: r.ranOn, variant: r.variant, reason: r.reason, logits: Array.from(r.outputs[0].data as Float32Array), planTarget: r.plan?.target, servedBy: r.gateway?.servedBy ?? null });
      }
      return out;
    },
    { digits, opts, apiKey: API_KEY },
  );
}

async function edgeAnswer(d: number[]): Promise<number[]> {
  const res = await fetch(`${base}/v2/models/mnist/infer`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: d }] }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data;
}

interface PageCaches {
  caches: { open(name: string): Promise<{ keys(): Promise<{ url: string }[]> }> };
}
const cachedUrls = (page: Page): Promise<string[]> =>
  page.evaluate(async () => (await (await (globalThis as unknown as PageCaches).caches.open('edge-infer-v1')).keys()).map((r) => r.url));

describe(`the SDK in headless Chromium against ${ON_NODE ? 'the gateway app on Node' : 'the gateway in workerd'}`, () => {
  it('runs mnist on the device and matches the edge on real digits', async () => {
    const { context, page } = await openPage(FAST);
    const idx = [0, 1, 2, 3, 4];
    const results = await inferInPage(page, idx.map((i) => samples.inputs[i]!));
    for (const [k, r] of results.entries()) {
      expect(r.ranOn, r.reason).toBe('device');
      expect(r.reason).toMatch(/^device: \w+ \((downloaded \d+ kB, sha256 verified|cached)\); plan: /);
      const edge = await edgeAnswer(samples.inputs[idx[k]!]!);
      expect(argmax(r.logits)).toBe(argmax(edge));
      expect(argmax(r.logits)).toBe(samples.labels[idx[k]!]);
    }
    expect(results[0]!.reason).toMatch(/downloaded/);
    expect(results[4]!.reason).toMatch(/\(cached\)/);
    expect((await cachedUrls(page)).filter((u) => /\/v2\/models\/mnist\/versions\/[^/]+\/variants\/[^/]+\/artifact$/.test(u))).toHaveLength(1);
    await context.close();
  }, 120_000);

  it('sends low-end hints and lets the gateway answer when the plan says edge', async () => {
    const { context, page } = await openPage(LOW_END);
    const plans: string[] = [];
    page.on('request', (r) => r.url().includes('/device') && plans.push(r.url()));
    const [r] = await inferInPage(page, [samples.inputs[0]!], { sloMs: 1000 });
    expect(r!.planTarget).toBe('edge');
    expect(r!.ranOn).toBe('edge');
    expect(r!.reason).toMatch(/^plan: .+; edge answered$/);
    expect(r!.servedBy).toMatch(/^(edge|origin)$/);
    expect(argmax(r!.logits)).toBe(samples.labels[0]);
    const q = new URL(plans[0]!).searchParams;
    expect(Object.fromEntries(q)).toMatchObject({ device_memory: '0.5', ect: '2g', downlink: '0.05', rtt: '1400', save_data: 'on', mobile: '1', slo_ms: '1000' });
    expect(await cachedUrls(page)).toEqual([]);
    await context.close();
  }, 120_000);

  it('keeps working offline from its cache after one download', async () => {
    const { context, page } = await openPage(FAST);
    const [first] = await inferInPage(page, [samples.inputs[10]!]);
    expect(first!.ranOn).toBe('device');
    await context.setOffline(true);
    const [again] = await inferInPage(page, [samples.inputs[11]!]);
    expect(again!.ranOn).toBe('device');
    expect(argmax(again!.logits)).toBe(samples.labels[11]);
    // A new client (nothing in memory, no plan reachable) still finds the variant in Cache Storage.
    await page.evaluate(() => void delete (globalThis as unknown as { client?: unknown }).client);
    const [fresh] = await inferInPage(page, [samples.inputs[12]!]);
    expect(fresh!.ranOn).toBe('device');
    expect(fresh!.reason).toMatch(/^device: \w+ \(cached\); no plan \(.+\), ran the variant cached for mnist$/);
    expect(argmax(fresh!.logits)).toBe(samples.labels[12]);
    await context.setOffline(false);
    await context.close();
  }, 120_000);

  it('refuses a tampered file (sha256 mismatch) and the edge answers instead', async () => {
    const { context, page } = await openPage(FAST);
    await page.route('**/artifact', async (route) => {
      const res = await route.fetch();
      const body = Buffer.from(await res.body());
      body[body.length >> 1]! ^= 0x55;
      await route.fulfill({ response: res, body });
    });
    const [r] = await inferInPage(page, [samples.inputs[20]!]);
    expect(r!.ranOn).toBe('edge');
    expect(r!.reason).toMatch(/^\w+ refused: sha256 mismatch for .+\/artifact: expected [0-9a-f]{12}…, got [0-9a-f]{12}…; evicted from the cache; edge answered$/);
    expect(argmax(r!.logits)).toBe(samples.labels[20]);
    expect(await cachedUrls(page)).toEqual([]);
    await context.close();
  }, 120_000);

  it('loaded nothing from outside the gateway and raised no script error', () => {
    expect(problems).toEqual([]);
  });
});
