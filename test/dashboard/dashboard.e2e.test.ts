/**
 * End to end: the real Worker in workerd (wrangler's `unstable_dev`, ./wrangler.toml) driven by headless
 * Chromium (playwright-core with Debian's /usr/bin/chromium). Opens /dashboard, checks the models and
 * variants, submits the what-if form without any script, checks the decision, and saves a screenshot to
 * test/artifacts/dashboard.png. No origin runs: ORIGIN_URL points at a closed port.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Unstable_DevWorker } from 'wrangler';
import { unstable_dev } from 'wrangler';
import { freePort } from '../setup/net.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Another wrangler config (and entry) can be tested the same way, e.g. a staging one. */
const CONFIG = process.env.GATEWAY_WRANGLER_CONFIG ?? 'wrangler.toml';
const ENTRY = process.env.GATEWAY_WORKER_ENTRY ?? 'src/worker.ts';
const SCREENSHOT = resolve('test/artifacts/dashboard.png');
const STEP_MS = 15_000;


let worker: Unstable_DevWorker | undefined;
let context: BrowserContext | undefined;
let profile: string | undefined;
let base = '';
const problems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see .ci/run)`);
  const [port, closedPort] = [await freePort(), await freePort()];
  profile = await mkdtemp(join(tmpdir(), 'dashboard-e2e-'));
  worker = await unstable_dev(ENTRY, {
    config: CONFIG,
    ip: '127.0.0.1',
    port,
    inspect: false,
    logLevel: 'error',
    persistTo: join(profile, 'wrangler-state'),
    vars: { ORIGIN_URL: `http://127.0.0.1:${closedPort}`, ADMIN_OPEN: 'true' },
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true, watch: false, testMode: true },
  });
  base = `http://127.0.0.1:${worker.port}`;
  context = await chromium.launchPersistentContext(join(profile, 'chromium'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
    viewport: { width: 1280, height: 900 },
    timeout: 30_000,
  });
  context.setDefaultTimeout(STEP_MS);
  context.setDefaultNavigationTimeout(STEP_MS);
  // The pages must stand alone: nothing fetched from anywhere but the gateway, no script errors.
  context.on('request', (req) => {
    if (!req.url().startsWith(base)) problems.push(`external request ${req.url()}`);
  });
}, 120_000);

afterAll(async () => {
  await context?.close().catch(() => {});
  await worker?.stop().catch(() => {});
  if (profile) await rm(profile, { recursive: true, force: true }).catch(() => {});
}, 60_000);

async function open(path: string): Promise<Page> {
  const page = await context!.newPage();
  page.on('pageerror', (e) => problems.push(`page error ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console error ${m.text()}`));
  const res = await page.goto(`${base}${path}`);
  expect(res?.status(), `GET ${path}`).toBe(200);
  return page;
}

describe('the dashboard in a real browser against the Worker in workerd', () => {
  it('shows every model with its variants, placement, fidelity and a latency chart', async () => {
    const page = await open('/dashboard');
    await expect(page.title()).resolves.toBe('Gateway dashboard');
    const mnist = page.locator('[data-model="mnist"]');
    await mnist.waitFor();
    expect(await mnist.locator('tr[data-variant]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-variant')))).toEqual(['fp32', 'fp16', 'int8', 'int8w']);
    expect(await mnist.locator('tr[data-variant="int8"]').innerText()).toMatch(/edge[\s\S]*99\.90%/);
    expect(await mnist.locator('svg.chart polyline').count()).toBe(8);
    const large = page.locator('[data-model="transformer-large"]');
    expect(await large.innerText()).toMatch(/synthetic/);
    expect(await large.locator('tr[data-variant="fp32"]').innerText()).toMatch(/origin/);
    expect(await page.locator('#counters').innerText()).toMatch(/successful inferences/);
    // Production fidelity: every variant's standing next to its offline figure (no samples yet in a fresh isolate).
    const watched = page.locator('#fidelity-mnist');
    expect(await watched.locator('tr[data-variant]').evaluateAll((rows) => rows.map((r) => `${r.getAttribute('data-variant')} ${r.getAttribute('data-state')}`))).toEqual(['fp32 active', 'fp16 active', 'int8 active', 'int8w active']);
    expect(await watched.locator('tr[data-variant="int8"]').innerText()).toMatch(/0\.999[\s\S]*no samples/);
    await page.close();
  }, 60_000);

  it('explains a what-if request submitted through the form', async () => {
    const page = await open('/dashboard');
    await page.selectOption('select[name="model"]', 'mnist');
    await page.fill('input[name="slo_ms"]', '5');
    await page.selectOption('select[name="ect"]', '3g');
    await page.check('input[name="strict"]');
    await Promise.all([page.waitForURL(/[?&]model=mnist/), page.click('button[type="submit"]')]);
    expect(new URL(page.url()).searchParams.get('ect')).toBe('3g');
    expect(new URL(page.url()).searchParams.get('strict')).toBe('1');
    const decision = page.locator('#decision');
    await decision.waitFor();
    const text = await decision.innerText();
    // 3G's 270 ms round trip (the client's own ECT hint) leaves a strict 5 ms SLO no budget: refused, with the arithmetic.
    expect(text).toMatch(/Decision for mnist: refused \(422\): SLO cannot be met/);
    expect(text).toMatch(/SLO cannot be met: 5 ms SLO - 270 ms round trip \(your ECT hint\) - 4 ms gateway overhead = -269 ms budget/);
    expect(text).toMatch(/client network time\s+270\.0 ms/);
    expect(text).toMatch(/gateway overhead\s+4\.0 ms\s+budget \(SLO − network − overhead\)\s+-269\.0 ms/);
    // Three edge variants, plus the origin, which is down here (its breaker has not opened: no call was made).
    expect(await decision.locator('tbody tr').count()).toBeGreaterThanOrEqual(3);
    expect(await decision.locator('tr.chosen').count()).toBe(0);
    await expect(page.inputValue('input[name="slo_ms"]')).resolves.toBe('5');
    await expect(page.inputValue('select[name="ect"]')).resolves.toBe('3g');
    await expect(page.isChecked('input[name="strict"]')).resolves.toBe(true);
    await mkdir(resolve('test/artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await page.close();
  }, 60_000);

  it('renders a bad what-if value as an error in the page with status 400', async () => {
    const page = await context!.newPage();
    const res = await page.goto(`${base}/dashboard?model=mnist&slo_ms=0`);
    expect(res?.status()).toBe(400);
    expect(await page.locator('#whatif-error').innerText()).toMatch(/SLO must be a positive number of milliseconds, got "0"/);
    await page.close();
  }, 60_000);

  it('serves the API reference and the OpenAPI document', async () => {
    const page = await open('/docs');
    expect(await page.locator('section.operation').count()).toBeGreaterThanOrEqual(10);
    expect(await page.locator('[data-path="/v2/models/{model}/infer"][data-method="post"]').innerText()).toMatch(/InferRequest/);
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { openapi: string };
    expect(doc.openapi).toMatch(/^3\.1\./);
    await page.close();
  }, 60_000);

  it('loaded nothing from outside the gateway and raised no script error', () => {
    expect(problems).toEqual([]);
  });
});
