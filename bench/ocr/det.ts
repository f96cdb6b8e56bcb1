/**
 * PaddleOCR's text detection around the DBNet model, as its Python inference does it
 * (ppocr/data/imaug/operators.py DetResizeForTest + NormalizeImage, ppocr/postprocess/db_postprocess.py),
 * with its default settings: longest side limited to 960, both sides rounded to a multiple of 32, ImageNet
 * mean/std on the BGR image; probability map thresholded at 0.3, candidates scored by their mean
 * probability (kept at ≥ 0.6), expanded by the "unclip" distance area × 1.5 / perimeter.
 * One simplification, named: boxes are axis-aligned (bounding boxes of 8-connected regions) rather than
 * minimum-area rotated rectangles; every text this bench renders is horizontal, where the two agree.
 */
import { resize, type Box, type RgbImage } from './image.js';

export const DET = { limitSide: 960, thresh: 0.3, boxThresh: 0.6, unclipRatio: 1.5, minSize: 3, maxCandidates: 1000 } as const;
const MEAN = [0.485, 0.456, 0.406];
const STD = [0.229, 0.224, 0.225];

/** The detector's input: [1, 3, h, w] float32, plus the size it was resized to. */
export interface DetInput {
  data: Float32Array;
  width: number;
  height: number;
}

/** Resize to multiples of 32 (longest side ≤ 960) and normalise, channels in BGR order as cv2 loads them. */
export function detPreprocess(img: RgbImage): DetInput {
  const ratio = Math.max(img.width, img.height) > DET.limitSide ? DET.limitSide / Math.max(img.width, img.height) : 1;
  const to32 = (v: number) => Math.max(roundHalfEven(Math.trunc(v * ratio) / 32) * 32, 32);
  const width = to32(img.width), height = to32(img.height);
  const r = width === img.width && height === img.height ? img : resize(img, width, height);
  const plane = width * height;
  const data = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) data[c * plane + i] = (r.data[i * 3 + (2 - c)]! / 255 - MEAN[c]!) / STD[c]!;
  }
  return { data, width, height };
}

/** Python's round(): halves go to the even neighbour (a 656 px side becomes 640, not 672). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** A detected text box in the original image's pixels, with its mean probability. */
export interface DetBox extends Box {
  score: number;
}

/**
 * Boxes from the probability map `pred` (`mapW` × `mapH`, the resized input's size), scaled back to the
 * original `destW` × `destH` image, in reading order (top to bottom, then left to right).
 */
export function detPostprocess(pred: Float32Array, mapW: number, mapH: number, destW: number, destH: number): DetBox[] {
  const boxes: DetBox[] = [];
  for (const r of regions(pred, mapW, mapH, DET.thresh).slice(0, DET.maxCandidates)) {
    // Box corners at pixel centres, as cv2.minAreaRect sees a contour; its short side must reach min_size.
    const w = r.x1 - r.x0, h = r.y1 - r.y0;
    if (Math.min(w, h) < DET.minSize) continue;
    let sum = 0;
    for (let y = r.y0; y <= r.y1; y++) for (let x = r.x0; x <= r.x1; x++) sum += pred[y * mapW + x]!;
    const score = sum / ((w + 1) * (h + 1));
    if (score < DET.boxThresh) continue;
    const d = (w * h * DET.unclipRatio) / (2 * (w + h));
    const box = { x0: r.x0 - d, y0: r.y0 - d, x1: r.x1 + d, y1: r.y1 + d };
    if (Math.min(box.x1 - box.x0, box.y1 - box.y0) < DET.minSize + 2) continue;
    const sx = (v: number) => Math.min(Math.max(Math.round((v / mapW) * destW), 0), destW);
    const sy = (v: number) => Math.min(Math.max(Math.round((v / mapH) * destH), 0), destH);
    boxes.push({ x0: sx(box.x0), y0: sy(box.y0), x1: sx(box.x1), y1: sy(box.y1), score });
  }
  return readingOrder(boxes);
}

/** Bounding boxes (inclusive pixel coordinates) of the 8-connected regions of `pred > thresh`. */
export function regions(pred: Float32Array, w: number, h: number, thresh: number): Box[] {
  const label = new Int32Array(w * h).fill(-1);
  const out: Box[] = [];
  const stack: number[] = [];
  for (let start = 0; start < w * h; start++) {
    if (label[start] !== -1 || !(pred[start]! > thresh)) continue;
    const box = { x0: w, y0: h, x1: -1, y1: -1 };
    label[start] = out.length;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      const px = p % w, py = (p - px) / w;
      box.x0 = Math.min(box.x0, px); box.x1 = Math.max(box.x1, px);
      box.y0 = Math.min(box.y0, py); box.y1 = Math.max(box.y1, py);
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const nx = px + dx, ny = py + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const q = ny * w + nx;
          if (label[q] === -1 && pred[q]! > thresh) {
            label[q] = out.length;
            stack.push(q);
          }
        }
      }
    }
    out.push(box);
  }
  return out;
}

/** PaddleOCR's sorted_boxes: by top edge, boxes within 10 px of each other's top read left to right. */
export function readingOrder<T extends Box>(boxes: T[]): T[] {
  const s = [...boxes].sort((a, b) => a.y0 - b.y0 || a.x0 - b.x0);
  for (let i = 0; i < s.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      if (Math.abs(s[j + 1]!.y0 - s[j]!.y0) < 10 && s[j + 1]!.x0 < s[j]!.x0) [s[j], s[j + 1]] = [s[j + 1]!, s[j]!];
      else break;
    }
  }
  return s;
}
