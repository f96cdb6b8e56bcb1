/**
 * The OCR bench's parts: CER on known pairs, CTC decoding, DB box post-processing, the PNG decoder, the
 * corpus against the PaddleOCR dictionary, and the whole pipeline (Chromium-rendered text → det → crop →
 * rec in onnxruntime-web) on a page of large clean text with the fp32 models, which must read it nearly
 * perfectly: if not, the pipeline has a bug. The rendering tests skip, saying why, when Chromium is absent
 * (.ci/run installs it).
 */
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cer, cerCount, levenshtein, total } from '../../bench/ocr/cer.js';
import { proseLines, shortStrings, type Sample } from '../../bench/ocr/corpus.js';
import { DET, detPostprocess, detPreprocess, readingOrder, roundHalfEven } from '../../bench/ocr/det.js';
import { assign, evaluate, tally } from '../../bench/ocr/evaluate.js';
import { OcrPipeline } from '../../bench/ocr/pipeline.js';
import { decodePng } from '../../bench/ocr/png.js';
import { ctcDecode, loadDictionary } from '../../bench/ocr/rec.js';
import { markdown, ocrSection, type OcrResults, type VariantReport } from '../../bench/ocr/report.js';
import { CHROMIUM, openBrowser, renderPages, type RenderedPage } from '../../bench/ocr/render.js';
import { variantPlan } from '../../bench/ocr/run.js';

describe('character error rate', () => {
  it('is the edit distance over the reference length, on code points', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('flaw', 'lawn')).toBe(2);
    expect(levenshtein('😀a', 'a')).toBe(1);
    expect(cer('abcd', 'abcd')).toBe(0);
    expect(cer('abcd', 'abed')).toBe(0.25);
    expect(cer('abcd', '')).toBe(1);
    expect(cer('ab', 'abxyz')).toBe(1.5);
    expect(cer('', '')).toBe(0);
    expect(cer('', 'x')).toBe(Infinity);
  });

  it('treats full-width forms and runs of white space as the same text, and can ignore spaces', () => {
    expect(cer('a, b', 'a，  b')).toBe(0);
    expect(cer('Room 3A', 'Room3A')).toBeCloseTo(1 / 7);
    expect(cer('Room 3A', 'Room3A', true)).toBe(0);
    expect(cer('Room 3A', 'Ro0m3A', true)).toBeCloseTo(1 / 6);
  });

  it('sums errors and characters over a set rather than averaging per-line ratios', () => {
    expect(total([cerCount('a', 'b'), cerCount('abcdefghi', 'abcdefghi')])).toEqual({ errors: 1, chars: 10, cer: 0.1 });
  });
});

describe('PaddleOCR post-processing', () => {
  const dict = loadDictionary();

  it('has the model\'s 6625 classes: blank, the 6623 dictionary lines, space', () => {
    expect(dict).toHaveLength(6625);
    expect([dict[0], dict.at(-1)]).toEqual(['', ' ']);
  });

  it('decodes CTC greedily: merges repeats, drops blanks, keeps a letter repeated across a blank', () => {
    const [a, b] = [dict.indexOf('a'), dict.indexOf('b')];
    const steps = [0, a, a, 0, a, b, b, 0];
    const probs = new Float32Array(steps.length * dict.length);
    steps.forEach((k, t) => (probs[t * dict.length + k] = 0.9));
    expect(ctcDecode(probs, steps.length, dict.length, dict)).toEqual({ text: 'aab', score: expect.closeTo(0.9, 5) });
    expect(() => ctcDecode(probs, steps.length, dict.length, dict.slice(1))).toThrow(/dictionary has 6624 entries, the model 6625/);
  });

  it('resizes the detector\'s input to multiples of 32 as PaddleOCR does (Python rounding, longest side ≤ 960)', () => {
    const size = (width: number, height: number) => {
      const r = detPreprocess({ width, height, data: new Uint8Array(width * height * 3).fill(255) });
      return [r.width, r.height, r.data.length];
    };
    expect([roundHalfEven(20.5), roundHalfEven(19.5), roundHalfEven(-2.5), roundHalfEven(3.2)]).toEqual([20, 20, -2, 3]);
    expect(size(640, 656)).toEqual([640, 640, 3 * 640 * 640]);
    expect(size(100, 10)).toEqual([96, 32, 3 * 96 * 32]);
    expect(size(1920, 496)).toEqual([960, 256, 3 * 960 * 256]);
    // Pure red, in BGR order as cv2 loads it, through ImageNet mean/std taken in that order.
    const red = detPreprocess({ width: 32, height: 32, data: Uint8Array.from({ length: 32 * 32 * 3 }, (_, i) => (i % 3 === 0 ? 255 : 0)) }).data;
    expect([red[0], red[32 * 32], red[2 * 32 * 32]].map((v) => v!.toFixed(4))).toEqual([(-0.485 / 0.229).toFixed(4), (-0.456 / 0.224).toFixed(4), (0.594 / 0.225).toFixed(4)]);
  });

  it('turns a probability map into unclipped boxes in the original image\'s pixels, in reading order', () => {
    const [w, h] = [64, 32];
    const pred = new Float32Array(w * h);
    const fill = (x0: number, y0: number, x1: number, y1: number, p: number) => {
      for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) pred[y * w + x] = p;
    };
    fill(40, 4, 59, 9, 0.9); // right, top: read first
    fill(4, 20, 23, 25, 0.95);
    fill(4, 4, 23, 9, 0.5); // above the 0.3 threshold but below the 0.6 box score: dropped
    fill(30, 28, 31, 29, 0.99); // shorter than min_size: dropped
    const boxes = detPostprocess(pred, w, h, w * 2, h * 2);
    // 19 x 5 between pixel centres: unclip distance 19*5*1.5 / (2*24) = 2.97 px, then scaled by 2.
    const d = (19 * 5 * DET.unclipRatio) / 48;
    expect(boxes).toEqual([
      { x0: Math.round((40 - d) * 2), y0: Math.round((4 - d) * 2), x1: Math.round((59 + d) * 2), y1: Math.round((9 + d) * 2), score: expect.closeTo(0.9, 5) },
      { x0: Math.round((4 - d) * 2), y0: Math.round((20 - d) * 2), x1: Math.round((23 + d) * 2), y1: Math.round((25 + d) * 2), score: expect.closeTo(0.95, 5) },
    ]);
    expect(readingOrder([{ x0: 50, y0: 12, x1: 60, y1: 20 }, { x0: 0, y0: 5, x1: 10, y1: 20 }]).map((b) => b.x0)).toEqual([0, 50]);
  });

  it('gives each read line to the drawn line it overlaps most, and counts the rest as spurious', () => {
    const drawn = [{ x0: 0, y0: 0, x1: 100, y1: 20 }, { x0: 0, y0: 30, x1: 100, y1: 50 }];
    const line = (x0: number, y0: number, x1: number, y1: number, text: string) => ({ box: { x0, y0, x1, y1, score: 1 }, text, score: 1 });
    const { perLine, spurious } = assign(drawn, [line(50, 28, 100, 48, 'world'), line(0, 29, 45, 49, 'hello'), line(0, 60, 40, 80, 'noise')]);
    expect(perLine).toEqual(['', 'hello world']);
    expect(spurious.map((s) => s.text)).toEqual(['noise']);
  });

  it('decodes PNG rows under every filter, palette and grey+alpha images (alpha over white)', () => {
    const rgb = [[10, 200, 30, 250, 5, 128, 0, 255, 77], [9, 9, 9, 100, 150, 200, 255, 0, 1]];
    const rows = [0, 1, 2, 3, 4].flatMap((f) => rgb.map((r) => [f, r] as const));
    expect(decodePng(png(2, 3, rows.map(([, r]) => r), rows.map(([f]) => f))).data).toEqual(Uint8Array.from(rows.flatMap(([, r]) => r)));
    const plte = [255, 0, 0, 0, 0, 255];
    expect([...decodePng(png(3, 1, [[1, 0]], [0], 2, plte)).data]).toEqual([0, 0, 255, 255, 0, 0]);
    expect([...decodePng(png(4, 2, [[0, 0, 100, 255]], [1])).data]).toEqual([255, 255, 255, 100, 100, 100]);
    expect(() => decodePng(png(2, 3, [[1, 2, 3]], [7]))).toThrow(/row 0 has unknown filter type 7/);
    expect(() => decodePng(png(2, 3, [[1, 2, 3]], [0], 2))).toThrow(/PNG image data is truncated \(4 of 7 bytes\)/);
  });

  it('refuses what is not a PNG by name', () => {
    expect(() => decodePng(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(/not a PNG file/);
  });
});

/** A PNG of 8-bit rows (`colorType` 2 = RGB, 3 = palette, 4 = grey+alpha), each row under its own filter. */
function png(colorType: number, bpp: number, rows: number[][], filters: number[], width = rows[0]!.length / bpp, plte?: number[]): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, 'latin1');
    Buffer.from(data).copy(out, 8);
    return out; // the CRC is not checked by the decoder, so zeros do
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(rows.length, 4);
  ihdr.set([8, colorType, 0, 0, 0], 8);
  const raw = rows.flatMap((row, y) => {
    const prev = y > 0 ? rows[y - 1]! : row.map(() => 0);
    return [filters[y]!, ...row.map((v, x) => {
      const a = x >= bpp ? row[x - bpp]! : 0, b = prev[x]!, c = x >= bpp ? prev[x - bpp]! : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filters[y]!] ?? 0;
      return (v - pred) & 0xff;
    })];
  });
  const parts = [Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...(plte ? [chunk('PLTE', Uint8Array.from(plte))] : []), chunk('IDAT', deflateSync(Uint8Array.from(raw))), chunk('IEND', new Uint8Array())];
  return Buffer.concat(parts);
}

describe('the corpus', () => {
  it('is the same for the same seed and uses only characters in the dictionary', () => {
    const a = shortStrings(300, 11);
    expect(shortStrings(300, 11)).toEqual(a);
    expect(new Set(a.map((s) => s.kind))).toEqual(new Set(['word', 'number', 'mixed']));
    const dict = new Set(loadDictionary());
    const chars = new Set([...a, ...proseLines(1000)].flatMap((s) => [...s.text]));
    expect([...chars].filter((c) => !dict.has(c))).toEqual([]);
    expect(proseLines(1000).every((l) => l.text.length <= 46)).toBe(true);
  });

  it('evaluates each model\'s own variant and falls back to fp32 for a model without it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ocr-plan-'));
    for (const [k, variants] of [['det', ['fp32', 'int8']], ['rec', ['fp32', 'int8', 'wint8']], ['cls', ['fp32']]] as const) {
      mkdirSync(join(dir, `ppocr-${k}`));
      writeFileSync(join(dir, `ppocr-${k}`, 'manifest.json'), JSON.stringify({ variants: Object.fromEntries(variants.map((v) => [v, { file: `${v}.onnx` }])) }));
      for (const v of variants) writeFileSync(join(dir, `ppocr-${k}`, `${v}.onnx`), '');
    }
    const plan = variantPlan('wint8', dir);
    expect([plan.det.variant, plan.rec.variant, plan.cls.variant]).toEqual(['fp32', 'wint8', 'fp32']);
    expect(() => variantPlan('int8', join(dir, 'nowhere'))).toThrow(/no such file/);
  });
});

describe('the report', () => {
  const stat = (errors: number, chars: number) => ({ errors, chars, cer: errors / chars });
  const cers = (e: number) => ({ e2e: stat(e + 2, 100), e2e_nospace: stat(e, 90), rec: stat(1, 100), rec_nospace: stat(0, 90) });
  const variant = (det: string, e: number): VariantReport => ({
    files: { det, rec: det, cls: det }, seconds: 1, cer: cers(e), det: { drawn: 4, found: 4, boxes: 4, matched_boxes: 4, recall: 1, precision: 1 }, cls_accuracy: 1, spurious_chars: 0,
    by_kind: { word: { lines: 4, ...cers(e) } }, by_size: { 'large (≥27px)': { lines: 4, ...cers(e) } }, by_font: { 'DejaVu Sans': { lines: 4, ...cers(e) } },
  });
  const results: OcrResults = {
    command: 'npm run bench:ocr', runtime: 'onnxruntime-web', renderer: 'Chromium', metric: 'CER.',
    corpus: { seed: 1, short_strings: 3, prose_lines: 1, lines: 4, pages: 1, fonts: ['DejaVu Sans'], sizes_px: { min: 28, max: 36, bands: { 'large (≥27px)': 4 } }, kinds: { word: 4 } },
    variants: { fp32: variant('fp32', 1), int8: variant('int8', 3) },
    det_alone: { int8: { det: 'int8', e2e: stat(4, 100), e2e_nospace: stat(2, 90), recall: 0.75, precision: 1 } },
    lines: [{ text: 'a|b', kind: 'word', font: 'DejaVu Sans', size: 28, read: { fp32: { e2e: 'a|b', rec: '' }, int8: { e2e: 'ab', rec: 'ab' } } }],
  };

  it('tabulates every variant, the detector alone, and sample readings with table characters escaped', () => {
    const md = markdown(results);
    expect(md).toContain('| fp32 | fp32 / fp32 / fp32 | 3.00% | 1.11% | 1.00% | 0.00% | 100.00% | 100.00% | 100.00% |');
    expect(md).toContain('| int8 | int8 / int8 / int8 | 5.00% | 3.33% |');
    expect(md).toContain('| int8 | 4.00% | 2.22% | 75.00% | 100.00% |');
    expect(md).toContain('| `a\\|b` | DejaVu Sans, 28px | `a\\|b` | ∅ | `ab` | `ab` |');
    expect(ocrSection(results).join('\n')).toContain('Repeat: `npm run bench:ocr`');
  });
});

const noChromium = existsSync(CHROMIUM) ? '' : ` (skipped: ${CHROMIUM} is missing; apt-get install -y chromium, as .ci/run does)`;
if (noChromium) console.warn(`test/bench/ocr.e2e.test.ts: rendering tests${noChromium}`);

describe.skipIf(noChromium)(`OCR on text rendered by Chromium${noChromium}`, () => {
  const strings = ['Hello World', 'Edge Gateway', '2026-12-02', '$1,234.50', 'Quick Brown Fox', 'Latency 42 ms', 'INFERENCE', 'Variant B7'];
  const samples: Sample[] = [...strings.map((text) => ({ text, kind: 'word' as const })), ...proseLines(2).map((l) => ({ ...l }))];
  let browser: Browser | undefined;
  let pages: RenderedPage[] = [];

  beforeAll(async () => {
    browser = await openBrowser();
    pages = await renderPages(browser, samples, { seed: 3, sizes: [28, 32, 36] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('renders every string once with its line box inside its page, on the page colour', () => {
    expect(pages.flatMap((p) => p.lines.map((l) => l.text))).toEqual(samples.map((s) => s.text));
    for (const p of pages) {
      const hex = [1, 3, 5].map((i) => parseInt(p.paper.slice(i, i + 2), 16));
      expect([...p.image.data.subarray(0, 3)]).toEqual(hex);
      for (const l of p.lines) {
        expect(l.box.x0).toBeGreaterThanOrEqual(0);
        expect(l.box.x1).toBeLessThanOrEqual(p.image.width);
        expect(l.box.y1).toBeLessThanOrEqual(p.image.height);
      }
    }
  });

  it('reads large clean text nearly perfectly with the fp32 models, end to end and rec-only', async () => {
    const plan = variantPlan('fp32');
    const pipe = await OcrPipeline.load({ det: plan.det.path, rec: plan.rec.path, cls: plan.cls.path });
    try {
      const r = await evaluate(pipe, pages, { cls: true });
      const t = tally(r.lines, r.spurious_chars);
      const misread = r.lines.filter((l) => cer(l.text, l.e2e, true) > 0).map((l) => `${l.text} -> ${l.e2e}`);
      expect(t.e2e_nospace.cer, misread.join('; ')).toBeLessThanOrEqual(0.02);
      expect(t.rec_nospace.cer).toBeLessThanOrEqual(0.02);
      expect(t.e2e.cer).toBeLessThanOrEqual(0.1);
      expect(r.det.found).toBe(r.det.drawn);
      expect(r.spurious_chars).toBe(0);
      expect(r.cls!.correct / r.cls!.crops).toBeGreaterThanOrEqual(0.9);
    } finally {
      await pipe.release();
    }
  }, 180_000);
});
