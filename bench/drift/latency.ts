/**
 * What shadow checks cost callers, in workerd (`wrangler dev`, the Worker as deployed): mnist served by int8
 * (so every checked answer runs the fp32 reference on the isolate's one thread), gateways with monitoring
 * off, on at the default rate and on for every request, sent the same requests interleaved (the order
 * rotates each round), timed at the client; each isolate's CPU from /proc; what the monitor counts (shadow
 * compute predicted, comparisons, origin calls) from its /metrics.
 */
import { cpuMs, workerdOf } from '../lib/proc-cpu.js';
import { timedRequest } from '../lib/http.js';
import { gatewayConfig } from '../lib/gateway-config.js';
import { startGateway, type Running } from '../lib/stack.js';
import { serverTiming, summarize, type Summary } from '../lib/stats.js';
import type { DigitSet } from '../../tools/lib/digits.js';

export interface LatencyArm {
  name: string;
  shadowRate: number | null;
  client: Summary;
  /** CPU of the isolate's workerd per request (ms), over the measured requests. */
  cpuPerRequestMs: number;
  /** Predicted compute: of what served (Server-Timing `predicted`) and of shadow work (the monitor's count). */
  servingPredictedMs: number;
  shadowPredictedMs: number;
  comparisons: number;
  originCalls: number;
}

const ARMS = [
  { name: 'monitor off', monitoring: { enabled: false }, shadowRate: null },
  { name: 'on, default rate (0.01)', monitoring: {}, shadowRate: 0.01 },
  { name: 'on, every request (1.0)', monitoring: { shadow_rate: 1, cpu_ms_per_minute: 1e9, max_queue_ms: 1e9 }, shadowRate: 1 },
] as const;

async function metricSum(url: string, name: string): Promise<number> {
  const text = (await timedRequest(`${url}/metrics`)).body;
  return text.split('\n').filter((l) => l.startsWith(`${name}{`)).reduce((s, l) => s + Number(l.split(' ').pop()), 0);
}

export async function latencyArms(digits: DigitSet, requests: number): Promise<LatencyArm[]> {
  const bodies = Array.from({ length: 64 }, (_, i) => JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [4, 784], data: Array.from(digits.pixels.subarray(i * 4 * 784, (i + 1) * 4 * 784)) }] }));
  const gateways: Running[] = [];
  for (const arm of ARMS) gateways.push(await startGateway({ gatewayConfig: gatewayConfig({ models: { mnist: { variants: ['int8'], slo_ms: 1000 } }, monitoring: arm.monitoring, logging: { request_sample_rate: 0 } }) }));
  const post = (gw: Running, i: number) => timedRequest(`${gw.url}/v2/models/mnist/infer`, { body: bodies[i % bodies.length]! });
  // Warm: sessions loaded (fp32 too, by the checks of the arm that checks everything), learners seeded.
  for (let i = 0; i < 100; i++) for (const gw of gateways) await post(gw, i);
  const isolates = gateways.map((gw) => workerdOf(gw.pid!).isolate);
  const cpu0 = isolates.map((pids) => cpuMs(pids));
  const shadow0 = await Promise.all(gateways.map((gw) => metricSum(gw.url, 'gateway_shadow_cpu_ms_total')));
  const cmp0 = await Promise.all(gateways.map((gw) => metricSum(gw.url, 'gateway_shadow_comparisons_total')));
  const times: number[][] = gateways.map(() => []);
  const predicted = gateways.map(() => 0);
  for (let i = 0; i < requests; i++) {
    for (let k = 0; k < gateways.length; k++) {
      const a = (i + k) % gateways.length;
      const res = await post(gateways[a]!, i);
      if (res.status !== 200) throw new Error(`${ARMS[a]!.name}: ${res.status} ${res.body.slice(0, 200)}`);
      times[a]!.push(res.totalMs);
      predicted[a]! += serverTiming(String(res.headers['server-timing'] ?? '')).predicted ?? 0;
    }
  }
  const out: LatencyArm[] = [];
  for (const [a, arm] of ARMS.entries()) {
    const gw = gateways[a]!;
    out.push({
      name: arm.name,
      shadowRate: arm.shadowRate,
      client: summarize(times[a]!),
      cpuPerRequestMs: (cpuMs(isolates[a]!) - cpu0[a]!) / requests,
      servingPredictedMs: predicted[a]!,
      shadowPredictedMs: (await metricSum(gw.url, 'gateway_shadow_cpu_ms_total')) - shadow0[a]!,
      comparisons: (await metricSum(gw.url, 'gateway_shadow_comparisons_total')) - cmp0[a]!,
      originCalls: await metricSum(gw.url, 'gateway_shadow_origin_calls_total'),
    });
  }
  await Promise.all(gateways.map((gw) => gw.stop()));
  return out;
}
