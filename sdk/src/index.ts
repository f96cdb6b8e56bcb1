/**
 * edge-infer: the gateway's client SDK for browsers and Node. `createClient({ baseUrl })` then
 * `infer(model, inputs, { sloMs })`: runs on the device when the gateway's plan says so, else at the edge.
 */
export { createClient } from './client.js';
export type { ClientOptions, EdgeInferClient } from './client.js';
export { cacheStorage, memoryCache, DEFAULT_CACHE_NAME } from './artifact-cache.js';
export type { ArtifactCache, CachedArtifact } from './artifact-cache.js';
export { IntegrityError, sha256Hex } from './artifact.js';
export type { OrtLike } from './device.js';
export { readDeviceHints, planQuery } from './hints.js';
export { GatewayError } from './v2.js';
export type { Datatype, DeviceCandidate, DeviceHints, DevicePlan, InferOptions, InferResult, Tensor, TensorData, TensorInput, PlanProfile, Timings } from './types.js';
