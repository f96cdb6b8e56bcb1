/**
 * One SLO everywhere: each model's SLO is written once, in the gateway's policy (wrangler.toml), and the cloud
 * tier's queue timeout, batching window and autoscaling target are derived from it. These tests read the
 * exported files back and fail when any of them disagrees with the derivation from wrangler.toml, and show
 * that changing a model's SLO there changes what is exported.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../src/config.js';
import { parseConfig } from '../../src/config.js';
import { writeK8sManifests } from '../../tools/export/k8s/manifests.js';
import { cloudModels, readGatewayConfig } from '../../tools/export/policy.js';
import type { CloudTargets } from '../../tools/export/slo.js';
import { cloudTargets, originComputeMs } from '../../tools/export/slo.js';
import { parsePbtxt } from '../../tools/export/triton/proto.js';
import { writeTritonRepository } from '../../tools/export/triton/repository.js';
import { config, K8S, k8sExport, manifests, MODELS_DIR, tritonExport, WRANGLER, yamlDocuments } from './fixtures.js';

/** What the exported files say of one model's queueing, read back from them. */
function exported(tritonDir: string, k8sDir: string, model: string) {
  const pbtxt = parsePbtxt(readFileSync(join(tritonDir, model, 'config.pbtxt'), 'utf8'));
  const [isvc] = yamlDocuments(join(k8sDir, 'kserve/inferenceservice.yaml'));
  const [configMap, , , originScaler] = yamlDocuments(join(k8sDir, 'origin/deployment.yaml'));
  const [, , tritonScaler] = yamlDocuments(join(k8sDir, 'triton/deployment.yaml'));
  const trigger = (so: Record<string, any>) => Number(so['spec'].triggers.find((t: { name: string }) => t.name === `queue-${model}`).metadata.threshold);
  const isvcTarget = isvc!['spec'].predictor.autoScaling.metrics.find((m: any) => m.external.metric.query.includes(`model="${model}"`)).external.target.value;
  return {
    queue_timeout_us: Number(pbtxt.dynamicBatching!.defaultQueuePolicy!.defaultTimeoutMicroseconds),
    max_queue_delay_us: Number(pbtxt.dynamicBatching!.maxQueueDelayMicroseconds),
    origin_max_queue_delay_us: parseConfig(configMap!['data']['config.json']).models[model]!.max_queue_delay_ms! * 1000,
    scale_targets: [trigger(tritonScaler!), trigger(originScaler!), Number(isvcTarget)],
  };
}

const agree = (t: CloudTargets) => ({ queue_timeout_us: t.queue_timeout_us, max_queue_delay_us: t.max_queue_delay_us, origin_max_queue_delay_us: t.max_queue_delay_us, scale_targets: [t.queue_target_us, t.queue_target_us, t.queue_target_us] });

describe('one SLO everywhere', () => {
  const triton = tritonExport();
  const k8s = k8sExport();

  it.each(triton.written.map((w) => [w.name, w] as const))('%s: Triton, KServe, KEDA and our origin all carry what its SLO in wrangler.toml gives', (name, w) => {
    const manifest = manifests().find((m) => m.name === name)!;
    const fromWrangler = cloudTargets(readGatewayConfig(WRANGLER), manifest, w.variant);
    expect(exported(triton.dir, k8s.dir, name)).toEqual(agree(fromWrangler));
  });

  describe('changing a model\'s SLO', () => {
    const dir = mkdtempSync(join(tmpdir(), 'slo-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const exportWith = (label: string, cfg: GatewayConfig) => {
      const models = cloudModels(cfg, manifests(), { only: ['mnist'] });
      const out = { triton: join(dir, label, 'triton'), k8s: join(dir, label, 'k8s') };
      writeTritonRepository({ out: out.triton, config: cfg, models, modelsDir: MODELS_DIR, variants: 'served', weights: 'link', cpus: 2 });
      writeK8sManifests({ out: out.k8s, config: cfg, models, ...K8S, repositoryClaim: 'r', tritonImage: 't', originImage: 'o', prometheus: 'http://p', minReplicas: 1, maxReplicas: 2, cpus: 2 });
      return exported(out.triton, out.k8s, 'mnist');
    };

    it('changes the exported queue timeout and autoscaling target, read through --config', () => {
      const wrangler = readFileSync(WRANGLER, 'utf8');
      expect(wrangler).toMatch(/\[vars\.GATEWAY_CONFIG\.models\.mnist\]\nslo_ms = 100\n/);
      const slower = join(dir, 'wrangler.toml');
      writeFileSync(slower, wrangler.replace(/(\[vars\.GATEWAY_CONFIG\.models\.mnist\]\nslo_ms = )100\n/, '$1250\n'));
      const before = exportWith('before', config());
      const after = exportWith('after', readGatewayConfig(slower));
      expect(after.queue_timeout_us - before.queue_timeout_us).toBe(150_000);
      expect(after.scale_targets[0]! - before.scale_targets[0]!).toBeCloseTo(150_000 * 0.25, -1);
      expect(after).toEqual(agree(cloudTargets(readGatewayConfig(slower), manifests().find((m) => m.name === 'mnist')!, 'fp32')));
    });
  });
});

describe('the derivation', () => {
  const mnist = () => manifests().find((m) => m.name === 'mnist')!;
  const cfg = (models: Record<string, unknown>, origin: Record<string, unknown> = {}) => parseConfig({ models, origin: { expected_rtt_ms: 40, ...origin }, edge: { request_overhead_ms: 4 } });

  it.each([
    // slo, max_queue_delay_ms: budget = slo - 4 - 40; slack = budget - compute; timeout = slo - 4 + 100 - 40 - compute
    [100, 2, { budget_ms: 56, queue_timeout_us: 156_000, max_queue_delay_us: 2000, queue_target_us: 14_000 }],
    [60, 2, { budget_ms: 16, queue_timeout_us: 116_000, max_queue_delay_us: 1600, queue_target_us: 4000 }],
    [30, 2, { budget_ms: -14, queue_timeout_us: 86_000, max_queue_delay_us: 1000, queue_target_us: 1000 }],
  ])('SLO %i ms (batching window %i ms)', (slo, delay, want) => {
    const c = cfg({ mnist: { slo_ms: slo, max_queue_delay_ms: delay } });
    const compute = originComputeMs(c, mnist(), 'fp32');
    const t = cloudTargets(c, mnist(), 'fp32');
    const us = (ms: number) => Math.round(ms * 1000);
    expect(t.budget_ms).toBe(want.budget_ms);
    expect(t.queue_timeout_us).toBe(want.queue_timeout_us - us(compute));
    expect(t.max_queue_delay_us).toBe(Math.max(1000, Math.min(want.max_queue_delay_us, Math.round((want.budget_ms - compute) * 100))));
    expect(Math.abs(t.queue_target_us - Math.max(1000, Math.round((want.budget_ms - compute) * 250)))).toBeLessThanOrEqual(1);
    expect(t.attainable).toBe(want.budget_ms - compute > 0);
  });

  it('never waits in the queue past the origin\'s own timeout', () => {
    const t = cloudTargets(cfg({ mnist: { slo_ms: 60_000 } }, { timeout_ms: 10_000 }), mnist(), 'fp32');
    expect(t.queue_timeout_us).toBeLessThan(10_000 * 1000);
  });
});
