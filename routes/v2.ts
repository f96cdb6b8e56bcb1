/**
 * Open Inference Protocol v2 routes (KServe / Triton REST): HTTP only. Parse and validate, call the data
 * plane, serialize. Errors are thrown as domain errors and mapped to JSON once, in the app's onError.
 */
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { DataPlane } from '../src/dataplane.js';
import { InvalidInput, MethodNotAllowed, ModelNotReady } from '../src/errors.js';
import type { ModelManifest, VariantName } from '../src/registry/manifest.js';

export interface V2Env {
  Variables: { plane: DataPlane; requestId: string };
}

const SERVER_NAME = 'edge-inference-gateway';
const SERVER_VERSION = '0.1.0';

function metadata(model: ModelManifest) {
  return {
    name: model.name,
    versions: [model.version],
    platform: 'onnxruntime_onnx',
    inputs: model.inputs,
    outputs: model.outputs,
  };
}

function methodNotAllowed(allow: string) {
  return () => {
    throw new MethodNotAllowed(allow);
  };
}

/** The model (and version, when the path names one) of a model route; 404 when unknown. */
function modelOf(c: Context<V2Env>): ModelManifest {
  return c.get('plane').registry.get(c.req.param('model') ?? '', c.req.param('version'));
}

/** The v2 route table. */
export function v2Routes(): Hono<V2Env> {
  const app = new Hono<V2Env>();

  app.get('/', (c) => c.json({ name: SERVER_NAME, version: SERVER_VERSION, extensions: ['model_variants', 'slo_routing', 'client_hints'] }));
  app.get('/health/live', (c) => c.json({ live: true }));
  app.get('/health/ready', (c) => {
    c.get('plane');
    return c.json({ ready: true });
  });

  app.get('/models', (c) => {
    const plane = c.get('plane');
    return c.json({
      models: plane.registry.list().map((m) => ({
        name: m.name,
        versions: [m.version],
        synthetic: m.synthetic,
        ready: plane.modelReady(m),
        variants: (Object.keys(m.variants) as VariantName[]).map((v) => ({
          name: v,
          bytes: m.variants[v]!.bytes,
          edge_memory_bytes: m.variants[v]!.edge_memory_bytes,
          placement: plane.placement(m, v),
        })),
      })),
    });
  });

  for (const prefix of ['/models/:model', '/models/:model/versions/:version']) {
    app.get(prefix, (c) => c.json(metadata(modelOf(c))));
    app.get(`${prefix}/ready`, (c) => {
      const plane = c.get('plane');
      const model = modelOf(c);
      if (!plane.modelReady(model)) throw new ModelNotReady(`model '${model.name}' has no edge variant within budget and the origin is down`);
      return c.json({ name: model.name, ready: true });
    });
    app.post(`${prefix}/infer`, async (c) => {
      const text = await c.req.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (e) {
        throw new InvalidInput(`malformed JSON body: ${(e as Error).message}`);
      }
      const requestId = c.get('requestId');
      const outcome = await c.get('plane').infer(modelOf(c), body, {
        header: (name) => c.req.header(name),
        requestBytes: new TextEncoder().encode(text).byteLength,
        ...(requestId ? { requestId } : {}),
      });
      return c.json(outcome.body, 200, outcome.headers);
    });
    app.on(['GET', 'PUT', 'DELETE', 'PATCH'], `${prefix}/infer`, methodNotAllowed('POST'));
    app.on(['POST', 'PUT', 'DELETE', 'PATCH'], prefix, methodNotAllowed('GET'));
  }
  return app;
}
