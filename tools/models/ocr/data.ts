/**
 * Seeded synthetic text images for the PaddleOCR models, since no OCR dataset ships with the project:
 * dark glyph-like strokes (bars and boxes on a baseline, some with ascenders or descenders) on a light,
 * slightly noisy page, in the models' normalisation ((pixel/255 − 0.5)/0.5, so white = 1, ink = −1).
 * Closer to the models' input distribution than uniform noise, so calibration ranges and fidelity mean more;
 * still not real text, which the manifests' eval_set says.
 */
import { Prng } from '../../lib/prng.js';

function drawLine(img: Float32Array, W: number, H: number, x0: number, y0: number, lineH: number, width: number, prng: Prng): void {
  const ink = (x: number, y: number) => {
    if (x >= 0 && x < W && y >= 0 && y < H) for (let c = 0; c < 3; c++) img[c * W * H + y * W + x] = -0.9 + 0.2 * prng.next();
  };
  const xHeight = Math.round(lineH * 0.5);
  const base = y0 + Math.round(lineH * 0.78);
  const stroke = Math.max(1, Math.round(lineH / 14));
  let x = x0;
  while (x < x0 + width - lineH * 0.5) {
    const gw = Math.round(lineH * (0.35 + 0.3 * prng.next()));
    const top = prng.next() < 0.3 ? base - Math.round(lineH * 0.72) : base - xHeight;
    const bottom = prng.next() < 0.1 ? base + Math.round(lineH * 0.18) : base;
    const kind = prng.int(4);
    for (let y = top; y < bottom; y++) {
      for (let s = 0; s < stroke; s++) {
        if (kind !== 2) ink(x + s, y);
        if (kind === 0 || kind === 3) ink(x + gw - 1 - s, y);
      }
    }
    for (let xx = x; xx < x + gw; xx++) {
      for (let s = 0; s < stroke; s++) {
        if (kind !== 1) ink(xx, base - 1 - s);
        if (kind === 0 || kind === 2) ink(xx, base - xHeight + s);
      }
    }
    x += gw + Math.round(lineH * (prng.next() < 0.15 ? 0.5 : 0.12));
  }
}

/** `n` images [n, 3, h, w] with text lines; `lines` per image; `rotate` flips every other image 180°. */
export function textImages(n: number, h: number, w: number, seed: number, opts: { lines?: number; rotate?: boolean } = {}): Float32Array {
  const prng = new Prng(seed);
  const per = 3 * h * w;
  const out = new Float32Array(n * per);
  for (let i = 0; i < n; i++) {
    const img = out.subarray(i * per, (i + 1) * per);
    for (let k = 0; k < per; k++) img[k] = 0.85 + 0.15 * prng.next();
    const lines = opts.lines ?? 1;
    const lineH = Math.floor(h / lines);
    for (let l = 0; l < lines; l++) {
      const margin = Math.round(w * 0.05 * prng.next());
      const length = Math.round((w - 2 * margin) * (lines > 1 ? 0.4 + 0.6 * prng.next() : 0.7 + 0.3 * prng.next()));
      drawLine(img, w, h, margin, l * lineH + Math.round(lineH * 0.1), Math.round(lineH * 0.8), length, prng);
    }
    if (opts.rotate && i % 2 === 1) {
      for (let c = 0; c < 3; c++) {
        const plane = img.subarray(c * h * w, (c + 1) * h * w);
        plane.reverse();
      }
    }
  }
  return out;
}

/** A feeds file (the CLI's --calibration/--eval format) for input `x`. */
export function feedsFile(data: Float32Array, dims: number[]): string {
  return JSON.stringify({ x: { dims, data: Array.from(data, (v) => Math.round(v * 1e4) / 1e4) } });
}
