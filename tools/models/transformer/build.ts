/**
 * `npm run models:transformer [-- --config large|small|tiny --name N --layers L ...]`: generates the
 * synthetic encoder's variants, measures them in onnxruntime-web and writes `models/<name>/manifest.json`
 * (committed) with each variant's sha256. The .onnx files themselves are not committed: `npm run models`
 * regenerates them from `provenance.config` and checks them against that sha256.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ModelManifest } from '../../../src/registry/manifest.js';
import { type TensorSpec } from '../../../src/protocol/datatypes.js';
import { writeFileAtomic } from '../../onnx/io.js';
import { encodeFeeds, measureVariants } from '../../measure/variants.js';
import { Prng } from '../../lib/prng.js';
import { parameterCount, TRANSFORMER_CONFIGS, type TransformerConfig } from './config.js';
import { generateTransformer } from './generate.js';

const { values } = parseArgs({
  options: {
    config: { type: 'string', default: 'large' },
    name: { type: 'string' },
    layers: { type: 'string' }, hidden: { type: 'string' }, heads: { type: 'string' }, ffn: { type: 'string' },
    vocab: { type: 'string' }, 'max-seq': { type: 'string' }, seed: { type: 'string' },
    seq: { type: 'string', default: '32' },
  },
});
const base = TRANSFORMER_CONFIGS[values.config as keyof typeof TRANSFORMER_CONFIGS];
if (!base) throw new Error(`unknown --config ${values.config}; one of ${Object.keys(TRANSFORMER_CONFIGS).join(', ')}`);
const num = (v: string | undefined, d: number) => (v === undefined ? d : Number(v));
const config: TransformerConfig = {
  layers: num(values.layers, base.layers), hidden: num(values.hidden, base.hidden), heads: num(values.heads, base.heads),
  ffn: num(values.ffn, base.ffn), vocab: num(values.vocab, base.vocab), maxSeq: num(values['max-seq'], base.maxSeq), seed: num(values.seed, base.seed),
};
const name = values.name ?? `transformer-${values.config}`;
const dir = join('models', name);
const seq = Math.min(Number(values.seq), config.maxSeq);
const log = (line: string) => console.log(`[${name}] ${line}`);

const started = performance.now();
const written = generateTransformer(config, dir);
const generationSeconds = Math.round((performance.now() - started) / 100) / 10;
log(`generated ${parameterCount(config)} parameters in ${generationSeconds}s`);
// Weights are regenerated at setup, never committed.
writeFileSync(join(dir, '.gitignore'), '*.onnx\n*.onnx.tmp-*\n');

// Evaluation: 4 seeded random sequences, the last two padded, to exercise the mask.
const prng = new Prng(config.seed + 1);
const evalBatch = 4;
const ids = BigInt64Array.from({ length: evalBatch * seq }, () => BigInt(prng.int(config.vocab)));
const mask = BigInt64Array.from({ length: evalBatch * seq }, (_, i) => (Math.floor(i / seq) >= 2 && i % seq >= seq / 2 ? 0n : 1n));
const inputs: TensorSpec[] = [
  { name: 'input_ids', datatype: 'INT64', shape: [-1, -1] },
  { name: 'attention_mask', datatype: 'INT64', shape: [-1, -1] },
];
const variants = await measureVariants({
  dir,
  inputs,
  variants: [
    { name: 'fp32', method: 'reference fp32 (synthetic random weights)' },
    { name: 'fp16', method: 'fp16 weights+compute, fp32 io (Cast at graph edges)' },
    { name: 'int8', method: 'dynamic int8: DynamicQuantizeLinear + MatMulInteger, int8 per-column symmetric weights; word embeddings int8 per-row; norms, biases, position embeddings fp32' },
  ],
  evalFeeds: encodeFeeds({ input_ids: { data: ids, dims: [evalBatch, seq] }, attention_mask: { data: mask, dims: [evalBatch, seq] } }),
  evalSet: `${evalBatch} seeded random token sequences of length ${seq} (2 half padded); compared per token over hidden`,
  width: config.hidden,
  classifier: false,
  batches: config.hidden >= 512 ? [1, 2, 4] : [1, 2, 4, 8, 16, 32],
  warmup: 2,
  runs: config.hidden >= 512 ? 6 : 60,
  budgetMsPerPoint: 20000,
  seq,
  intHigh: config.vocab,
  runtimeNote: `, seq ${seq} (items = sequences of ${seq} tokens)`,
  item: { input: 'input_ids', elements: seq },
  log,
});
for (const [v, w] of Object.entries(written)) {
  const measured = variants[v as keyof typeof variants];
  if (measured?.sha256 !== w.sha256) throw new Error(`${v}: file changed during measurement`);
}

const manifest = ModelManifest.parse({
  name,
  version: '1',
  platform: 'onnx',
  description: `SYNTHETIC BERT-like transformer encoder with random weights (${config.layers} layers, hidden ${config.hidden}, ${config.heads} heads, ffn ${config.ffn}, vocab ${config.vocab}). For size/latency/memory scaling only: its outputs mean nothing.`,
  synthetic: true,
  inputs,
  outputs: [{ name: 'last_hidden_state', datatype: 'FP32', shape: [-1, -1, config.hidden] }],
  batch_axis: true,
  variants,
  provenance: {
    generator: 'transformer',
    config,
    parameters: parameterCount(config),
    weights: 'uniform(-0.02*sqrt3, 0.02*sqrt3) from mulberry32 seeded PRNG; LayerNorm gamma 1, beta 0; biases 0',
    committed: 'manifest only; npm run models regenerates the .onnx files from config and verifies sha256',
    generation_seconds: generationSeconds,
    latency_sequence_length: seq,
    command: `npm run models:transformer -- --config ${values.config}${values.name ? ` --name ${values.name}` : ''}`,
  },
});
writeFileAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
log(`manifest written in ${Math.round((performance.now() - started) / 1000)}s`);
