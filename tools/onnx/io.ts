/**
 * Reading and writing ONNX ModelProto files. Encoding is deterministic (protobufjs writes fields in schema
 * order), so the same model object always gives the same bytes, which is what lets `npm run models`
 * check generated variants against the sha256 in their committed manifest.
 */
import { readFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { modelProtoType } from './schema.js';
import type { ModelProto } from './types.js';

/** Serialises a model to protobuf bytes. */
export function encodeModel(model: ModelProto): Uint8Array {
  const type = modelProtoType();
  const err = type.verify(model);
  if (err) throw new Error(`invalid ModelProto: ${err}`);
  return type.encode(type.fromObject(model)).finish();
}

/** Parses protobuf bytes into a plain model object (int64 as number, bytes as Uint8Array). */
export function decodeModel(bytes: Uint8Array): ModelProto {
  const type = modelProtoType();
  return type.toObject(type.decode(bytes), { longs: Number, arrays: true, defaults: false }) as ModelProto;
}

/** Reads and parses an .onnx file. */
export function readModel(path: string): ModelProto {
  return decodeModel(readFileSync(path));
}

/**
 * Writes bytes atomically: to a temp file beside the target, then rename, so a reader (the gateway, a
 * concurrent `npm run models`) never sees a half-written model.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/** Encodes and atomically writes a model; returns its bytes for hashing. */
export function writeModel(path: string, model: ModelProto): Uint8Array {
  const bytes = encodeModel(model);
  writeFileAtomic(path, bytes);
  return bytes;
}
