/**
 * Smoke test of the bench tooling without starting a stack: the workload generator replays, the stats
 * helpers read server-timing, and the report turns fixture results into README.md and SVG charts.
 * No timing assertions.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_OVERRIDES, deploymentConfig, gatewayConfig, originOnly } from '../../bench/lib/gateway-config.js';
import { writeReport } from '../../bench/report.js';
import { parseConfig } from '../../src/config.js';
import { serverTiming, summarize } from '../../bench/lib/stats.js';
import { generateWorkload } from '../../bench/workloads/generate.js';

const summary = (p50: number) => ({ n: 3, mean: p50, p50, p95: p50, p99: p50, min: p50, max: p50 });

const fixtures: Record<string, unknown> = {
  overhead: { measured_at: 'now', machine: { cpus: 2, cpu: 'test' }, cases: [{ model: 'mnist', variant: 'fp32', pairs: 3, gateway_client: summary(2), bare_client: summary(1), gateway_worker_total: summary(1), bare_session_run: summary(0.5), client_ratio_p50: 2, client_ratio_p99: 2, client_overhead_ms_p50: 1, client_overhead_ms_p99: 1, worker_ratio_p50: 2, worker_ratio_p99: 2, worker_overhead_ms_p50: 0.5, worker_overhead_ms_p99: 0.5, target_met: true }] },
  variants: { rows: [1, 2, 4].flatMap((batch) => ['fp32', 'fp16', 'int8'].map((variant) => ({ model: 'mnist', variant, batch, n: 2, client_p50: batch, client_p95: batch, infer_p50: 0, infer_p95: 0 }))) },
  load: { concurrency: [1, 8], note: 'fixture', cells: [1, 8].flatMap((connections) => ['gateway', 'bare Worker', 'origin direct', 'origin via gateway'].map((side) => ({ model: 'mnist', variant: 'fp32', side, served_by: side, connections, rps: connections * 10, p50: 1, p95: 2, p99: 3, errors: 0, non2xx: 0, slo_attainment: 1 }))) },
  batching: { policy: 'fixture', cells: ['on', 'off'].map((batching) => ({ model: 'transformer-small', variant: 'int8', connections: 64, batching, rps: batching === 'on' ? 30 : 10, mean_batch: 4, p50: 1, p95: 2, p99: 3, slo_ms: 100, slo_attainment: 1, errors: 0, non2xx: 0 })), ratios: [{ model: 'transformer-small', connections: 64, rps_ratio: 3, p99_on: 3, slo_ms: 100, target_met: true }] },
  coldstart: { runtime_init_ms: 40, target: { first_answer_ms: 200, limit_ms: 300, met: true }, rows: [{ model: 'mnist', variant: 'int8', file_bytes: 1e5, ttfb_ms: 90, load_ms: 60, warm_load_ms: 20, runtime_init_ms: 40, infer_ms: 1, other_ms: 29, process_start_ms: 5000 }] },
  memory: { source: 'fixture', fresh: [{ model: 'mnist', variant: 'int8', manifest_edge_memory_bytes: 16777216, resident_bytes: 113034, sessions: 1 }], loaded_in_turn: [{ model: 'mnist', variant: 'int8', resident_bytes: 113034, sessions: 2 }] },
  routing: { workload: 'fixture', seed: 1, origin_rtt_ms: 40, e2e: 'fixture', verdict: { adaptive_attainment_feasible: 1, attainment_target_met: true, static_policies_with_same_or_better_attainment: [], fidelity_target_met: true }, policies: ['adaptive', 'static int8'].map((policy) => ({ policy, requests: 2, feasible: 2, attainment: 1, attainment_feasible: 1, mean_fidelity: 0.99, e2e_p50: 10, e2e_p99: 20, errors: 0, served: { 'edge:int8': 2 } })) },
};

describe('bench tooling', () => {
  it('generates the same workload from the same seed, within the stated ranges', () => {
    const a = generateWorkload(7, 50);
    expect(generateWorkload(7, 50)).toEqual(a);
    for (const r of a.requests) {
      expect(r.slo_ms).toBeGreaterThanOrEqual(20);
      expect(r.slo_ms).toBeLessThanOrEqual(500);
      expect(r.batch).toBeGreaterThanOrEqual(1);
      expect(r.batch).toBeLessThanOrEqual(16);
    }
  });

  it('reads server-timing durations and percentiles', () => {
    expect(serverTiming('select;dur=1.50, load;dur=20.00, infer;dur=3.25')).toEqual({ select: 1.5, load: 20, infer: 3.25 });
    expect(summarize([5, 1, 3, 2, 4])).toMatchObject({ n: 5, p50: 3, p95: 5, p99: 5, min: 1, max: 5, mean: 3 });
  });

  it('takes the gateway config from wrangler.toml, so bench measures the policy that ships', () => {
    const toml = readFileSync('wrangler.toml', 'utf8');
    const deployed = deploymentConfig();
    expect(deployed.policy).toMatchObject({ slo_ms: Number(/^\[vars\.GATEWAY_CONFIG\.policy\][^[]*^slo_ms = (\d+)$/m.exec(toml)![1]) });
    expect(deployed).toMatchObject({ site: 'edge', models: { mnist: { slo_ms: 100 } } });
    // A valid config as a whole, like the Worker's own startup check.
    expect(() => parseConfig(gatewayConfig())).not.toThrow();
  });

  it('reads any wrangler config given to it and names the file when the table is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-toml-'));
    writeFileSync(join(dir, 'a.toml'), 'name = "x"\n[vars.GATEWAY_CONFIG.policy]\nslo_ms = 7\nvariants = ["int8"]\n');
    expect(deploymentConfig(join(dir, 'a.toml'))).toEqual({ policy: { slo_ms: 7, variants: ['int8'] } });
    writeFileSync(join(dir, 'b.toml'), 'name = "x"\n[vars]\nORIGIN_URL = ""\n');
    expect(() => deploymentConfig(join(dir, 'b.toml'))).toThrow(/b\.toml has no \[vars\.GATEWAY_CONFIG\] table/);
  });

  it('lays bench overrides over wrangler.toml, deep-merged, deployment values kept elsewhere', () => {
    const deployed = deploymentConfig();
    const config = gatewayConfig({ models: { mnist: { batching: false } } }) as any;
    expect(config.auth).toMatchObject(BENCH_OVERRIDES.auth as object);
    expect(config.models.mnist).toEqual({ ...(deployed.models as any).mnist, batching: false });
    expect(config.policy).toEqual(deployed.policy);
    expect((originOnly(['transformer-small']) as any).models['transformer-small']).toEqual({ edge_memory_budget_bytes: 1 });
  });

  it('writes the results README with every SVG chart from fixture results', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    for (const [name, data] of Object.entries(fixtures)) writeFileSync(join(dir, `${name}.json`), JSON.stringify(data));
    const written = writeReport(dir);
    expect(written).toEqual(expect.arrayContaining(['README.md', 'latency-vs-batch.svg', 'side-by-side.svg', 'batching.svg', 'coldstart.svg', 'slo-attainment.svg']));
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('![latency vs batch](latency-vs-batch.svg)');
    expect(readFileSync(join(dir, 'slo-attainment.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\n$/);
  });
});
