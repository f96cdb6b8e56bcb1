/**
 * Checks on a decoded request that protect the server rather than the wire format: float inputs must be
 * finite unless the model's policy allows otherwise (a NaN fed to a model comes back as `null` outputs and
 * a 200, hiding the client's bug), and the outputs the request would produce must fit the isolate, which is
 * estimated from the model's output shapes before anything runs and checked again on the real outputs.
 */
import { InvalidInput, PayloadTooLarge } from '../errors.js';
import type { TensorSpec } from './datatypes.js';
import type { Tensor } from './tensor.js';

/** 400 when a float input holds NaN or ±Infinity; the message names the input and the first bad element. */
export function refuseNonFinite(t: Tensor): void {
  if (t.datatype === 'FP16') {
    const bits = t.data as Uint16Array;
    // Exponent all ones: Infinity or NaN in IEEE half precision.
    const i = bits.findIndex((b) => (b & 0x7c00) === 0x7c00);
    if (i >= 0) throw nonFinite(t.name, i);
    return;
  }
  if (t.datatype !== 'FP32' && t.datatype !== 'FP64') return;
  const data = t.data as Float32Array | Float64Array;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) throw nonFinite(t.name, i);
}

function nonFinite(name: string, i: number): InvalidInput {
  return new InvalidInput(`input '${name}': element ${i} is NaN or infinite; the model's policy does not allow non-finite inputs (allow_non_finite)`);
}

/**
 * An upper estimate of the elements the outputs will have: fixed dimensions as declared, the batch axis as
 * the request's batch, and the product of an output's other dynamic dimensions bounded by the largest
 * product of dynamic dimensions among the inputs (an image's H x W, a sequence's length). Models whose
 * outputs grow faster than their inputs are caught after the run by `checkOutputElements`.
 */
export function estimateOutputElements(model: { outputs: readonly TensorSpec[]; batch_axis: boolean }, inputs: readonly Tensor[], specs: readonly TensorSpec[]): number {
  const batch = model.batch_axis ? (inputs[0]?.shape[0] ?? 1) : 1;
  let dynamicInput = 1;
  for (const t of inputs) {
    const spec = specs.find((s) => s.name === t.name);
    if (!spec) continue;
    let product = 1;
    spec.shape.forEach((d, i) => {
      if (d < 0 && !(model.batch_axis && i === 0)) product *= t.shape[i] ?? 1;
    });
    dynamicInput = Math.max(dynamicInput, product);
  }
  let total = 0;
  for (const o of model.outputs) {
    let fixed = 1;
    let dynamic = false;
    o.shape.forEach((d, i) => {
      if (model.batch_axis && i === 0) fixed *= batch;
      else if (d >= 0) fixed *= d;
      else dynamic = true;
    });
    total += fixed * (dynamic ? dynamicInput : 1);
  }
  return total;
}

/** 413 before running when the estimate passes the limit. */
export function checkOutputEstimate(estimate: number, limit: number): void {
  if (estimate > limit) {
    throw new PayloadTooLarge(`the outputs of this request would have about ${estimate} elements, over the limit of ${limit} (limits.max_output_elements); send a smaller input or batch`);
  }
}

/** 413 after running when the real outputs pass the limit: nothing that large is encoded or sent. */
export function checkOutputElements(outputs: readonly Tensor[], limit: number): void {
  const n = outputs.reduce((sum, t) => sum + t.data.length, 0);
  if (n > limit) throw new PayloadTooLarge(`the outputs of this request have ${n} elements, over the limit of ${limit} (limits.max_output_elements); send a smaller input or batch`);
}
