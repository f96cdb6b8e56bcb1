/**
 * Tensors as they travel inside the gateway: a name, a v2 datatype, a shape and a flat typed array.
 * These are what backends take and give; JSON and binary fronts convert at the edges.
 */
import type { Datatype } from './datatypes.js';
import type { TensorData } from './datatypes.js';

export interface Tensor {
  name: string;
  datatype: Exclude<Datatype, 'BYTES'>;
  shape: number[];
  data: TensorData;
}

/** A decoded, validated inference request, ready for a backend. */
export interface InferenceRequest {
  id?: string;
  inputs: Tensor[];
  /** Names of the outputs to return; undefined means all. */
  outputs?: string[];
  /** Outputs to return as binary data (Triton's binary tensor extension). */
  binaryOutputs?: ReadonlySet<string>;
  /** Outputs to return as their top N classes (Triton's classification extension): name -> N. */
  classification?: ReadonlyMap<string, number>;
  parameters: Record<string, unknown>;
}

export interface InferenceResult {
  outputs: Tensor[];
}

/** Number of elements of a shape. */
export function elementCount(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}
