/**
 * `npm run models:int8w [-- mnist ppocr-cls ppocr-rec ppocr-det transformer-small]`: adds the weight-only
 * INT8 variant (int8w) to the bundled compressed models with each model's own compress options (its
 * evaluation set, fidelity floor and latency grid), leaving their committed variants as they are
 * (tools/compress/add-int8w.ts). Each model's full script (`npm run models:ocr`, ...) makes int8w as well.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addWeightOnly } from '../compress/add-int8w.js';
import type { CompressOptions } from '../compress/pipeline.js';
import { writeModel } from '../onnx/io.js';
import { mnistOptions, mnistRecord } from './mnist/build.js';
import { ocrOptions } from './ocr/build.js';
import { buildTransformer } from './transformer/graph.js';
import { SMALL_SEQ, TRANSFORMER_SMALL, transformerOptions } from './transformer/small.js';

const MODELS = {
  mnist: (work: string) => mnistOptions(work, mnistRecord(), 'npm run models:mnist -- --no-train'),
  'ppocr-cls': (work: string) => ocrOptions('cls', 'models', work),
  'ppocr-rec': (work: string) => ocrOptions('rec', 'models', work),
  'ppocr-det': (work: string) => ocrOptions('det', 'models', work),
  'transformer-small': (work: string) => {
    const fp32 = join(work, 'fp32.onnx');
    writeModel(fp32, buildTransformer(TRANSFORMER_SMALL));
    return transformerOptions('transformer-small', TRANSFORMER_SMALL, fp32, 'models', SMALL_SEQ);
  },
} satisfies Record<string, (work: string) => CompressOptions>;

const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(MODELS);
const unknown = names.filter((n) => !(n in MODELS));
if (unknown.length) {
  console.error(`models:int8w: unknown model ${unknown.join(', ')}; one of ${Object.keys(MODELS).join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const name of names) {
  const work = mkdtempSync(join(tmpdir(), `int8w-${name}-`));
  const log = (line: string) => console.log(`[${name}] ${line}`);
  try {
    const started = performance.now();
    const { verdict, variant } = await addWeightOnly(MODELS[name as keyof typeof MODELS](work), log);
    log(variant ? `int8w written in ${Math.round((performance.now() - started) / 1000)}s: ${variant.bytes} bytes, ${verdict.check}` : `int8w not written, below its floor: ${verdict.check}`);
  } catch (err) {
    failed = true;
    console.error(`[${name}] failed: ${(err as Error).message.split('\n')[0]}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
if (failed) process.exit(1);
