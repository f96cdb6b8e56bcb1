/**
 * The pixel operations the OCR pipeline needs, on plain 8-bit RGB images: crop, rotate 180°, and bilinear
 * resize with OpenCV's INTER_LINEAR sampling (half-pixel centres, edge clamped, no antialiasing), which is
 * what PaddleOCR's preprocessing calls; matching it keeps the models' inputs what they were trained on.
 */

/** Interleaved RGB, row-major, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** An axis-aligned box in pixels: [x0, y0) to [x1, y1). */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The part of `img` inside `box` (clipped to the image, rounded outwards to whole pixels). */
export function crop(img: RgbImage, box: Box): RgbImage {
  const x0 = Math.max(0, Math.floor(box.x0)), y0 = Math.max(0, Math.floor(box.y0));
  const x1 = Math.min(img.width, Math.ceil(box.x1)), y1 = Math.min(img.height, Math.ceil(box.y1));
  const width = Math.max(1, x1 - x0), height = Math.max(1, y1 - y0);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(img.height - 1, y0 + y);
    const from = (sy * img.width + Math.min(img.width - 1, x0)) * 3;
    data.set(img.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

/** The image turned upside down (what the direction classifier must detect). */
export function rotate180(img: RgbImage): RgbImage {
  const n = img.width * img.height;
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) data.set(img.data.subarray(i * 3, i * 3 + 3), (n - 1 - i) * 3);
  return { width: img.width, height: img.height, data };
}

/** Bilinear resize to `width` × `height` (OpenCV INTER_LINEAR sampling). */
export function resize(img: RgbImage, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  const sx = img.width / width, sy = img.height / height;
  const taps = (d: number, scale: number, size: number): [number, number, number] => {
    const f = Math.min(Math.max((d + 0.5) * scale - 0.5, 0), size - 1);
    const i = Math.floor(f);
    return [i, Math.min(i + 1, size - 1), f - i];
  };
  const xs = Array.from({ length: width }, (_, x) => taps(x, sx, img.width));
  for (let y = 0; y < height; y++) {
    const [y0, y1, fy] = taps(y, sy, img.height);
    for (let x = 0; x < width; x++) {
      const [x0, x1, fx] = xs[x]!;
      for (let c = 0; c < 3; c++) {
        const p = (yy: number, xx: number) => img.data[(yy * img.width + xx) * 3 + c]!;
        const top = p(y0, x0) * (1 - fx) + p(y0, x1) * fx;
        const bottom = p(y1, x0) * (1 - fx) + p(y1, x1) * fx;
        data[(y * width + x) * 3 + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
  return { width, height, data };
}

/** Intersection over union of two boxes (0 when they do not overlap). */
export function iou(a: Box, b: Box): number {
  const inter = overlap(a, b);
  const union = area(a) + area(b) - inter;
  return union > 0 ? inter / union : 0;
}

/** Area of the intersection of two boxes. */
export function overlap(a: Box, b: Box): number {
  return Math.max(0, Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0)) * Math.max(0, Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0));
}

export function area(b: Box): number {
  return Math.max(0, b.x1 - b.x0) * Math.max(0, b.y1 - b.y0);
}
