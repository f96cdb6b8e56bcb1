/**
 * Which float constants the fp16 variant must keep in fp32 because fp16 would change what they mean, not
 * just round them. The rule (README, "fp16 special constants"):
 *
 * - a finite value beyond ±65504 would be clamped (a Clip bound of 1e5 would start binding at 65504, a
 *   weight of 1e6 would shrink 15-fold): the tensor stays fp32, wherever it is read;
 * - a non-zero value that flushes to 0 (|v| < 2^-25) matters where the constant is a guard or a bound: an
 *   epsilon in `x / (y + 1e-10)` turns silence into 0/0 = NaN. Outside the weights of MatMul/Gemm/Conv
 *   (and Gather tables), a flushed value keeps its tensor fp32 when the tensor is small (at most 16 values:
 *   scalars and broadcast constants, which is what epsilons and bounds are), when every non-zero value of it
 *   flushes, or when it is read as a divisor, a Clip bound or a Max/Min operand. Big weight tensors where a
 *   few tiny values become 0 merely lose precision, and convert;
 * - ±Infinity and NaN convert exactly (fp16 has both), so they need nothing.
 *
 * Epsilons held in attributes (LayerNormalization, BatchNormalization `epsilon`) are never converted: the
 * passes only rewrite initializers.
 */
import { fromHalfBits, toHalfBits, FP16_MAX } from '../../onnx/float16.js';

/** Input slots that hold weights, where a flushed tiny value is lost precision rather than a changed meaning. */
const WEIGHT_SLOTS: Record<string, number[]> = { MatMul: [0, 1], Gemm: [0, 1, 2], Conv: [1, 2], ConvTranspose: [1, 2], Gather: [0], LSTM: [1, 2, 3], GRU: [1, 2, 3], RNN: [1, 2, 3] };

/** Input slots where a constant guards or bounds a value. */
const GUARD_SLOTS: Record<string, number[]> = { Div: [1], Clip: [1, 2], Max: [0, 1, 2, 3], Min: [0, 1, 2, 3] };

/** At most this many values: a scalar or broadcast constant (epsilon, bound), not a weight. */
const SMALL = 16;

/** One place a tensor is read: the reading node's op and the input slot. */
export interface Read {
  op: string;
  slot: number;
}

/** A constant left in fp32, with the reason, for the fp16 report and the manifest. */
export interface KeptConstant {
  tensor: string;
  reason: string;
}

const fmt = (v: number) => (Math.abs(v) >= 1e5 || Math.abs(v) < 1e-3 ? v.toExponential(3).replace(/\.?0+e/, 'e') : String(Number(v.toPrecision(4))));

/** Why `values` must stay fp32 given where the tensor is read, or undefined when fp16 is fine. */
export function fp32Reason(values: Float32Array, reads: readonly Read[]): string | undefined {
  let overflow: number | undefined;
  let flushed: number | undefined;
  let flushedCount = 0;
  let nonZero = 0;
  for (const v of values) {
    if (!Number.isFinite(v) || v === 0) continue;
    nonZero++;
    if (Math.abs(v) > FP16_MAX) overflow ??= v;
    else if (fromHalfBits(toHalfBits(v)) === 0) {
      flushed ??= v;
      flushedCount++;
    }
  }
  if (overflow !== undefined) return `${fmt(overflow)} is beyond the fp16 range (±65504) and would be clamped`;
  if (flushed === undefined) return undefined;
  const weightOnly = reads.length > 0 && reads.every((r) => WEIGHT_SLOTS[r.op]?.includes(r.slot));
  if (weightOnly) return undefined;
  const guard = reads.find((r) => GUARD_SLOTS[r.op]?.includes(r.slot));
  const where = guard ? `${guard.op} input ${guard.slot}` : reads.map((r) => r.op).filter((op, i, a) => a.indexOf(op) === i).join(', ');
  if (guard || values.length <= SMALL || flushedCount === nonZero) return `${fmt(flushed)} would flush to 0 in fp16 (read by ${where || 'a graph output'})`;
  return undefined;
}
