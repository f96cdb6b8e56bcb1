/**
 * PNG and JPEG samples for calibration and evaluation, decoded with `pngjs` and `jpeg-js` (pure JS), resized
 * bilinearly to the input's H×W and laid out as its shape says. Layout rules, for one sample's dims:
 * [C, H, W] with C of 1 or 3 is CHW; [H, W, C] with C of 1 or 3 is HWC (NHWC models); [H, W] is gray.
 * C = 1 is luminance (0.299 R + 0.587 G + 0.114 B), C = 3 is RGB; alpha is dropped. Pixels are 0..255
 * before the input range maps them.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/** RGBA pixels, row-major. */
export interface Image {
  width: number;
  height: number;
  rgba: Uint8Array;
}

/** Decodes a PNG or JPEG by its bytes' signature; throws an Error naming the problem. */
export function readImage(bytes: Uint8Array): Image {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) {
    const png = PNG.sync.read(buf);
    return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  }
  if (buf[0] === 0xff && buf[1] === 0xd8) {
    const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxMemoryUsageInMB: 1024 });
    return { width: img.width, height: img.height, rgba: img.data };
  }
  throw new Error('not a PNG or JPEG image');
}

/** Where the channel axis is in one sample's dims, or an error message. */
export function imageLayout(dims: readonly number[]): { layout: 'chw' | 'hwc'; c: number; h: number; w: number } | string {
  if (dims.length === 2) return { layout: 'chw', c: 1, h: dims[0]!, w: dims[1]! };
  if (dims.length === 3 && (dims[0] === 1 || dims[0] === 3)) return { layout: 'chw', c: dims[0], h: dims[1]!, w: dims[2]! };
  if (dims.length === 3 && (dims[2] === 1 || dims[2] === 3)) return { layout: 'hwc', c: dims[2], h: dims[0]!, w: dims[1]! };
  return `an image input needs sample dims [C,H,W] or [H,W,C] with C 1 or 3, or [H,W]; this one is [${dims.join(',')}]`;
}

/** One sample: the image resized bilinearly to h×w, in the layout, pixels mapped from 0..255 to [lo, hi]. */
export function imageSample(img: Image, dims: readonly number[], lo: number, hi: number): Float32Array {
  const l = imageLayout(dims);
  if (typeof l === 'string') throw new Error(l);
  const out = new Float32Array(l.c * l.h * l.w);
  const scale = (hi - lo) / 255;
  const px = (x: number, y: number, ch: number) => img.rgba[(y * img.width + x) * 4 + ch]!;
  for (let y = 0; y < l.h; y++) {
    // Pixel centres aligned (half-pixel offset), as image libraries resize.
    const sy = Math.min(img.height - 1, Math.max(0, ((y + 0.5) * img.height) / l.h - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(img.height - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < l.w; x++) {
      const sx = Math.min(img.width - 1, Math.max(0, ((x + 0.5) * img.width) / l.w - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(img.width - 1, x0 + 1);
      const fx = sx - x0;
      const at = (ch: number) => (px(x0, y0, ch) * (1 - fx) + px(x1, y0, ch) * fx) * (1 - fy) + (px(x0, y1, ch) * (1 - fx) + px(x1, y1, ch) * fx) * fy;
      const rgb = [at(0), at(1), at(2)];
      const values = l.c === 1 ? [0.299 * rgb[0]! + 0.587 * rgb[1]! + 0.114 * rgb[2]!] : rgb;
      for (let ch = 0; ch < l.c; ch++) {
        const i = l.layout === 'chw' ? ch * l.h * l.w + y * l.w + x : (y * l.w + x) * l.c + ch;
        out[i] = lo + values[ch]! * scale;
      }
    }
  }
  return out;
}
