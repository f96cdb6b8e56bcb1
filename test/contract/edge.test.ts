/**
 * The backend contract against the edge engine: onnxruntime-web's WASM inside workerd, reading the bundled
 * variant files through the ASSETS binding exactly as the Worker does (verified against the manifest).
 * No INT64 model is bundled at the edge (the transformers live in R2 or at the origin), so that case is
 * the origin's alone.
 */
import wasmModule from '../../node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.wasm';
import { env } from 'cloudflare:test';
import catalog from '../../models/catalog.json';
import { AssetStore, VerifyingStore } from '../../src/engine/model-store.js';
import { OrtEngine } from '../../src/engine/ort-engine.js';
import { wasmRuntime } from '../../src/engine/wasm-runtime.js';
import { Registry } from '../../src/registry/registry.js';
import { backendContract } from './backend.case.js';

backendContract('the edge engine (onnxruntime-web in workerd)', {
  backend: new OrtEngine({ ort: wasmRuntime(wasmModule), store: new VerifyingStore([new AssetStore(env.ASSETS)]) }),
  registry: new Registry(catalog.models),
});
