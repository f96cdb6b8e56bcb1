/**
 * Child-process entry for web-check.ts: creates (and releases) an onnxruntime-web session for one model
 * file. In a child because onnxruntime-web's WASM heap only grows: the compressor should not carry a second
 * runtime's copy of the model for the rest of its run.
 * Usage: node --import tsx web-load.ts <model.onnx>  -> exit 0, or exit 3 with {"error": "..."} on the last line.
 */
import { readFileSync } from 'node:fs';

const ort = await import('onnxruntime-web');
ort.env.wasm.numThreads = 1;
try {
  const session = await ort.InferenceSession.create(readFileSync(process.argv[2]!), { executionProviders: ['wasm'] });
  await session.release();
} catch (err) {
  process.stdout.write(`\n${JSON.stringify({ error: (err as Error).message ?? String(err) })}\n`);
  process.exitCode = 3;
}
