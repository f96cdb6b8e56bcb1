/**
 * How much each channel matters, from data: for every layer that reads a space, the mean |activation| of
 * channel c on the calibration samples times the L2 norm of the weights that read it (its input rows, or
 * its H·W block of rows after a Flatten), summed over the readers. A channel that is always zero, or that
 * nothing reads, scores 0 and goes first; removing it leaves the outputs as they were. Weight magnitude
 * alone would keep a large filter whose ReLU never fires; the activation term sees that.
 * (A first-order Taylor score |a·∂L/∂a| from the trainer can be passed in instead: see taylor.ts.)
 */
import { floats, type GraphIndex } from './graph.js';
import type { ChannelSlice, ChannelSpace } from './spaces.js';
import { runChunks, tapSession, type Batch } from './taps.js';

/** Per-channel mean |activation| of each named rank ≥ 2 tensor (channel axis 1) over all rows of `input`. */
export async function meanAbs(g: GraphIndex, names: readonly string[], input: Batch, chunk = 32): Promise<Map<string, Float64Array>> {
  const session = await tapSession(g.model, names);
  const sums = new Map<string, { s: Float64Array; n: number }>();
  await runChunks(session, input, chunk, (outs, rows) => {
    for (const name of names) {
      const o = outs[name];
      if (!o) continue;
      const C = o.dims[1]!;
      const inner = o.dims.slice(2).reduce((a, b) => a * b, 1);
      const acc = sums.get(name) ?? { s: new Float64Array(C), n: 0 };
      for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) {
        let t = 0;
        const base = (r * C + c) * inner;
        for (let k = 0; k < inner; k++) t += Math.abs(o.data[base + k]!);
        acc.s[c]! += t;
      }
      acc.n += rows * inner;
      sums.set(name, acc);
    }
  });
  await session.release();
  return new Map([...sums].map(([k, v]) => [k, v.s.map((x) => x / v.n)]));
}

/** L2 norm of each channel's slice of a weight. */
export function sliceNorms(g: GraphIndex, s: ChannelSlice, channels: number): Float64Array {
  const t = g.inits.get(s.tensor)!;
  const data = floats(t);
  const outer = t.dims.slice(0, s.axis).reduce((a, b) => a * b, 1);
  const inner = t.dims.slice(s.axis + 1).reduce((a, b) => a * b, 1);
  const along = t.dims[s.axis]!;
  const out = new Float64Array(channels);
  for (let o = 0; o < outer; o++) for (let r = 0; r < along; r++) {
    const c = Math.floor(r / s.block);
    for (let k = 0; k < inner; k++) out[c]! += data[(o * along + r) * inner + k]! ** 2;
  }
  return out.map(Math.sqrt);
}

/** Activation × outgoing-weight scores for every space that is not frozen. */
export async function activationImportance(g: GraphIndex, spaces: readonly ChannelSpace[], input: Batch): Promise<Map<number, Float64Array>> {
  const open = spaces.filter((s) => !s.frozen);
  const taps = [...new Set(open.flatMap((s) => s.consumed.map((c) => c.input)))];
  const stats = await meanAbs(g, taps, input);
  return new Map(open.map((s) => {
    const score = new Float64Array(s.size);
    for (const c of s.consumed) {
      const a = stats.get(c.input);
      const w = sliceNorms(g, c.weight, s.size);
      for (let i = 0; i < s.size; i++) score[i]! += (a?.[i] ?? 0) * w[i]!;
    }
    return [s.id, score];
  }));
}

/** Channels left after removing `ratio` of `size`: at least 1, and a multiple of 4 from 16 up (SIMD lanes). */
export function keptCount(size: number, ratio: number): number {
  const k = Math.max(1, Math.round(size * (1 - ratio)));
  return size >= 16 ? Math.min(size, Math.ceil(k / 4) * 4) : k;
}

/** The highest-scoring `keptCount` channels of each scored space, sorted; ties keep the lower index. */
export function chooseKeep(spaces: readonly ChannelSpace[], scores: ReadonlyMap<number, Float64Array>, ratio: number): Map<number, number[]> {
  const keep = new Map<number, number[]>();
  for (const s of spaces) {
    const score = scores.get(s.id);
    if (!score || s.frozen) continue;
    const order = Array.from({ length: s.size }, (_, i) => i).sort((a, b) => score[b]! - score[a]! || a - b);
    keep.set(s.id, order.slice(0, keptCount(s.size, ratio)).sort((a, b) => a - b));
  }
  return keep;
}
