/**
 * Real rendered text for training and judging a pruned text-direction classifier (ppocr-cls): short strings
 * and prose drawn by headless Chromium in the system's fonts (render.ts, corpus.ts), each line box cropped
 * upright and turned 180°, preprocessed as PaddleOCR does (rec.ts clsPreprocess: 48 × 192, BGR, [-1, 1]).
 * The train and test sets come from different seeds (different strings, fonts, sizes and colours) and only
 * the test set has prose, so the test lines were never trained on. `--long N` adds N training-only lines as
 * long as prose (corpus.ts longLines: joined words and short strings from their own seeds, no PROSE text),
 * written apart as long.npy so they can be joined to a train.npy with `--train a.npy,b.npy`; the test set's
 * seeds are unchanged, so its bytes are too. `--train 0` skips the short-string set.
 * Writes <out>/{train,test,long}.npy ([N,3,48,192] float32) and <out>/{train,test,long}-labels.json
 * (0 upright, 1 turned), the forms `npm run prune` reads.
 * Usage: npx tsx bench/ocr/cls-set.ts --out /tmp/cls [--train 600] [--test 200] [--long 0]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { longLines, proseLines, shortStrings, type Sample } from './corpus.js';
import { crop, rotate180 } from './image.js';
import { clsPreprocess } from './rec.js';
import { openBrowser, renderPages } from './render.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};

/** A float32 C-order .npy file. */
function npy(data: Float32Array, shape: number[]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(64 - ((10 + header.length + 1) % 64)) + '\n';
  const pre = Buffer.alloc(10);
  Buffer.from('\x93NUMPY', 'latin1').copy(pre);
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
}

async function set(samples: Sample[], seed: number): Promise<{ data: Float32Array; labels: number[] }> {
  const browser = await openBrowser();
  try {
    const pages = await renderPages(browser, samples, { seed });
    const crops = pages.flatMap((p) => p.lines.map((l) => crop(p.image, l.box)));
    const per = 3 * 48 * 192;
    const data = new Float32Array(crops.length * 2 * per);
    const labels: number[] = [];
    crops.forEach((c, i) => {
      data.set(clsPreprocess(c).data, 2 * i * per);
      data.set(clsPreprocess(rotate180(c)).data, (2 * i + 1) * per);
      labels.push(0, 1);
    });
    return { data, labels };
  } finally {
    await browser.close();
  }
}

const out = arg('out', '/tmp/cls-set');
const nTrain = Number(arg('train', '600'));
const nTest = Number(arg('test', '200'));
const nLong = Number(arg('long', '0'));
mkdirSync(out, { recursive: true });
const test: Sample[] = [...shortStrings(nTest - Math.round(nTest * 0.15), 303), ...proseLines(Math.round(nTest * 0.15))];
const long = longLines(nLong, 505);
const held = new Set(test.map((t) => t.text));
// A long line must not be (or contain) a held-out line; with these seeds none is, and this keeps it so.
const shared = long.filter((l) => held.has(l.text) || test.some((t) => t.kind === 'prose' && l.text.includes(t.text)));
if (shared.length) throw new Error(`--long lines repeat held-out text: ${shared.map((l) => l.text).join(' | ')}`);
for (const [name, samples, seed] of [
  // Prose only in the test set: its lines share no sentence with anything trained on.
  ['train', shortStrings(nTrain, 101), 202],
  ['test', test, 404],
  ['long', long, 606],
] as const) {
  if (!samples.length) continue;
  const s = await set(samples as Sample[], seed);
  writeFileSync(join(out, `${name}.npy`), npy(s.data, [s.labels.length, 3, 48, 192]));
  writeFileSync(join(out, `${name}-labels.json`), JSON.stringify(s.labels));
  console.log(`${name}: ${s.labels.length} crops (${s.labels.length / 2} lines, upright and turned) -> ${join(out, `${name}.npy`)}`);
}
