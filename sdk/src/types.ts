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

/**
 * The device plan, as the gateway answers it (`routes/v2/device-schemas.ts`, DevicePlanBody; a type test in
 * test/sdk/ fails `npm run typecheck` when the two differ). Variant names are strings here: a gateway may
 * offer a variant this SDK has not heard of.
 */
export interface DevicePlan {
  model: string;
  version: string;
  target: 'device' | 'edge';
  /** The device variant (target device), else the one the gateway would run at the edge; null: the origin. */
  variant: string | null;
  /** The file to download and verify (a versioned, immutable path on the gateway); null when target is edge. */
  artifact: { url: string; bytes: number; sha256: string } | null;
  /** `device` = `download` + `device_run` (the first call); `edge`: network + gateway + compute, per call. */
  expected_ms: { device: number | null; download: number | null; device_run: number | null; edge: number | null };
  /** Why device or edge, with the numbers. */
  reason: string;
  /** The SLO the plan was made for (the query's `slo_ms`, else the model's policy). */
  slo_ms: number;
  /** The device profile the gateway used, and where each part came from. */
  hints: PlanProfile;
  /** What the gateway itself would do for this client. */
  edge: { target: 'edge' | 'origin' | 'none'; variant: string | null };
  /** Every variant the gateway weighed, and why it was kept or dropped. */
  candidates: DeviceCandidate[];
}

export interface PlanProfile {
  rtt_ms: number;
  downlink_mbps: number;
  save_data: boolean;
  mobile: boolean;
  device_memory_gb: number | null;
  /** Client Hints headers that were read. */
  from_hints: string[];
  /** Query parameters (the SDK's hints) that overrode them. */
  from_query: string[];
  download_budget_bytes: number;
  device_speed_factor: number;
}

export interface DeviceCandidate {
  variant: string;
  fidelity: number;
  bytes: number;
  cached: boolean;
  /** Round trip + bytes over the downlink; 0 when cached. */
  download_ms: number;
  /** Session creation + one run on the device. */
  run_ms: number;
  /** One run alone: what each later call costs. */
  per_call_ms: number;
  /** download + run: the first call. */
  device_ms: number;
  /** The device may run it (policy, download budget, memory, a file to download), SLO aside. */
  runnable: boolean;
  kept: boolean;
  why: string;
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
