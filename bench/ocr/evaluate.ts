/**
 * Scores one combination of det, rec and cls files on rendered pages against the strings drawn:
 * - end to end: det → crop → rec over each page; every read line goes to the drawn line it overlaps most
 *   (at least half of its box), a drawn line's reading is its lines left to right joined by spaces, and a
 *   read line that overlaps no drawn line counts its characters as insertions;
 * - rec only: rec on each drawn line's own box, so recogniser errors are seen without the detector's;
 * - det: drawn lines found by a box with IoU ≥ 0.5 (recall) and boxes that match a drawn line (precision);
 * - cls: each line box upright and turned 180°, the classifier's top-1 accuracy.
 * CER counts are kept per string kind, size band and font, so the report can say where errors come from.
 */
import { cerCount, total, type CerCount } from './cer.js';
import { crop, iou, overlap, area, rotate180, type Box } from './image.js';
import type { OcrPipeline, ReadLine } from './pipeline.js';
import type { RenderedLine, RenderedPage } from './render.js';

/** One drawn line's readings. */
export interface LineResult {
  text: string;
  kind: string;
  font: string;
  size: number;
  e2e: string;
  rec: string;
}

export interface Tally {
  e2e: CerCount;
  e2e_nospace: CerCount;
  rec: CerCount;
  rec_nospace: CerCount;
}

export interface EvalResult {
  lines: LineResult[];
  /** Characters read where nothing was drawn (counted in the overall end-to-end CER). */
  spurious_chars: number;
  det: { drawn: number; found: number; boxes: number; matched_boxes: number };
  cls?: { crops: number; correct: number };
  seconds: number;
}

/** Size bands of the rendered text (px): small text is where det and rec lose first. */
export function sizeBand(size: number): string {
  return size <= 16 ? 'small (≤16px)' : size <= 26 ? 'medium (17-26px)' : 'large (≥27px)';
}

/** The read lines that belong to each drawn line (most overlap, at least half the read box), and the rest. */
export function assign(drawn: readonly Box[], read: readonly ReadLine[]): { perLine: string[]; spurious: ReadLine[] } {
  const groups: ReadLine[][] = drawn.map(() => []);
  const spurious: ReadLine[] = [];
  for (const r of read) {
    let best = -1, bestArea = 0;
    drawn.forEach((d, i) => {
      const a = overlap(d, r.box);
      if (a > bestArea) [best, bestArea] = [i, a];
    });
    if (best >= 0 && bestArea >= 0.5 * area(r.box)) groups[best]!.push(r);
    else spurious.push(r);
  }
  return { perLine: groups.map((g) => [...g].sort((a, b) => a.box.x0 - b.box.x0).map((r) => r.text).join(' ')), spurious };
}

/**
 * Runs the pipeline over every page. `cls` also scores the direction classifier when loaded; `recOnly: false`
 * skips the rec-only pass (its readings are then empty), for runs that only vary the detector.
 */
export async function evaluate(pipe: OcrPipeline, pages: readonly RenderedPage[], opts: { cls?: boolean; recOnly?: boolean } = {}): Promise<EvalResult> {
  const t0 = performance.now();
  const out: EvalResult = { lines: [], spurious_chars: 0, det: { drawn: 0, found: 0, boxes: 0, matched_boxes: 0 }, seconds: 0 };
  if (opts.cls) out.cls = { crops: 0, correct: 0 };
  for (const page of pages) {
    const drawn = page.lines.map((l) => l.box);
    const boxes = await pipe.detect(page.image);
    out.det.drawn += drawn.length;
    out.det.found += drawn.filter((d) => boxes.some((b) => iou(d, b) >= 0.5)).length;
    out.det.boxes += boxes.length;
    out.det.matched_boxes += boxes.filter((b) => drawn.some((d) => iou(d, b) >= 0.5)).length;
    const read = await pipe.readBoxes(page.image, boxes);
    const { perLine, spurious } = assign(drawn, read);
    out.spurious_chars += spurious.reduce((s, r) => s + [...r.text.replace(/\s/g, '')].length, 0);
    for (const [i, line] of page.lines.entries()) {
      const gt = crop(page.image, line.box);
      const rec = opts.recOnly === false ? '' : (await pipe.recognize(gt)).text;
      out.lines.push(lineResult(line, perLine[i]!, rec));
      if (out.cls) {
        out.cls.crops += 2;
        if ((await pipe.classify(gt)).angle === 0) out.cls.correct++;
        if ((await pipe.classify(rotate180(gt))).angle === 180) out.cls.correct++;
      }
    }
  }
  out.seconds = (performance.now() - t0) / 1000;
  return out;
}

function lineResult(line: RenderedLine, e2e: string, rec: string): LineResult {
  return { text: line.text, kind: line.kind, font: line.font, size: line.size, e2e, rec };
}

/** CER tallies of a set of lines (overall, or one kind, band or font). */
export function tally(lines: readonly LineResult[], spuriousChars = 0): Record<keyof Tally, CerCount & { cer: number }> {
  const sum = (f: (l: LineResult) => CerCount, extra = 0) => {
    const t = total(lines.map(f));
    return { errors: t.errors + extra, chars: t.chars, cer: t.chars ? (t.errors + extra) / t.chars : 0 };
  };
  return {
    e2e: sum((l) => cerCount(l.text, l.e2e), spuriousChars),
    e2e_nospace: sum((l) => cerCount(l.text, l.e2e, true), spuriousChars),
    rec: sum((l) => cerCount(l.text, l.rec)),
    rec_nospace: sum((l) => cerCount(l.text, l.rec, true)),
  };
}

/** Tallies grouped by a key (kind, size band, font). */
export function breakdown(lines: readonly LineResult[], key: (l: LineResult) => string): Record<string, ReturnType<typeof tally> & { lines: number }> {
  const groups = new Map<string, LineResult[]>();
  for (const l of lines) groups.set(key(l), [...(groups.get(key(l)) ?? []), l]);
  return Object.fromEntries([...groups].sort(([a], [b]) => a.localeCompare(b)).map(([k, ls]) => [k, { lines: ls.length, ...tally(ls) }]));
}
