/**
 * The SDK's public shapes: v2 tensors as the caller gives and gets them, the gateway's device plan (the
 * contract of `GET /v2/models/{model}/device`), and what every call reports: where it ran and why.
 */

export type Datatype = 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'FP64';

export type TensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | BigInt64Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigUint64Array;

/** An input as the caller gives it: flat data, typed or plain numbers. FP16 data is IEEE half bits (Uint16Array). */
export interface TensorInput {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData | number[] | boolean[];
}

/** An output: a flat typed array, the same kind whether it ran on the device or at the edge. */
export interface Tensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: TensorData;
}

/** The device plan, as the gateway answers it. */
export interface DevicePlan {
  model: string;
  version: string;
  target: 'device' | 'edge';
  variant: string | null;
  artifact: { url: string; bytes: number; sha256: string } | null;
  expected_ms: { device: number | null; download: number | null; device_run: number | null; edge: number | null };
  reason: string;
  hints: Record<string, unknown>;
}

/** What the device says about itself (Network Information API, Device Memory, UA Client Hints). */
export interface DeviceHints {
  device_memory?: number;
  ect?: string;
  downlink?: number;
  rtt?: number;
  save_data?: boolean;
  mobile?: boolean;
}

export interface Timings {
  /** Fetching the plan (0 when it came from the SDK's cache). */
  plan_ms: number;
  /** Downloading and verifying the variant (0 when cached). */
  download_ms: number;
  /** Creating the onnxruntime session (0 when already loaded). */
  load_ms: number;
  /** session.run on the device. */
  device_run_ms: number;
  /** The round trip to the gateway's infer route. */
  edge_ms: number;
  total_ms: number;
}

export interface InferResult {
  outputs: Tensor[];
  ranOn: 'device' | 'edge';
  /** The variant that answered: the plan's on the device, the gateway's `x-model-variant` at the edge. */
  variant: string | null;
  /** Why it ran there, in words: the plan's reason, or why the device path was left. */
  reason: string;
  timings: Timings;
  /** The plan this call followed, when one was available. */
  plan?: DevicePlan;
  /** What the gateway said when it answered: `x-served-by` (edge or origin) and `x-route-reason`. */
  gateway?: { servedBy: string | null; routeReason: string | null; requestId: string | null };
}

export interface InferOptions {
  /** The latency budget for this call (ms): sent to the plan and the gateway, and checked against the download. */
  sloMs?: number;
  signal?: AbortSignal;
  /** Send tensors to the gateway with the binary extension and ask for binary outputs. */
  binary?: boolean;
  /** Only these outputs. */
  outputs?: string[];
}
