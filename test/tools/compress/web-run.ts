/**
 * Test helper: runs model files in onnxruntime-web (WASM, 1 thread), the runtime that serves edge variants,
 * in a child process (as the probe does), many feed sets per model in one process so a test can check every
 * variant on several inputs without paying a process start each time.
 * Usage: node --import tsx web-run.ts <request.json>  -> a JSON array (per model, per feed set) of base64
 * float32 first outputs on the last line.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EncodedFeeds } from '../../../tools/measure/probe.js';
import { encodeFeeds } from '../../../tools/measure/variants.js';
import type { Feeds } from '../../../tools/compress/data/feeds.js';

const SELF = fileURLToPath(import.meta.url);

/** First outputs of each model on each feed set: result[model][feeds]. */
export function runWeb(models: string[], feeds: Feeds[], requestFile: string): Float32Array[][] {
  writeFileSync(requestFile, JSON.stringify({ models, feeds: feeds.map(encodeFeeds) }));
  const child = spawnSync(process.execPath, ['--import', 'tsx', SELF, requestFile], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (child.status !== 0) throw new Error(`web-run failed (exit ${child.status}): ${child.stderr}`);
  const out = JSON.parse(child.stdout.trim().split('\n').pop()!) as string[][];
  return out.map((perModel) => perModel.map((b64) => {
    const buf = Buffer.from(b64, 'base64');
    return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  }));
}

if (process.argv[1] === SELF) {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = 1;
  const req = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as { models: string[]; feeds: EncodedFeeds[] };
  const result: string[][] = [];
  for (const file of req.models) {
    const session = await ort.InferenceSession.create(readFileSync(file), { executionProviders: ['wasm'] });
    const outs: string[] = [];
    for (const enc of req.feeds) {
      const input: Record<string, InstanceType<typeof ort.Tensor>> = {};
      for (const [name, f] of Object.entries(enc)) {
        const buf = Buffer.from(f.data, 'base64');
        const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
        input[name] = f.type === 'float32' ? new ort.Tensor('float32', new Float32Array(ab), f.dims) : new ort.Tensor('int64', new BigInt64Array(ab), f.dims);
      }
      const out = await session.run(input);
      const first = out[session.outputNames[0]!]!.data as Float32Array;
      outs.push(Buffer.from(first.buffer, first.byteOffset, first.byteLength).toString('base64'));
    }
    await session.release();
    result.push(outs);
  }
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}
