/**
 * `npm run bench:ocr [-- --strings N --prose N --seed S --variants fp32,int8]`: real-data fidelity of the
 * bundled PaddleOCR models. Renders known strings with the system's fonts in headless Chromium, then per
 * variant (every name in the ppocr-det/rec/cls manifests) runs det → crop → rec in onnxruntime-web and
 * reports the character error rate end to end and rec-only, det recall/precision and cls accuracy.
 * Writes bench/results/ocr.json, ocr.md and ocr-sample.png (the first rendered page).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-web';
import { isMain, runEntry } from '../lib/entry.js';
import { RESULTS_DIR, writeResult } from '../lib/results.js';
import { proseLines, shortStrings } from './corpus.js';
import { breakdown, evaluate, sizeBand, tally, type EvalResult } from './evaluate.js';
import { manifestVariants, OcrPipeline } from './pipeline.js';
import { availableFonts, openBrowser, renderPages } from './render.js';
import { markdown, type OcrResults } from './report.js';

export interface OcrBenchOptions {
  strings: number;
  prose: number;
  seed: number;
  /** Variant names to evaluate (default: every name in the three manifests). */
  variants?: string[];
  modelsDir?: string;
}

export const OCR_DEFAULTS: OcrBenchOptions = { strings: 240, prose: 40, seed: 11 };
const KINDS = ['det', 'rec', 'cls'] as const;

/** Which file each model uses for variant `name`: its own variant when it has one, else fp32. */
export function variantPlan(name: string, modelsDir = 'models'): Record<(typeof KINDS)[number], { variant: string; path: string }> {
  return Object.fromEntries(KINDS.map((k) => {
    const all = manifestVariants(`ppocr-${k}`, modelsDir);
    const v = all.find((f) => f.variant === name) ?? all.find((f) => f.variant === 'fp32');
    if (!v) throw new Error(`ppocr-${k} has neither a ${name} nor an fp32 variant`);
    if (!existsSync(v.path)) throw new Error(`${v.path} is missing: run \`npm run models\` first`);
    return [k, { variant: v.variant, path: v.path }];
  })) as ReturnType<typeof variantPlan>;
}

/** Runs the OCR bench and writes its results; returns the JSON written. */
export async function runOcrBench(opts: OcrBenchOptions = OCR_DEFAULTS): Promise<OcrResults> {
  const modelsDir = opts.modelsDir ?? 'models';
  const names = opts.variants ?? [...new Set(KINDS.flatMap((k) => manifestVariants(`ppocr-${k}`, modelsDir).map((v) => v.variant)))];
  const plans = names.map((n) => ({ name: n, plan: variantPlan(n, modelsDir) }));
  const samples = [...shortStrings(opts.strings, opts.seed), ...proseLines(opts.prose)];
  const fonts = availableFonts();
  const browser = await openBrowser();
  const browserVersion = browser.version();
  const t0 = performance.now();
  const pages = await renderPages(browser, samples, { seed: opts.seed, fonts }).finally(() => browser.close());
  console.log(`rendered ${samples.length} strings on ${pages.length} pages in ${((performance.now() - t0) / 1000).toFixed(1)} s (fonts: ${fonts.join(', ')})`);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(resolve(RESULTS_DIR, 'ocr-sample.png'), pages[0]!.png);

  const results: Record<string, { files: Record<string, string>; result: EvalResult }> = {};
  for (const { name, plan } of plans) {
    const pipe = await OcrPipeline.load({ det: plan.det.path, rec: plan.rec.path, cls: plan.cls.path });
    try {
      results[name] = { files: Object.fromEntries(KINDS.map((k) => [k, plan[k].variant])), result: await evaluate(pipe, pages, { cls: true }) };
    } finally {
      await pipe.release();
    }
    const t = tally(results[name]!.result.lines, results[name]!.result.spurious_chars);
    console.log(`${name}: CER end to end ${pct(t.e2e.cer)} (no spaces ${pct(t.e2e_nospace.cer)}), rec-only ${pct(t.rec.cer)} (no spaces ${pct(t.rec_nospace.cer)}) in ${results[name]!.result.seconds.toFixed(0)} s`);
  }

  // The detector alone: each det variant other than fp32 with the fp32 recogniser, end to end.
  const fp32Rec = variantPlan('fp32', modelsDir).rec.path;
  const detAlone: OcrResults['det_alone'] = {};
  for (const { name, plan } of plans.filter((p) => p.plan.det.variant !== 'fp32')) {
    const pipe = await OcrPipeline.load({ det: plan.det.path, rec: fp32Rec });
    const r = await evaluate(pipe, pages, { recOnly: false }).finally(() => pipe.release());
    const t = tally(r.lines, r.spurious_chars);
    detAlone[name] = rounded({ det: plan.det.variant, e2e: t.e2e, e2e_nospace: t.e2e_nospace, recall: r.det.found / r.det.drawn, precision: r.det.matched_boxes / Math.max(1, r.det.boxes) });
    console.log(`det ${plan.det.variant} + rec fp32: CER end to end ${pct(t.e2e.cer)} (no spaces ${pct(t.e2e_nospace.cer)})`);
  }

  const sizes = samples.length ? pages.flatMap((p) => p.lines.map((l) => l.size)) : [];
  const data: OcrResults = {
    command: `npm run bench:ocr -- --strings ${opts.strings} --prose ${opts.prose} --seed ${opts.seed}`,
    runtime: `onnxruntime-web ${ort.env.versions.web ?? ''} wasm, 1 thread`,
    renderer: `Chromium ${browserVersion} (playwright-core), device scale 1`,
    corpus: {
      seed: opts.seed, short_strings: opts.strings, prose_lines: samples.filter((s) => s.kind === 'prose').length, lines: sizes.length, pages: pages.length, fonts,
      sizes_px: { min: Math.min(...sizes), max: Math.max(...sizes), bands: countBy(sizes.map(sizeBand)) },
      kinds: countBy(samples.map((s) => s.kind)),
    },
    metric: 'CER = Levenshtein distance / reference length, summed over lines, after NFKC and white-space collapsing; "no spaces" also drops spaces. End to end also counts characters read where nothing was drawn as insertions.',
    variants: Object.fromEntries(Object.entries(results).map(([name, { files, result: r }]) => [name, {
      files, seconds: Math.round(r.seconds),
      cer: rounded(tally(r.lines, r.spurious_chars)),
      det: { ...r.det, recall: r4(r.det.found / r.det.drawn), precision: r4(r.det.matched_boxes / Math.max(1, r.det.boxes)) },
      cls_accuracy: r.cls ? r4(r.cls.correct / r.cls.crops) : undefined,
      spurious_chars: r.spurious_chars,
      by_kind: rounded(breakdown(r.lines, (l) => l.kind)),
      by_size: rounded(breakdown(r.lines, (l) => sizeBand(l.size))),
      by_font: rounded(breakdown(r.lines, (l) => l.font)),
    }])),
    det_alone: detAlone,
    lines: pages.flatMap((p) => p.lines).map((l, i) => ({ text: l.text, kind: l.kind, font: l.font, size: l.size, read: Object.fromEntries(Object.entries(results).map(([n, r]) => [n, { e2e: r.result.lines[i]!.e2e, rec: r.result.lines[i]!.rec }])) })),
  };
  writeResult('ocr', data);
  const md = markdown(data);
  writeFileSync(resolve(RESULTS_DIR, 'ocr.md'), md);
  console.log(md);
  return data;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const r4 = (x: number) => Math.round(x * 10000) / 10000;
const countBy = (xs: string[]) => xs.reduce<Record<string, number>>((m, x) => ((m[x] = (m[x] ?? 0) + 1), m), {});
/** Every fraction in a result to 4 decimals (counts stay whole). */
function rounded<T>(v: T): T {
  if (typeof v === 'number') return (Number.isInteger(v) ? v : r4(v)) as T;
  if (Array.isArray(v)) return v.map(rounded) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rounded(x)])) as T;
  return v;
}

if (isMain(import.meta.url)) {
  let opts: OcrBenchOptions;
  try {
    const { values } = parseArgs({ options: { strings: { type: 'string' }, prose: { type: 'string' }, seed: { type: 'string' }, variants: { type: 'string' } } });
    const int = (name: string, v: string | undefined, d: number) => {
      if (v === undefined) return d;
      if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a whole number, got "${v}"`);
      return Number(v);
    };
    opts = {
      strings: int('strings', values.strings, OCR_DEFAULTS.strings), prose: int('prose', values.prose, OCR_DEFAULTS.prose), seed: int('seed', values.seed, OCR_DEFAULTS.seed),
      ...(values.variants ? { variants: values.variants.split(',') } : {}),
    };
  } catch (e) {
    console.error(`bench:ocr: ${(e as Error).message}`);
    process.exit(2);
  }
  await runEntry('bench:ocr', () => runOcrBench(opts));
}
