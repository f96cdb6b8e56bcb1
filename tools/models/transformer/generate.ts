/**
 * Writes the fp32/fp16/int8(/int8w) files of a synthetic transformer into a folder (each atomically) and returns
 * their sizes and sha256. Used by `npm run models:transformer` (which then measures them) and by
 * `npm run models` (which only checks them against the committed manifest).
 */
import { join } from 'node:path';
import type { Precision } from '../../../src/registry/manifest.js';
import { sha256 } from '../../lib/sha256.js';
import { writeModel } from '../../onnx/io.js';
import { toUniformFp16 } from '../../compress/passes/uniform-fp16.js';
import { toUniformInt8 } from '../../compress/passes/uniform-int8.js';
import { toWeightOnlyInt8 } from '../../compress/passes/int8-weight-only.js';
import type { TransformerConfig } from './config.js';
import { buildTransformer } from './graph.js';

/** Size and digest of one written variant file. */
export interface WrittenVariant {
  file: string;
  bytes: number;
  sha256: string;
}

/** Generates the requested variants of `config` into `dir`. */
export function generateTransformer(config: TransformerConfig, dir: string, variants: readonly string[] = ['fp32', 'fp16', 'int8']): Record<string, WrittenVariant> {
  const fp32 = buildTransformer(config);
  const make = { fp32: () => fp32, fp16: () => toUniformFp16(fp32), int8: () => toUniformInt8(fp32), int8w: () => toWeightOnlyInt8(fp32).model };
  const out: Record<string, WrittenVariant> = {};
  for (const name of variants) {
    if (!Object.hasOwn(make, name)) throw new Error(`the transformer generator makes ${Object.keys(make).join(', ')}, not '${name}'`);
    const file = `${name}.onnx`;
    const bytes = writeModel(join(dir, file), make[name as Precision]());
    out[name] = { file, bytes: bytes.length, sha256: sha256(bytes) };
  }
  return out;
}
