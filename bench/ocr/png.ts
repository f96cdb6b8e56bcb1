/**
 * A small PNG decoder for the OCR bench's screenshots: 8-bit greyscale, grey+alpha, RGB, RGBA and palette
 * images, non-interlaced (what Chromium writes), inflated with node:zlib and unfiltered per the PNG spec.
 * Anything else is refused by name, never guessed at. Returns RGB, alpha composited over white.
 */
import { inflateSync } from 'node:zlib';
import type { RgbImage } from './image.js';

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/** Decodes a PNG file's bytes to an RGB image. */
export function decodePng(bytes: Uint8Array): RgbImage {
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new Error('not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, colorType = -1;
  let palette: Uint8Array | undefined;
  const idat: Uint8Array[] = [];
  for (let at = 8; at + 8 <= bytes.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      const [depth, ct, , , interlace] = data.subarray(8, 13);
      if (depth !== 8) throw new Error(`PNG bit depth ${depth} is not supported (8 only)`);
      if (interlace !== 0) throw new Error('interlaced PNG is not supported');
      if (!(ct! in CHANNELS)) throw new Error(`PNG colour type ${ct} is not valid`);
      colorType = ct!;
    } else if (type === 'PLTE') palette = data;
    else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  if (colorType < 0 || !idat.length) throw new Error('PNG has no IHDR or no image data');
  if (colorType === 3 && !palette) throw new Error('palette PNG without a PLTE chunk');
  const bpp = CHANNELS[colorType]!;
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * bpp;
  if (raw.length < height * (stride + 1)) throw new Error(`PNG image data is truncated (${raw.length} of ${height * (stride + 1)} bytes)`);
  const px = unfilter(raw, width, height, bpp);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const s = px.subarray(i * bpp, i * bpp + bpp);
    let r: number, g: number, b: number, a = 255;
    if (colorType === 0) r = g = b = s[0]!;
    else if (colorType === 4) [r, g, b, a] = [s[0]!, s[0]!, s[0]!, s[1]!];
    else if (colorType === 3) [r, g, b] = [palette![s[0]! * 3]!, palette![s[0]! * 3 + 1]!, palette![s[0]! * 3 + 2]!];
    else [r, g, b, a] = [s[0]!, s[1]!, s[2]!, colorType === 6 ? s[3]! : 255];
    const over = (c: number) => Math.round((c * a + 255 * (255 - a)) / 255);
    rgb[i * 3] = over(r);
    rgb[i * 3 + 1] = over(g);
    rgb[i * 3 + 2] = over(b);
  }
  return { width, height, data: rgb };
}

/** Reverses the per-row filters (None, Sub, Up, Average, Paeth). */
function unfilter(raw: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const row = out.subarray(y * stride, (y + 1) * stride);
    const prev = y > 0 ? out.subarray((y - 1) * stride, y * stride) : new Uint8Array(stride);
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? row[x - bpp]! : 0;
      const b = prev[x]!;
      const c = x >= bpp ? prev[x - bpp]! : 0;
      let pred: number;
      switch (filter) {
        case 0: pred = 0; break;
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) >> 1; break;
        case 4: {
          const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
          pred = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`PNG row ${y} has unknown filter type ${filter}`);
      }
      row[x] = (src[x]! + pred) & 0xff;
    }
  }
  return out;
}
