/**
 * Question 9 — device vs edge vs origin for an emulated phone (issue 13 item 5). Headless Chromium with the
 * CPU throttled (CDP `Emulation.setCPUThrottlingRate`) and the network shaped (`Network.emulateNetworkConditions`)
 * runs mnist three ways from pages on the gateway's origin: the SDK on the device (its plan, download,
 * sha256 check, session and run; Cache Storage), the gateway's infer route (served at the edge), and a
 * second gateway whose mnist fits no edge budget, so the origin (behind a 40 ms edge-to-origin delay)
 * answers. First call and warm calls, the three tiers interleaved call by call, per device profile.
 * Needs the gateway's device plan and artifact routes. Run: `flock /tmp/bench.lock npm run bench:device`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { buildSdk, SDK_BUNDLE } from '../sdk/build.js';
import { startDelayProxy } from './lib/delay-proxy.js';
import { isMain, runEntry } from './lib/entry.js';
import { gatewayConfig } from './lib/gateway-config.js';
import { seedModels } from './lib/r2.js';
import { RESULTS_DIR, writeResult } from './lib/results.js';
import { ROOT, startGateway, startOrigin } from './lib/stack.js';
import { r2, summarize, table } from './lib/stats.js';
import { barChart } from './lib/svg.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ORT_DIST = resolve(ROOT, 'node_modules/onnxruntime-web/dist');
const SLO_MS = 2000;

interface Profile {
  name: string;
  cpu: number;
  /** Added round-trip latency (ms) and throughput (Mbit/s), as DevTools' network presets. */
  net?: { latency: number; down: number; up: number };
  navigator: Record<string, unknown>;
}

/** DevTools' "mid-tier mobile" CPU (4x) on its "Slow 4G" preset, and an unthrottled desktop next to it. */
const PROFILES: Profile[] = [
  { name: 'phone: 4x CPU, Slow 4G (150 ms, 1.6 Mbit/s)', cpu: 4, net: { latency: 150, down: 1.6, up: 0.75 }, navigator: { deviceMemory: 4, connection: { effectiveType: '4g', downlink: 1.6, rtt: 150, saveData: false }, userAgentData: { mobile: true } } },
  { name: 'desktop: no throttling', cpu: 1, navigator: { deviceMemory: 8, connection: { effectiveType: '4g', downlink: 10, rtt: 50, saveData: false } } },
];
const TIERS = ['device', 'edge', 'origin'] as const;
type Tier = (typeof TIERS)[number];

const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
import * as ort from '/__sdk__/ort/ort.wasm.min.mjs';
import * as sdk from '/__sdk__/edge-infer.js';
window.client = sdk.createClient({ baseUrl: location.origin, ort, wasmPaths: '/__sdk__/ort/' });
window.ready = true;
</script>`;

async function openPage(browser: Browser, base: string, p: Profile): Promise<Page> {
  const context = await browser.newContext();
  await context.addInitScript((d) => {
    for (const [k, v] of Object.entries(d)) Object.defineProperty(Navigator.prototype, k, { get: () => v, configurable: true });
  }, p.navigator);
  await context.route(`${base}/__sdk__/**`, async (route) => {
    const path = new URL(route.request().url()).pathname.slice('/__sdk__/'.length);
    const file = path === 'page.html' ? null : path.startsWith('ort/') ? join(ORT_DIST, path.slice(4)) : join(SDK_BUNDLE, '..', path);
    if (file && !existsSync(file)) return route.fulfill({ status: 404 });
    const type = path.endsWith('.wasm') ? 'application/wasm' : path.endsWith('.html') ? 'text/html' : 'text/javascript';
    await route.fulfill({ status: 200, body: file ? await readFile(file) : PAGE, contentType: type });
  });
  const page = await context.newPage();
  await page.goto(`${base}/__sdk__/page.html`);
  await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
  // Throttle after the page and its runtime files are in: the question is inference, not loading the app.
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: p.cpu });
  if (p.net) {
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: p.net.latency, downloadThroughput: (p.net.down * 1e6) / 8, uploadThroughput: (p.net.up * 1e6) / 8 });
  }
  return page;
}

interface Call {
  ms: number;
  ranOn: string;
  servedBy: string | null;
  reason: string;
  timings?: Record<string, number>;
}

/** One call from the page: the SDK (device) or a v2 POST to `url` (edge or origin), timed in the page. */
async function call(page: Page, tier: Tier, url: string, digit: number[]): Promise<Call> {
  return page.evaluate(
    async ({ tier, url, digit, slo }) => {
      const w = globalThis as unknown as { client: { infer: (...a: unknown[]) => Promise<{ ranOn: string; reason: string; gateway?: { servedBy: string | null }; timings: Record<string, number> }> } };
      const t0 = performance.now();
      if (tier === 'device') {
        const r = await w.client.infer('mnist', [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: Float32Array.from(digit) }], { sloMs: slo });
        return { ms: performance.now() - t0, ranOn: r.ranOn, servedBy: r.gateway?.servedBy ?? null, reason: r.reason, timings: r.timings };
      }
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-slo-ms': String(slo) }, body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: digit }] }) });
      await res.json();
      if (!res.ok) throw new Error(`${tier}: ${res.status}`);
      return { ms: performance.now() - t0, ranOn: 'edge', servedBy: res.headers.get('x-served-by'), reason: res.headers.get('x-route-reason') ?? '' };
    },
    { tier, url, digit, slo: SLO_MS },
  ).catch((e: Error) => {
    throw new Error(`${tier} call (${url || 'SDK'}) failed: ${e.message.split('\n')[0]}`);
  });
}

interface Row {
  profile: string;
  tier: Tier;
  first_ms: number;
  warm_p50_ms: number;
  warm_p95_ms: number;
  warm_n: number;
  first_ran: string;
  warm_ran: string;
  first_reason: string;
  first_timings: Record<string, number> | undefined;
  /** Device tier: p50 of the SDK's own session.run time over the warm calls (the rest is the page and the SDK). */
  warm_device_run_p50_ms: number | null;
}

export async function runDevice(opts: { warm?: number; write?: boolean } = {}) {
  const warm = opts.warm ?? Number(process.env.BENCH_DEVICE_WARM ?? 20);
  await buildSdk();
  await seedModels();
  const samples = JSON.parse(readFileSync(resolve(ROOT, 'models/mnist/samples.json'), 'utf8')) as { inputs: number[][] };
  const origin = await startOrigin();
  const proxy = await startDelayProxy(origin.url, 40);
  const edgeGw = await startGateway({ gatewayConfig: gatewayConfig(), originUrl: proxy.url });
  const originGw = await startGateway({ gatewayConfig: gatewayConfig({ models: { mnist: { edge_memory_budget_bytes: 1 } } }), originUrl: proxy.url });
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'] });
  const urls: Record<Tier, string> = { device: '', edge: `${edgeGw.url}/v2/models/mnist/infer`, origin: `${originGw.url}/v2/models/mnist/infer` };
  const rows: Row[] = [];
  try {
    for (const p of PROFILES) {
      // Each tier's page is on the origin it calls (no CORS preflight in the measurement).
      const pages = Object.fromEntries(await Promise.all(TIERS.map(async (t) => [t, await openPage(browser, t === 'origin' ? originGw.url : edgeGw.url, p)] as const))) as Record<Tier, Page>;
      const calls: Record<Tier, Call[]> = { device: [], edge: [], origin: [] };
      for (let i = 0; i <= warm; i++) for (const t of TIERS) calls[t].push(await call(pages[t], t, urls[t], samples.inputs[i % samples.inputs.length]!));
      for (const t of TIERS) {
        const [first, ...rest] = calls[t];
        const w = summarize(rest.map((c) => c.ms));
        const where = [...new Set(rest.map((c) => (c.ranOn === 'device' ? 'device' : `gateway → ${c.servedBy}`)))].join(', ');
        rows.push({ profile: p.name, tier: t, first_ms: r2(first!.ms), warm_p50_ms: r2(w.p50), warm_p95_ms: r2(w.p95), warm_n: w.n, first_ran: first!.ranOn === 'device' ? 'device' : `gateway → ${first!.servedBy}`, warm_ran: where, first_reason: first!.reason, first_timings: first!.timings, warm_device_run_p50_ms: t === 'device' ? r2(summarize(rest.map((c) => c.timings?.device_run_ms ?? NaN)).p50) : null });
      }
      await Promise.all(TIERS.map((t) => pages[t].context().close()));
    }
  } finally {
    await browser.close();
    await proxy.close();
  }
  table(`device vs edge vs origin, mnist, SDK sloMs ${SLO_MS}, first call then ${warm} warm calls (tiers interleaved)`, [
    ['profile', 'tier', 'first ms', 'warm p50', 'warm p95', 'session.run p50', 'first ran on', 'warm ran on'],
    ...rows.map((r) => [r.profile, r.tier, r.first_ms, r.warm_p50_ms, r.warm_p95_ms, r.warm_device_run_p50_ms, r.first_ran, r.warm_ran]),
  ]);
  for (const r of rows.filter((x) => x.tier === 'device')) console.log(`${r.profile}: first device call: ${r.first_reason}; ${JSON.stringify(r.first_timings)}`);
  const chart = (key: 'first_ms' | 'warm_p50_ms', title: string) =>
    barChart({ title, yLabel: 'ms (in the page)', categories: PROFILES.map((p) => p.name.split(':')[0]!), series: TIERS.map((t) => ({ name: t, values: PROFILES.map((p) => rows.find((r) => r.profile === p.name && r.tier === t)![key]) })) }, 420, 300);
  if (opts.write !== false) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(resolve(RESULTS_DIR, 'device-first.svg'), chart('first_ms', 'mnist: first call (device includes download)'));
    writeFileSync(resolve(RESULTS_DIR, 'device-warm.svg'), chart('warm_p50_ms', `mnist: warm calls, p50 of ${warm}`));
    writeResult('device', { model: 'mnist', slo_ms: SLO_MS, warm_calls: warm, profiles: PROFILES, origin_delay_ms: 40, rows });
  }
  return rows;
}

if (isMain(import.meta.url)) await runEntry('device', () => runDevice());
