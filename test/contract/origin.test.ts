/**
 * The backend contract against the origin client, from inside workerd, talking to the real origin process
 * (onnxruntime-node, started by test/setup/origin.ts at env.ORIGIN_URL), once with binary tensors and once
 * with plain JSON ones. The origin serves every model, the INT64 transformer included.
 */
import { env } from 'cloudflare:test';
import catalog from '../../models/catalog.json';
import { OriginClient } from '../../src/origin/client.js';
import { Registry } from '../../src/registry/registry.js';
import { backendContract } from './backend.case.js';

const registry = new Registry(catalog.models);

for (const binary of [true, false]) {
  backendContract(`the origin client (${binary ? 'binary' : 'JSON'} tensors)`, {
    backend: new OriginClient({ url: env.ORIGIN_URL, expectedRttMs: 40, breakerFailures: 3, breakerOpenMs: 5000, minAttemptMs: 50, binary, token: (env as { ORIGIN_TOKEN?: string }).ORIGIN_TOKEN }),
    registry,
    int64Model: 'transformer-small',
  });
}
