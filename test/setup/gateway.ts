/**
 * The real gateway app in this process, on Node: createApp (routes/app.ts) over a DataPlane whose edge
 * backend is the native engine (onnxruntime-node, variant files from the models folder), with the device
 * routes' artifacts read from the same folder (origin/fs-store.ts) and no origin behind it. What differs
 * from the Worker is only the runtime: the routes, the data plane, the selectors and the config schema are
 * the deployment's. The config can be replaced while it runs, as a KV policy reload replaces the Worker's,
 * and every request's method and path is logged for tests that count round trips.
 */
import { serve } from '@hono/node-server';
import * as ort from 'onnxruntime-node';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { FsArtifacts, FsStore } from '../../origin/fs-store.js';
import { createApp } from '../../routes/app.js';
import { parseConfig } from '../../src/config.js';
import type { GatewayConfig } from '../../src/config.js';
import { learnerOptions } from '../../src/config/learning.js';
import { DataPlane } from '../../src/dataplane.js';
import { fleetPrior } from '../../src/latency/fleet.js';
import { LatencyLearner } from '../../src/latency/learner.js';
import { Metrics } from '../../src/metrics.js';
import { FidelityMonitor } from '../../src/monitor/monitor.js';
import { fidelityScore } from '../../src/select/facts.js';
import { OrtEngine } from '../../src/engine/ort-engine.js';
import type { OrtModule } from '../../src/engine/ort-engine.js';
import { Registry } from '../../src/registry/registry.js';
import { liveView } from '../../src/select/live.js';
import { readManifests } from '../../tools/lib/manifests.js';

export const MODELS = resolve('models');

type Obj = Record<string, unknown>;

export interface GatewayOptions {
  /** Default 0: any free port. */
  port?: number;
  modelsDir?: string;
  /** The inference API key the gateway requires (its sha256 goes into the config); none: open. */
  apiKey?: string;
  /** GATEWAY_CONFIG overrides, deep-merged over the test gateway's base config. */
  config?: Obj;
}

export interface LocalGateway {
  url: string;
  /** `METHOD /path?query` of every request, in order; tests may empty it. */
  log: string[];
  /** The data plane behind the app, for in-process benches that read its monitor or metrics without HTTP. */
  plane: DataPlane;
  /** Replaces the config overrides (deep-merged over the base, as at start); the next request reads them. */
  setConfig(overrides: Obj): void;
  close(): Promise<void>;
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const merge = (a: Obj, b: Obj): Obj => Object.fromEntries([...Object.keys(a), ...Object.keys(b)].map((k) => [k, isObj(a[k]) && isObj(b[k]) ? merge(a[k], b[k]) : k in b ? b[k] : a[k]]));

/** Starts the app; resolves once it listens on 127.0.0.1. */
export async function startGateway({ port = 0, modelsDir = MODELS, apiKey, config: overrides = {} }: GatewayOptions = {}): Promise<LocalGateway> {
  // No origin: every answer is the edge's. No rate limit: a test is one caller sending many requests. Answered
  // inferences unlogged (errors and device routes still are): a test's output stays readable.
  const base: Obj = {
    site: 'edge',
    policy: { origin_enabled: false },
    logging: { request_sample_rate: 0 },
    auth: { rate_limit: false, ...(apiKey ? { api_keys_sha256: [createHash('sha256').update(apiKey).digest('hex')] } : {}) },
  };
  let config: GatewayConfig = parseConfig(merge(base, overrides));
  const engine = new OrtEngine({ ort: ort as unknown as OrtModule, store: new FsStore(modelsDir), queuePerVariant: true });
  // As the Worker's composition root does, without a colo: the fleet-wide fit of `learned`, where set.
  const learner = new LatencyLearner({ ...learnerOptions(config.learning), priorOf: fleetPrior(() => config.learned) });
  const metrics = new Metrics();
  const monitor = new FidelityMonitor({
    metrics,
    latencyMs: (model, variant) => learner.predict('edge', model, variant, 1, config.edge.speed_factor),
    offline: (model, variant) => fidelityScore(model.variants[variant]!),
  });
  const plane = new DataPlane({
    registry: new Registry(readManifests(modelsDir)),
    learner,
    metrics,
    monitor,
    backends: { edge: engine },
    live: liveView(engine),
    config: { get: async () => config },
    initialConfig: config,
    artifacts: [new FsArtifacts(modelsDir)],
  });
  const app = createApp({ plane, maxBodyBytes: config.limits.max_body_bytes });
  const log: string[] = [];
  const fetch = (req: Request) => {
    const u = new URL(req.url);
    log.push(`${req.method} ${u.pathname}${u.search}`);
    return app.fetch(req);
  };
  return new Promise((ok) => {
    const server = serve({ fetch, port, hostname: '127.0.0.1' }, (info) => {
      ok({
        url: `http://127.0.0.1:${info.port}`,
        log,
        plane,
        setConfig: (next) => void (config = parseConfig(merge(base, next))),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          }),
      });
    });
  });
}
