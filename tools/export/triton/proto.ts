/**
 * Triton's ModelConfig message, from the committed descriptor of its model_config.proto
 * (schemas/triton/model_config.binpb, built by `npm run export:proto`), through @bufbuild/protobuf: the
 * export writes config.pbtxt by building the message from its proto3 JSON form (unknown fields and wrong
 * types are errors there) and printing it in text format; the tests read each file back with the strict
 * text-format parser (unknown fields, repeated singular fields, negative unsigned values are errors), the
 * same grammar Triton's own parser (protobuf's TextFormat) reads.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DescMessage, JsonValue } from '@bufbuild/protobuf';
import { createFileRegistry, fromBinary, fromJson, toJson } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { fromText, toText } from '@bufbuild/protobuf/txtpb';

export const SCHEMA_DIR = join(dirname(fileURLToPath(import.meta.url)), '../schemas/triton');

let modelConfig: DescMessage | undefined;

/** `inference.ModelConfig`, loaded once from the committed descriptor. */
export function modelConfigSchema(): DescMessage {
  if (!modelConfig) {
    const set = fromBinary(FileDescriptorSetSchema, readFileSync(join(SCHEMA_DIR, 'model_config.binpb')));
    const found = createFileRegistry(set).getMessage('inference.ModelConfig');
    if (!found) throw new Error('model_config.binpb has no inference.ModelConfig');
    modelConfig = found;
  }
  return modelConfig;
}

/**
 * A ModelConfig in proto3 JSON form (camelCase keys, 64-bit integers as strings or numbers, enums by name) as
 * text format, with `comment` lines on top. Throws on a field or value the proto does not have.
 */
export function toPbtxt(config: JsonValue, comment: string[] = []): string {
  const schema = modelConfigSchema();
  const text = toText(schema, fromJson(schema, config));
  return comment.map((line) => `# ${line}`.trimEnd()).join('\n') + (comment.length ? '\n' : '') + text;
}

/** Parses config.pbtxt strictly and answers its proto3 JSON form (defaults left out, as Triton reads them). */
export function parsePbtxt(text: string): TritonModelConfig {
  const schema = modelConfigSchema();
  return toJson(schema, fromText(schema, text)) as unknown as TritonModelConfig;
}

/** The parts of ModelConfig's JSON form the export writes and the tests read back. */
export interface TritonTensor {
  name: string;
  dataType: string;
  dims?: string[];
  labelFilename?: string;
}

export interface TritonModelConfig {
  name: string;
  platform?: string;
  versionPolicy?: { specific?: { versions?: string[] }; latest?: unknown; all?: unknown };
  maxBatchSize?: number;
  input?: TritonTensor[];
  output?: TritonTensor[];
  dynamicBatching?: {
    maxQueueDelayMicroseconds?: string;
    priorityLevels?: string;
    defaultPriorityLevel?: string;
    defaultQueuePolicy?: { timeoutAction?: string; defaultTimeoutMicroseconds?: string; allowTimeoutOverride?: boolean };
  };
  instanceGroup?: { count?: number; kind?: string }[];
  parameters?: Record<string, { stringValue?: string }>;
}
