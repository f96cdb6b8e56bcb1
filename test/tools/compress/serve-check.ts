/**
 * Test helper: serves a folder of freshly compressed models through the gateway's own HTTP app and data
 * plane (the origin, `origin/server.ts`, the same `createApp` and `DataPlane` as the Worker with
 * onnxruntime-node as its engine), pins each variant with `x-model-variant`, and returns every answer, so a
 * test can check that what the compressor wrote is servable and answers as onnxruntime-web does.
 */
import type { ModelManifest } from '../../../src/registry/manifest.js';
import { startOrigin } from '../../../origin/server.js';
import type { Feeds } from '../../../tools/compress/data/feeds.js';

/** One v2 request body from feeds (every sample of every input). */
export function v2Body(feeds: Feeds): string {
  const inputs = Object.entries(feeds).map(([name, f]) => ({
    name,
    datatype: f.type === 'int64' ? 'INT64' : 'FP32',
    shape: f.dims,
    data: Array.from(f.data as ArrayLike<number | bigint>, Number),
  }));
  return JSON.stringify({ inputs });
}

/** Each variant's answer (status, first output's values) to `feeds`, served by the gateway app from `modelsDir`. */
export async function serveEachVariant(modelsDir: string, model: ModelManifest, feeds: Feeds): Promise<Record<string, { status: number; servedVariant: string | null; first?: Float32Array; body: unknown }>> {
  // Port 0: the system picks a free one.
  const origin = await startOrigin({ port: 0, host: '127.0.0.1', modelsDir });
  try {
    const out: Record<string, { status: number; servedVariant: string | null; first?: Float32Array; body: unknown }> = {};
    for (const variant of Object.keys(model.variants)) {
      const res = await fetch(`${origin.url}/v2/models/${model.name}/infer`, { method: 'POST', body: v2Body(feeds), headers: { 'content-type': 'application/json', 'x-model-variant': variant } });
      const body = (await res.json()) as { outputs?: { name: string; data: number[] }[] };
      const first = body.outputs?.find((o) => o.name === model.outputs[0]!.name);
      out[variant] = { status: res.status, servedVariant: res.headers.get('x-model-variant'), body, ...(first ? { first: Float32Array.from(first.data) } : {}) };
    }
    return out;
  } finally {
    await origin.close();
  }
}
