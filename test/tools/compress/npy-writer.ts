/** Writes .npy bytes (format 1.0, or 2.0 when asked) for the reader's tests. */
export function npy(descr: string, shape: number[], data: ArrayLike<number> | BigInt64Array, version: 1 | 2 = 1): Uint8Array {
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  const pre = version === 1 ? 10 : 12;
  const pad = 64 - ((pre + dict.length + 1) % 64);
  const header = dict + ' '.repeat(pad % 64) + '\n';
  const bytes: Record<string, number> = { '<f4': 4, '<f8': 8, '<i8': 8, '<i4': 4, '|u1': 1, '>f4': 4 };
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(pre + header.length + n * bytes[descr]!);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  out.set(new TextEncoder().encode(header), pre);
  const at = pre + header.length;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    if (descr === '<f4') view.setFloat32(at + 4 * i, Number(v), true);
    else if (descr === '>f4') view.setFloat32(at + 4 * i, Number(v), false);
    else if (descr === '<f8') view.setFloat64(at + 8 * i, Number(v), true);
    else if (descr === '<i8') view.setBigInt64(at + 8 * i, BigInt(v), true);
    else if (descr === '<i4') view.setInt32(at + 4 * i, Number(v), true);
    else view.setUint8(at + i, Number(v));
  }
  return out;
}
