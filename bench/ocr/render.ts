/**
 * Renders known strings as real text: headless Chromium (playwright-core driving Debian's /usr/bin/chromium,
 * as the dashboard test does) lays them out in the system's own fonts (fc-list; nothing is downloaded) at
 * varied sizes and colours on pages 640 px wide, and screenshots each page to PNG. The browser's layout gives
 * each line's box (the span's line box), which the bench uses as ground truth for det and for rec-only crops.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Prng } from '../../tools/lib/prng.js';
import type { Sample } from './corpus.js';
import type { Box, RgbImage } from './image.js';
import { decodePng } from './png.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'];
/** Families looked for, in order; those fc-list knows are used. */
const WANTED_FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono', 'Liberation Sans', 'Liberation Serif', 'Liberation Mono', 'Liberation Sans Narrow'];
const SHORT_SIZES = [12, 16, 20, 26, 34, 44];
const PROSE_SIZES = [14, 16, 18, 22];
const INKS = ['#000000', '#1b1b1b', '#303030', '#14286e', '#5a1414'];
const PAPERS = ['#ffffff', '#f3f3f3', '#fff8e6', '#eef3f8'];
const PAGE = { width: 640, maxHeight: 640, margin: 12 } as const;

/** A string as drawn: its font, size (px), colours and line box on its page. */
export interface RenderedLine extends Sample {
  font: string;
  size: number;
  ink: string;
  box: Box;
}

export interface RenderedPage {
  image: RgbImage;
  png: Buffer;
  paper: string;
  lines: RenderedLine[];
}

/** The wanted font families this machine has (fc-list), or the browser's generic families when it cannot say. */
export function availableFonts(): string[] {
  let families: string;
  try {
    families = execFileSync('fc-list', [':', 'family'], { encoding: 'utf8' });
  } catch {
    return ['sans-serif', 'serif', 'monospace'];
  }
  const known = new Set(families.split('\n').flatMap((l) => l.split(',').map((f) => f.trim())));
  const found = WANTED_FONTS.filter((f) => known.has(f));
  return found.length ? found : ['sans-serif', 'serif', 'monospace'];
}

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const style = (l: Pick<RenderedLine, 'font' | 'size' | 'ink'>) => `font-family:'${l.font}';font-size:${l.size}px;color:${l.ink};white-space:pre;position:absolute;line-height:normal`;
const RECTS = `[...document.querySelectorAll('[data-line]')].map((e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })`;

async function rects(page: Page, body: string): Promise<Box[]> {
  await page.setContent(`<!doctype html><html><body style="margin:0">${body}</body></html>`);
  await page.evaluate('document.fonts.ready');
  return ((await page.evaluate(RECTS)) as number[][]).map(([x0, y0, x1, y1]) => ({ x0: x0!, y0: y0!, x1: x1!, y1: y1! }));
}

/** Opens the browser; throws a clear error when it is not installed. */
export async function openBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (see .ci/run), or set CHROMIUM_PATH`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS, timeout: 30_000 });
}

/** How to draw: fonts, sizes and positions are drawn from `seed`; `sizes` overrides the size choices. */
export interface RenderOptions {
  seed: number;
  fonts?: string[];
  sizes?: number[];
}

/** Lays `samples` out on pages, one string per line, and screenshots them; a string too wide for the page is drawn smaller. */
export async function renderPages(browser: Browser, samples: readonly Sample[], opts: RenderOptions): Promise<RenderedPage[]> {
  const p = new Prng(opts.seed);
  const fonts = opts.fonts ?? availableFonts();
  const sizesFor = (s: Sample) => opts.sizes ?? (s.kind === 'prose' ? PROSE_SIZES : SHORT_SIZES);
  const page = await browser.newPage({ viewport: { width: PAGE.width, height: 1000 }, deviceScaleFactor: 1 });
  try {
    const styled = samples.map((s) => ({ ...s, font: fonts[p.int(fonts.length)]!, size: sizesFor(s)[p.int(sizesFor(s).length)]!, ink: INKS[p.int(INKS.length)]! }));
    const measured = await rects(page, styled.map((l, i) => `<div data-line style="${style(l)};left:0;top:${i * 60}px">${esc(l.text)}</div>`).join(''));
    const avail = PAGE.width - 2 * PAGE.margin;
    const pages: { paper: string; lines: (typeof styled[number] & { x: number; y: number })[]; height: number }[] = [];
    let current: (typeof pages)[number] | undefined;
    let y = 0;
    styled.forEach((l, i) => {
      let { x1: w, y1: h } = { x1: measured[i]!.x1 - measured[i]!.x0, y1: measured[i]!.y1 - measured[i]!.y0 };
      if (w > avail) {
        const size = Math.floor((l.size * avail) / w) - 1;
        [w, h, l.size] = [(w * size) / l.size, (h * size) / l.size, size];
      }
      const gap = Math.round(l.size * (0.5 + 0.8 * p.next()));
      if (!current || y + gap + h + PAGE.margin > PAGE.maxHeight) {
        current = { paper: PAPERS[p.int(PAPERS.length)]!, lines: [], height: 0 };
        pages.push(current);
        y = PAGE.margin - gap;
      }
      y += gap;
      current.lines.push({ ...l, x: PAGE.margin + Math.round(p.next() * Math.max(0, avail - w) * 0.6), y: Math.round(y) });
      y += h;
      current.height = Math.ceil(y + PAGE.margin);
    });
    const out: RenderedPage[] = [];
    for (const pg of pages) {
      const body = `<div style="position:relative;width:${PAGE.width}px;height:${pg.height}px;background:${pg.paper}">${pg.lines.map((l) => `<div data-line style="${style(l)};left:${l.x}px;top:${l.y}px">${esc(l.text)}</div>`).join('')}</div>`;
      const boxes = await rects(page, body);
      const png = await page.screenshot({ type: 'png', clip: { x: 0, y: 0, width: PAGE.width, height: pg.height } });
      out.push({ image: decodePng(png), png, paper: pg.paper, lines: pg.lines.map(({ x: _x, y: _y, ...l }, i) => ({ ...l, box: boxes[i]! })) });
    }
    return out;
  } finally {
    await page.close();
  }
}
