/**
 * A deliberately broken variant for the workers tier, written by the test itself: the reference file with
 * the floats of every initializer shuffled in place (same graph, same size, same signature, untrained
 * weights), so its answers really disagree with the reference's and nothing about inference is mocked.
 * A minimal protobuf walk (ModelProto.graph = 7, GraphProto.initializer = 5, TensorProto.raw_data = 9):
 * the bytes of each raw_data move, nothing else does.
 */

function varint(b: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = b[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [value, at];
    shift += 7;
  }
}

/** Each length-delimited field `field` of the message in b[from, to), as [start, end) of its payload. */
function fields(b: Uint8Array, from: number, to: number, field: number): [number, number][] {
  const out: [number, number][] = [];
  let at = from;
  while (at < to) {
    const [tag, next] = varint(b, at);
    at = next;
    const wire = tag & 7;
    if (wire === 0) at = varint(b, at)[1];
    else if (wire === 1) at += 8;
    else if (wire === 5) at += 4;
    else if (wire === 2) {
      const [len, start] = varint(b, at);
      if (tag >>> 3 === field) out.push([start, start + len]);
      at = start + len;
    } else throw new Error(`unexpected wire type ${wire} at ${at}`);
  }
  return out;
}

/** A copy of an ONNX model with the 4-byte values of each initializer's raw_data shuffled (seeded). */
export function shuffleWeights(model: Uint8Array, seed = 24): Uint8Array {
  const b = model.slice();
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (const [gs, ge] of fields(b, 0, b.length, 7)) {
    for (const [ts, te] of fields(b, gs, ge, 5)) {
      for (const [rs, re] of fields(b, ts, te, 9)) {
        const n = Math.floor((re - rs) / 4);
        for (let i = n - 1; i > 0; i--) {
          const j = Math.floor(random() * (i + 1));
          for (let k = 0; k < 4; k++) [b[rs + i * 4 + k], b[rs + j * 4 + k]] = [b[rs + j * 4 + k]!, b[rs + i * 4 + k]!];
        }
      }
    }
  }
  return b;
}
