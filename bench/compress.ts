/**
 * `npm run bench:compress`: how well the compression pipeline does against its targets, side by side in
 * one run. Sizes, fidelity and accuracy come from the committed manifests (measured by `npm run compress`);
 * the INT8-vs-FP32 speed on the transformer is re-measured here, fp32 and int8 alternating in fresh
 * onnxruntime-web processes, at batch 1 and 16; a transformer scaling sweep (3 configs) is generated and
 * measured the same way; int8w of PaddleOCR cls/rec side by side with fp32 and int8 (weight-only.ts); pruned
 * and distilled variants side by side with their fp32 base (structured.ts). The
 * OCR models' character error rates on real rendered text come from bench/results/ocr.json (`npm run
 * bench:ocr`, run here when that file is absent). Writes bench/results/compress.json and compress.md.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelManifest } from '../src/registry/manifest.js';
import { runProbe } from '../tools/measure/probe-client.js';
import { parameterCount, type TransformerConfig } from '../tools/models/transformer/config.js';
import { buildTransformer } from '../tools/models/transformer/graph.js';
import { encodeModel } from '../tools/onnx/io.js';
import { normalize } from '../tools/compress/passes/graph.js';
import { buildVariants } from '../tools/compress/passes/recipe.js';
import { TRANSFORMER_SMALL, SMALL_SEQ } from '../tools/models/transformer/small.js';
import { ocrSection, ocrSummary, type OcrResults } from './ocr/report.js';
import { runOcrBench } from './ocr/run.js';
import { weightOnlySideBySide, weightOnlyTable } from './weight-only.js';
import { structuredChecks, structuredSideBySide, structuredTable } from './structured.js';

const MODELS = ['mnist', 'ppocr-cls', 'ppocr-rec', 'ppocr-det', 'transformer-small'].filter((m) => existsSync(join('models', m, 'manifest.json')));
const TARGETS = { int8Size: 0.3, fp16Size: 0.52, mnistInt8Drop: 0.005, mnistFp16Drop: 0.001, transformerInt8Speedup: 2 };
const r2 = (x: number) => Math.round(x * 100) / 100;
const r4 = (x: number) => Math.round(x * 10000) / 10000;

/** Each output's fidelity by the metric of its kind (what the gate checks), e.g. "'y' top1 0.99; 'mel' snr 41.2 dB". */
function byKind(f: { outputs?: Record<string, { kind: string; top1_agreement?: number; cosine?: number; snr_db?: number; max_rel_err?: number; drift?: number }> }): string {
  if (!f.outputs) return '-';
  return Object.entries(f.outputs).map(([name, o]) => {
    const m = o.kind === 'classification' ? `top1 ${o.top1_agreement}` : o.kind === 'scalar' ? `rel err ${o.max_rel_err}` : o.kind === 'state' ? `drift ${o.drift}` : `cosine ${o.cosine}, snr ${o.snr_db} dB`;
    return `'${name}' ${o.kind}: ${m}`;
  }).join('; ');
}

const load = (name: string) => ModelManifest.parse(JSON.parse(readFileSync(join('models', name, 'manifest.json'), 'utf8')));
const rows = MODELS.map((name) => {
  const m = load(name);
  const fp32 = m.variants.fp32!;
  const at = (v: typeof fp32) => v.latency.points.at(-1)!;
  const variants = Object.fromEntries(Object.entries(m.variants).map(([k, v]) => [k, {
    bytes: v.bytes, size_ratio: r2(v.bytes / fp32.bytes), top1: v.fidelity.top1_agreement, accuracy: v.fidelity.accuracy, cosine: v.fidelity.cosine,
    max_abs_err: v.fidelity.max_abs_err, p50_last_ms: at(v).p50_ms, speedup_last: r2(at(fp32).p50_ms / at(v).p50_ms), p50_first_ms: v.latency.points[0]!.p50_ms,
    edge_mib: r2(v.edge_memory_bytes / 2 ** 20), method: v.method, by_output: byKind(v.fidelity), eval_set_kind: v.fidelity.eval_set_kind ?? 'unrecorded',
  }]));
  return { name, items_last: at(fp32).items, eval_set: fp32.fidelity.eval_set, runtime: fp32.latency.runtime, int8_form: (m.provenance['recipe'] as { int8?: { form?: string } } | undefined)?.int8?.form, variants };
});

// Side by side: fp32 and int8 of transformer-small (and the scaling configs), alternating processes.
const work = mkdtempSync(join(tmpdir(), 'bench-compress-'));
const seq = SMALL_SEQ;
const inputs = [{ name: 'input_ids', datatype: 'INT64' as const, shape: [-1, -1] }, { name: 'attention_mask', datatype: 'INT64' as const, shape: [-1, -1] }];
const shapes = [1, 16].map((b) => ({ items: b, dims: { input_ids: [b, seq], attention_mask: [b, seq] } }));
const CONFIGS: [string, TransformerConfig][] = [
  ['mini (2x128)', { layers: 2, hidden: 128, heads: 2, ffn: 512, vocab: 4096, maxSeq: 128, seed: 1234 }],
  ['small (4x256, committed)', TRANSFORMER_SMALL],
  ['medium (6x384)', { layers: 6, hidden: 384, heads: 6, ffn: 1536, vocab: 8192, maxSeq: 128, seed: 1234 }],
];
const scaling: Record<string, unknown>[] = [];
try {
  for (const [label, config] of CONFIGS) {
    const fp32 = buildTransformer(config);
    const { fp16, int8 } = buildVariants(normalize(fp32).model, { fp16: { keep_fp32: [] }, int8: { form: 'dynamic-matmul', exclude: [] } });
    const files = { fp32: encodeModel(fp32), fp16, int8 };
    const p50: Record<string, { b1: number[]; b16: number[]; mem: number }> = {};
    for (const [k, bytes] of Object.entries(files)) {
      writeFileSync(join(work, `${k}.onnx`), bytes);
      p50[k] = { b1: [], b16: [], mem: 0 };
    }
    for (let round = 0; round < 2; round++) {
      for (const k of ['fp32', 'int8', 'fp16']) {
        const r = runProbe({ model: join(work, `${k}.onnx`), inputs, batches: [1, 16], shapes, warmup: 2, runs: 10, budgetMsPerPoint: 3000, seq, intHigh: config.vocab });
        p50[k]!.b1.push(r.points[0]!.p50_ms);
        p50[k]!.b16.push(r.points[1]!.p50_ms);
        p50[k]!.mem = r.edge_memory_bytes;
      }
    }
    const med = (a: number[]) => Math.min(...a);
    const row = {
      config: label, parameters: parameterCount(config),
      fp32_mb: r2(files.fp32.length / 1e6), fp16_ratio: r2(files.fp16.length / files.fp32.length), int8_ratio: r2(files.int8.length / files.fp32.length),
      fp32_b1_ms: r2(med(p50['fp32']!.b1)), int8_b1_ms: r2(med(p50['int8']!.b1)), fp16_b1_ms: r2(med(p50['fp16']!.b1)),
      fp32_b16_ms: r2(med(p50['fp32']!.b16)), int8_b16_ms: r2(med(p50['int8']!.b16)), fp16_b16_ms: r2(med(p50['fp16']!.b16)),
      int8_speedup_b16: r2(med(p50['fp32']!.b16) / med(p50['int8']!.b16)),
      edge_mib: { fp32: r2(p50['fp32']!.mem / 2 ** 20), fp16: r2(p50['fp16']!.mem / 2 ** 20), int8: r2(p50['int8']!.mem / 2 ** 20) },
    };
    scaling.push(row);
    console.log(`${label}: fp32 ${row.fp32_b16_ms} ms, int8 ${row.int8_b16_ms} ms at batch 16 (x${row.int8_speedup_b16})`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const weightOnly = weightOnlySideBySide();
const structured = structuredSideBySide();
const int8wRun = (model: string) => weightOnly.find((r) => r.model === model && r.run === 'int8w');

const mnist = rows.find((r) => r.name === 'mnist')!.variants;
const small = scaling.find((s) => String(s['config']).startsWith('small'))!;
const checks = [
  ...rows.flatMap((r) => [
    { target: `${r.name} int8 size ≤ ${TARGETS.int8Size}× fp32`, value: r.variants['int8']!.size_ratio, met: r.variants['int8']!.size_ratio <= TARGETS.int8Size },
    { target: `${r.name} fp16 size ≤ ${TARGETS.fp16Size}× fp32`, value: r.variants['fp16']!.size_ratio, met: r.variants['fp16']!.size_ratio <= TARGETS.fp16Size },
  ]),
  { target: `mnist int8 accuracy drop ≤ ${TARGETS.mnistInt8Drop * 100} points`, value: r4((mnist['fp32']!.accuracy! - mnist['int8']!.accuracy!) * 100), met: mnist['fp32']!.accuracy! - mnist['int8']!.accuracy! <= TARGETS.mnistInt8Drop + 1e-9 },
  { target: `mnist fp16 accuracy drop ≤ ${TARGETS.mnistFp16Drop * 100} points`, value: r4((mnist['fp32']!.accuracy! - mnist['fp16']!.accuracy!) * 100), met: mnist['fp32']!.accuracy! - mnist['fp16']!.accuracy! <= TARGETS.mnistFp16Drop + 1e-9 },
  ...['ppocr-cls', 'ppocr-rec'].flatMap((m) => (int8wRun(m) ? [
    { target: `${m} int8w size ≤ ${TARGETS.int8Size}× fp32`, value: int8wRun(m)!.size_ratio, met: int8wRun(m)!.size_ratio <= TARGETS.int8Size },
    { target: `${m} int8w run time ≤ 1.1× fp32 at batch 8 (side by side)`, value: int8wRun(m)!.time_vs_fp32[8]!, met: int8wRun(m)!.time_vs_fp32[8]! <= 1.1 },
  ] : [])),
  { target: `transformer-small int8 ≥ ${TARGETS.transformerInt8Speedup}× faster than fp32 at batch 16 (side by side)`, value: small['int8_speedup_b16'] as number, met: (small['int8_speedup_b16'] as number) >= TARGETS.transformerInt8Speedup },
  ...structuredChecks(structured),
];

const md: string[] = [
  `Measured by \`npm run bench:compress\` on ${new Date().toISOString().slice(0, 10)} (onnxruntime-web WASM, 1 thread).`,
  '',
  '| model | variant | size × fp32 | top-1 agreement | accuracy | cosine | each output by its kind | eval set | p50 at max items (ms) | speed × fp32 | edge MiB | int8 form |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows.flatMap((r) => Object.entries(r.variants).map(([k, v]) => `| ${r.name} | ${k} | ${v.size_ratio} | ${v.top1 ?? '-'} | ${v.accuracy ?? '-'} | ${v.cosine} | ${v.by_output} | ${v.eval_set_kind} | ${v.p50_last_ms} (${r.items_last} items) | ${v.speedup_last} | ${v.edge_mib} | ${k === 'int8' ? r.int8_form : k === 'int8w' ? 'weight-only' : ''} |`)),
  '',
  'Transformer scaling, fp32 vs int8 (dynamic-matmul) vs fp16 side by side in one run, sequence length 32:',
  '',
  '| config | params | fp32 MB | fp16 size | int8 size | fp32 / int8 / fp16 p50 batch 1 (ms) | fp32 / int8 / fp16 p50 batch 16 (ms) | int8 speed-up b16 | edge MiB fp32 / int8 |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...scaling.map((s) => `| ${s['config']} | ${(Number(s['parameters']) / 1e6).toFixed(1)}M | ${s['fp32_mb']} | ${s['fp16_ratio']}× | ${s['int8_ratio']}× | ${s['fp32_b1_ms']} / ${s['int8_b1_ms']} / ${s['fp16_b1_ms']} | ${s['fp32_b16_ms']} / ${s['int8_b16_ms']} / ${s['fp16_b16_ms']} | ${s['int8_speedup_b16']}× | ${(s['edge_mib'] as Record<string, number>)['fp32']} / ${(s['edge_mib'] as Record<string, number>)['int8']} |`),
  '',
  ...weightOnlyTable(weightOnly),
  ...structuredTable(structured),
  '| target | measured | met |',
  '| --- | --- | --- |',
  ...checks.map((c) => `| ${c.target} | ${c.value} | ${c.met ? 'yes' : '**no**'} |`),
  '',
];
// Fidelity of the OCR variants on real text: from the OCR bench's results, measured now if there are none.
const OCR_JSON = 'bench/results/ocr.json';
const ocr = existsSync(OCR_JSON) ? (JSON.parse(readFileSync(OCR_JSON, 'utf8')) as OcrResults) : await runOcrBench().catch((e: Error) => e);
md.push(...(ocr instanceof Error ? [`OCR character error rate: not measured (${ocr.message.split('\n')[0]}); run \`npm run bench:ocr\`.`, ''] : ocrSection(ocr)));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/compress.json', JSON.stringify({ measured_at: new Date().toISOString(), models: rows, transformer_scaling: scaling, weight_only: weightOnly, structured, targets: checks, ocr: ocr instanceof Error ? { error: ocr.message } : ocrSummary(ocr) }, null, 2) + '\n');
writeFileSync('bench/results/compress.md', md.join('\n'));
console.log(md.join('\n'));
