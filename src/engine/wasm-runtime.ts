/**
 * onnxruntime-web inside workerd. workerd forbids compiling WASM from bytes at run time, so the runtime's
 * .wasm is imported as a precompiled module (wrangler `CompiledWasm` rule) and handed to onnxruntime-web's
 * Emscripten loader by swapping the byte buffer it would compile for that module. Single-threaded:
 * Workers have no SharedArrayBuffer threads.
 */
import * as ort from 'onnxruntime-web/wasm';
import type { OrtModule } from './ort-session.js';

let prepared: OrtModule | undefined;

/** Prepares onnxruntime-web to use `wasmModule`; idempotent, called on first use (never at import time). */
export function wasmRuntime(wasmModule: WebAssembly.Module): OrtModule {
  if (prepared) return prepared;
  const instantiate = WebAssembly.instantiate.bind(WebAssembly) as (src: unknown, imports?: WebAssembly.Imports) => Promise<unknown>;
  const patched = async (source: unknown, imports?: WebAssembly.Imports) => {
    if (source instanceof WebAssembly.Module) return instantiate(source, imports);
    // Emscripten passes the placeholder bytes below; answer with the precompiled module instead.
    const instance = await instantiate(wasmModule, imports);
    return { instance, module: wasmModule };
  };
  (WebAssembly as { instantiate: unknown }).instantiate = patched;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.wasm.wasmBinary = new Uint8Array(8);
  ort.env.logLevel = 'error';
  prepared = ort as unknown as OrtModule;
  return prepared;
}
