/**
 * TensorFlow.js for the trainer, loaded on first use (nothing at import time): `@tensorflow/tfjs` 4.22.0 for
 * tensors, autodiff and Adam on its pure-JS CPU backend, and `@tensorflow/tfjs-backend-wasm` 4.22.0, whose
 * .wasm binaries ship inside the npm package and are read from node_modules (nothing is downloaded).
 * The WASM backend runs matmul and conv forward in XNNPACK, 3-4x the CPU backend here (bench/trainers.ts);
 * it lacks three gradient kernels, which conv.ts supplies from ops it has.
 * `@tensorflow/tfjs` rather than tfjs-core + tfjs-backend-cpu alone: in Node only its bundle registers the
 * gradient functions (tfjs-core's CommonJS build leaves them out, and its ESM build does not load in Node).
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

export type Tf = typeof import('@tensorflow/tfjs');
export type Backend = 'cpu' | 'wasm';

let loaded: Promise<Tf> | undefined;

/** TensorFlow.js with both backends registered and `backend` selected; deterministic (no random init used). */
export async function loadTf(backend: Backend = 'wasm'): Promise<Tf> {
  loaded ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    // PROD silences the "install tfjs-node" banner the CPU backend prints on first use in Node.
    tf.env().set('PROD', true);
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`);
    return tf;
  })();
  const tf = await loaded;
  if (!(await tf.setBackend(backend))) throw new Error(`TensorFlow.js backend '${backend}' did not initialise`);
  await tf.ready();
  return tf;
}
