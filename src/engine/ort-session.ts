/**
 * One onnxruntime session in v2 terms, for both runtimes (web and node): opened from a model store's
 * verified bytes, and run with v2 input tensors as feeds, the requested outputs (all of the session's by
 * default) coming back as v2 tensors.
 */
import type * as ortTypes from 'onnxruntime-common';
import { EngineFailure } from '../errors.js';
import { datatypeOfOrt, DATATYPE_INFO } from '../protocol/datatypes.js';
import type { InferenceRequest, Tensor } from '../protocol/tensor.js';
import type { ModelManifest, VariantLoad, VariantName } from '../registry/manifest.js';
import type { ModelStore } from './model-store.js';
import { variantKey } from './model-store.js';

/** What the engine uses of an onnxruntime package (onnxruntime-web and onnxruntime-node both fit). */
export interface OrtModule {
  /** From bytes, or from a file path (onnxruntime-node only: stores with a `path` are native ones). */
  InferenceSession: { create(source: Uint8Array | string, options?: ortTypes.InferenceSession.SessionOptions): Promise<ortTypes.InferenceSession> };
  Tensor: new (type: string, data: unknown, dims: readonly number[]) => ortTypes.Tensor;
}

/**
 * The engine's session options plus what the variant's file needs (its manifest `load`), for every runtime
 * that opens it (the edge, the origin, the measuring probes), so they all run the same graph. `extra` is
 * onnxruntime's session config: both onnxruntime-web and onnxruntime-node 1.30 pass it on.
 */
export function sessionOptionsFor(load: VariantLoad | undefined, base: ortTypes.InferenceSession.SessionOptions = {}): ortTypes.InferenceSession.SessionOptions {
  if (!load?.fold_dequantize) return base;
  const extra = base.extra ?? {};
  const session = (extra['session'] ?? {}) as Record<string, unknown>;
  // Off, onnxruntime keeps DequantizeLinear for its QDQ fusions and runs it on every call; on, constant
  // folding turns the int8 weights into fp32 initializers once, at session creation.
  return { ...base, extra: { ...extra, session: { ...session, disable_quant_qdq: '1' } } };
}

/** Fetches and opens a variant; any failure (missing, corrupt, unloadable) is an EngineFailure. */
export async function openSession(
  ort: OrtModule,
  store: ModelStore,
  model: ModelManifest,
  variant: VariantName,
  options?: ortTypes.InferenceSession.SessionOptions,
): Promise<ortTypes.InferenceSession> {
  const key = variantKey(model, variant);
  let source: Uint8Array | string | undefined;
  try {
    source = (await store.path?.(model, variant)) ?? (await store.get(model, variant));
  } catch (cause) {
    throw new EngineFailure(`could not fetch ${key}: ${(cause as Error).message}`, { cause });
  }
  if (!source) throw new EngineFailure(`variant file ${key} is not in any model store`);
  try {
    return await ort.InferenceSession.create(source, sessionOptionsFor(model.variants[variant]?.load, options));
  } catch (cause) {
    throw new EngineFailure(`could not load ${key}: ${(cause as Error).message}`, { cause });
  }
}

/**
 * Runs `request` on `session`. onnxruntime's own errors pass through (the engine decides whose fault they are);
 * a missing output or one of a type v2 cannot carry is the variant's (EngineFailure).
 */
export async function runSession(ort: OrtModule, session: ortTypes.InferenceSession, request: InferenceRequest): Promise<Tensor[]> {
  const feeds: Record<string, ortTypes.Tensor> = {};
  for (const t of request.inputs) feeds[t.name] = new ort.Tensor(DATATYPE_INFO[t.datatype].ort, t.data, t.shape);
  const names = request.outputs ?? session.outputNames;
  const results = await session.run(feeds, [...names]);
  return names.map((name) => {
    const out = results[name];
    if (!out) throw new EngineFailure(`the model did not produce output '${name}'`);
    const datatype = datatypeOfOrt(out.type);
    if (!datatype) throw new EngineFailure(`output '${name}' has unsupported type ${out.type}`);
    return { name, datatype, shape: [...out.dims], data: out.data as Tensor['data'] };
  });
}
