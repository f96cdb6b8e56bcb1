/**
 * A reader for NumPy's .npy files (format versions 1, 2 and 3): little-endian float32/float64, int64/int32/
 * int16/int8, uint8/uint16 and bool, C order. Enough for evaluation samples saved with `np.save`; big-endian and
 * Fortran-order arrays are refused by name rather than read wrong.
 */

/** An array's shape and values (int64 as numbers: sample ids and values stay far below 2^53). */
export interface NpyArray {
  dtype: string;
  shape: number[];
  data: Float64Array;
}

const READERS: Record<string, { bytes: number; read: (v: DataView, at: number) => number }> = {
  '<f4': { bytes: 4, read: (v, at) => v.getFloat32(at, true) },
  '<f8': { bytes: 8, read: (v, at) => v.getFloat64(at, true) },
  '<i8': { bytes: 8, read: (v, at) => Number(v.getBigInt64(at, true)) },
  '<i4': { bytes: 4, read: (v, at) => v.getInt32(at, true) },
  '<i2': { bytes: 2, read: (v, at) => v.getInt16(at, true) },
  '|i1': { bytes: 1, read: (v, at) => v.getInt8(at) },
  '|u1': { bytes: 1, read: (v, at) => v.getUint8(at) },
  '<u2': { bytes: 2, read: (v, at) => v.getUint16(at, true) },
  '|b1': { bytes: 1, read: (v, at) => v.getUint8(at) },
};

/** Parses a .npy file; throws an Error whose message names what is wrong. */
export function parseNpy(bytes: Uint8Array): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || !magic.every((b, i) => bytes[i] === b)) throw new Error('not a .npy file (no \\x93NUMPY magic)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6]!;
  if (major < 1 || major > 3) throw new Error(`unsupported .npy format version ${major}`);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || !fortran || shapeText === undefined) throw new Error(`unreadable .npy header: ${header.trim()}`);
  if (fortran === 'True') throw new Error('Fortran-order arrays are not supported; save with np.ascontiguousarray');
  // '=' and '<' are both little-endian on every machine that writes these files; '>' is not.
  const key = descr.replace(/^=/, '<');
  const reader = READERS[key];
  if (!reader) throw new Error(`dtype ${descr} is not supported (use float32, float64, int64, int32, int16, int8, uint8, uint16 or bool, little-endian)`);
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`bad shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (bytes.length - offset < count * reader.bytes) throw new Error(`truncated: shape (${shape.join(', ')}) of ${descr} needs ${count * reader.bytes} bytes, the file has ${bytes.length - offset}`);
  const data = new Float64Array(count);
  for (let i = 0; i < count; i++) data[i] = reader.read(view, offset + i * reader.bytes);
  return { dtype: descr, shape, data };
}
