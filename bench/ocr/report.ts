/**
 * The OCR bench's results (bench/results/ocr.json) and their Markdown: the summary per variant, CER by text
 * size and string kind, and sample readings. `ocrSection` and `ocrSummary` are the short forms
 * `npm run bench:compress` appends to its own report.
 */

export interface CerStat {
  errors: number;
  chars: number;
  cer: number;
}

type Cers = Record<'e2e' | 'e2e_nospace' | 'rec' | 'rec_nospace', CerStat>;

export interface VariantReport {
  /** The variant each model ran (a model without this variant runs fp32). */
  files: Record<string, string>;
  seconds: number;
  cer: Cers;
  det: { drawn: number; found: number; boxes: number; matched_boxes: number; recall: number; precision: number };
  cls_accuracy?: number | undefined;
  spurious_chars: number;
  by_kind: Record<string, Cers & { lines: number }>;
  by_size: Record<string, Cers & { lines: number }>;
  by_font: Record<string, Cers & { lines: number }>;
}

export type OcrResults = {
  measured_at?: string;
  command: string;
  runtime: string;
  renderer: string;
  corpus: { seed: number; short_strings: number; prose_lines: number; lines: number; pages: number; fonts: string[]; sizes_px: { min: number; max: number; bands: Record<string, number> }; kinds: Record<string, number> };
  metric: string;
  variants: Record<string, VariantReport>;
  /** Each det variant but fp32 with the fp32 recogniser: what the detector alone costs end to end. */
  det_alone: Record<string, { det: string; e2e: CerStat; e2e_nospace: CerStat; recall: number; precision: number }>;
  lines: { text: string; kind: string; font: string; size: number; read: Record<string, { e2e: string; rec: string }> }[];
};

const pct = (x: number | undefined) => (x === undefined ? '-' : `${(x * 100).toFixed(2)}%`);
const cell = (t: string) => (t === '' ? '∅' : `\`${t.replace(/\|/g, '\\|').replace(/`/g, "'")}\``);
const files = (v: VariantReport) => ['det', 'rec', 'cls'].map((k) => v.files[k] ?? '-').join(' / ');

/** The summary table: one row per variant. */
export function summaryTable(r: OcrResults): string[] {
  return [
    '| variant | det / rec / cls files | CER end to end | e2e, spaces ignored | CER rec-only (drawn boxes) | rec-only, spaces ignored | det recall | det precision | cls accuracy |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...Object.entries(r.variants).map(([n, v]) => `| ${n} | ${files(v)} | ${pct(v.cer.e2e.cer)} | ${pct(v.cer.e2e_nospace.cer)} | ${pct(v.cer.rec.cer)} | ${pct(v.cer.rec_nospace.cer)} | ${pct(v.det.recall)} | ${pct(v.det.precision)} | ${pct(v.cls_accuracy)} |`),
  ];
}

/** One line saying what was read, in what, and how to repeat it. */
export function corpusLine(r: OcrResults): string {
  const c = r.corpus;
  return `${c.lines} known strings (${c.short_strings} generated words, numbers and codes with seed ${c.seed}, ${c.prose_lines} lines of English prose) on ${c.pages} pages, ` +
    `${c.sizes_px.min}-${c.sizes_px.max} px, fonts ${c.fonts.join(', ')}; rendered by ${r.renderer}; run in ${r.runtime}. Repeat: \`${r.command}\`.`;
}

/** Detector variants with the fp32 recogniser, next to fp32 + fp32. */
function detAloneTable(r: OcrResults): string[] {
  const fp32 = Object.values(r.variants).find((v) => v.files['det'] === 'fp32' && v.files['rec'] === 'fp32');
  const rows = Object.values(r.det_alone ?? {});
  if (!rows.length || !fp32) return [];
  return [
    'The detector alone (each det variant with the fp32 recogniser, end to end):',
    '',
    '| det variant | CER end to end | spaces ignored | det recall | det precision |',
    '| --- | --- | --- | --- | --- |',
    `| fp32 | ${pct(fp32.cer.e2e.cer)} | ${pct(fp32.cer.e2e_nospace.cer)} | ${pct(fp32.det.recall)} | ${pct(fp32.det.precision)} |`,
    ...rows.map((d) => `| ${d.det} | ${pct(d.e2e.cer)} | ${pct(d.e2e_nospace.cer)} | ${pct(d.recall)} | ${pct(d.precision)} |`),
    '',
  ];
}

function groupTable(r: OcrResults, by: 'by_size' | 'by_kind', title: string): string[] {
  const keys = [...new Set(Object.values(r.variants).flatMap((v) => Object.keys(v[by])))];
  const first = Object.values(r.variants)[0];
  return [
    `${title} (CER end to end / rec-only, spaces ignored):`,
    '',
    `| variant | ${keys.map((k) => `${k} (${first?.[by][k]?.lines ?? 0} lines)`).join(' | ')} |`,
    `| --- | ${keys.map(() => '---').join(' | ')} |`,
    ...Object.entries(r.variants).map(([n, v]) => `| ${n} | ${keys.map((k) => `${pct(v[by][k]?.e2e_nospace.cer)} / ${pct(v[by][k]?.rec_nospace.cer)}`).join(' | ')} |`),
    '',
  ];
}

/** Sample readings: the first lines, then lines the reference variant misreads end to end. */
function samples(r: OcrResults, first = 10, misread = 15): string[] {
  const names = Object.keys(r.variants);
  const ref = names[0]!;
  const wrong = r.lines.slice(first).filter((l) => l.read[ref]!.e2e.replace(/\s/g, '') !== l.text.replace(/\s/g, '')).slice(0, misread);
  return [
    `Sample readings (the first ${first} lines, then up to ${misread} more that ${ref} misreads end to end; \`∅\` = nothing read):`,
    '',
    `| drawn | font, size | ${names.map((n) => `${n} end to end | ${n} rec-only`).join(' | ')} |`,
    `| --- | --- | ${names.map(() => '--- | ---').join(' | ')} |`,
    ...[...r.lines.slice(0, first), ...wrong].map((l) => `| ${cell(l.text)} | ${l.font}, ${l.size}px | ${names.map((n) => `${cell(l.read[n]!.e2e)} | ${cell(l.read[n]!.rec)}`).join(' | ')} |`),
    '',
  ];
}

/** The whole report (bench/results/ocr.md). */
export function markdown(r: OcrResults): string {
  return [
    `# OCR on real rendered text`,
    '',
    `Measured ${r.measured_at?.slice(0, 10) ?? new Date().toISOString().slice(0, 10)}: ${corpusLine(r)}`,
    '',
    ...summaryTable(r),
    '',
    `${r.metric} Rec-only reads each line's own drawn box (the browser's line box), so det errors do not enter it; det recall and precision count boxes with IoU ≥ 0.5 against drawn lines. cls: every line box upright and turned 180°.`,
    '',
    ...detAloneTable(r),
    ...groupTable(r, 'by_size', 'By text size'),
    ...groupTable(r, 'by_kind', 'By kind of string'),
    ...samples(r),
  ].join('\n');
}

/** The short form for `npm run bench:compress`. */
export function ocrSection(r: OcrResults): string[] {
  return [`OCR character error rate on real rendered text (from bench/results/ocr.json, ${r.measured_at?.slice(0, 10) ?? 'undated'}): ${corpusLine(r)}`, '', ...summaryTable(r), '', ...detAloneTable(r)];
}

/** The short form for bench/results/compress.json: CERs, det recall and cls accuracy per variant. */
export function ocrSummary(r: OcrResults): Record<string, unknown> {
  const variants = Object.fromEntries(Object.entries(r.variants).map(([k, v]) => [k, { files: v.files, ...v.cer, det_recall: v.det.recall, cls_accuracy: v.cls_accuracy }]));
  return { measured_at: r.measured_at, command: r.command, corpus: r.corpus, variants, det_alone: r.det_alone };
}
