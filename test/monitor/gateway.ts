/**
 * The workers-tier shadow suites' gateway: a model's catalog entry with a `shuffled` variant in R2 (one of
 * its own files with the weights shuffled, broken-variant.ts) that claims the reference's offline fidelity,
 * and a gateway of its own (its own monitor, breaker and shadow budget) over that catalog, so one test's
 * demotions, budget and breaker never leak into another's.
 */
import { createExecutionContext, env } from 'cloudflare:test';
import catalog from '../../models/catalog.json';
import { sha256Hex } from '../../src/lib/sha256.js';
import { buildGateway } from '../../src/worker.js';
import { digits } from '../helpers.js';
import { shuffleWeights } from './broken-variant.js';

export type Obj = Record<string, unknown>;

/**
 * The catalog with `model` given a `shuffled` variant: its file `from` (a bundled asset) with the weights
 * shuffled, written to R2, with the facts of its variant `like` but the reference's offline fidelity (a
 * broken export that claims to be perfect).
 */
export async function brokenCatalog(model = 'mnist', { from = 'fp32', like = 'int8' } = {}): Promise<Obj[]> {
  // Each test starts from a policy key of its own (a clear recorded by another stays there).
  await env.POLICY.delete('policy');
  const source = new Uint8Array(await (await env.ASSETS.fetch(`https://assets.local/${model}/${from}.onnx`)).arrayBuffer());
  const bytes = shuffleWeights(source);
  await env.MODELS.put(`${model}/shuffled.onnx`, bytes);
  const entry = catalog.models.find((m) => m.name === model) as unknown as { variants: Record<string, Obj> } & Obj;
  const shuffled = { ...entry.variants[like], file: 'shuffled.onnx', bytes: bytes.byteLength, sha256: await sha256Hex(bytes), method: `${from} with its weights shuffled (a broken export)`, fidelity: entry.variants.fp32!.fidelity };
  return catalog.models.map((m) => (m.name === model ? { ...entry, variants: { ...entry.variants, shuffled } } : m));
}

export interface GatewayOptions {
  /** The model `settings` configure (default mnist). */
  model?: string;
  /** GATEWAY_CONFIG sections (`monitoring`, `origin`, …), each merged over the test bindings' own. */
  config?: Obj;
  /** Bindings replaced (e.g. ORIGIN_URL). */
  env?: Partial<Env>;
}

/** A gateway of its own (its own monitor) over `models`, with `model` configured as given (origin off unless given). */
export function gatewayWith(models: Obj[], settings: Obj, { model = 'mnist', config = {}, env: bindings = {} }: GatewayOptions = {}) {
  const base = env.GATEWAY_CONFIG as Obj;
  const sections = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, { ...(base[k] as Obj | undefined), ...(v as Obj) }]));
  const e = { ...env, ...bindings, GATEWAY_CONFIG: { ...base, ...sections, models: { [model]: { origin_enabled: false, ...settings } } } } as Env;
  const gw = buildGateway(e, models);
  /** `answered` runs as soon as the response is handed back, before its body is read. */
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, answered?: () => void) => {
    const ctx = createExecutionContext();
    const res = await gw.fetch(new Request(`http://gateway.test${path}`, { method, headers: { 'content-type': 'application/json', ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) }), e, ctx);
    answered?.();
    return { res, ctx, text: await res.text() };
  };
  return { gw, call, kv: e.POLICY };
}

/** `n` real mnist test digits from `from` on, one request (mnist and mnist-wide take the same input). */
export const digitsBody = (from: number, n = 4) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [n, 784], data: digits.inputs.slice(from, from + n).flat() }] });
