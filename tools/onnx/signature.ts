/**
 * A model's signature (its graph's inputs and outputs: names, element types, dims) read from an .onnx file
 * without loading its weights: the protobuf wire format is walked with positioned reads, length-delimited
 * fields are skipped by their length, and only the graph's `input`, `output` and initializer names are
 * decoded. transformer-large's fp32 file is 435 MB; its signature is a few hundred bytes, read in
 * milliseconds (readModel would decode every weight first).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { modelProtoType } from './schema.js';
import type { ValueInfoProto } from './types.js';

/** One graph input or output: its ONNX element type code and dims (a number, or the dim_param's name, or null). */
export interface TensorSignature {
  name: string;
  elemType: number;
  dims: (number | string | null)[];
}

export interface ModelSignature {
  inputs: TensorSignature[];
  outputs: TensorSignature[];
}

/** Field numbers (onnx.proto): ModelProto.graph, GraphProto.initializer/input/output, TensorProto.name. */
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const TENSOR_NAME = 8;

/** Reads varints and byte ranges of an open file at given offsets. */
class FileBytes {
  private readonly scratch = Buffer.alloc(10);
  constructor(private readonly fd: number, readonly size: number) {}

  varint(at: number): { value: number; next: number } {
    const n = readSync(this.fd, this.scratch, 0, 10, at);
    let value = 0;
    for (let i = 0; i < n; i++) {
      const b = this.scratch[i]!;
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) return { value, next: at + i + 1 };
    }
    throw new Error(`malformed varint at byte ${at}`);
  }

  bytes(at: number, length: number): Uint8Array {
    const out = Buffer.alloc(length);
    if (readSync(this.fd, out, 0, length, at) !== length) throw new Error(`file ends inside a field at byte ${at}`);
    return out;
  }
}

/** Every field of the message in [start, end): its number, wire type, and (length-delimited) its payload range. */
function* fields(f: FileBytes, start: number, end: number): Generator<{ field: number; wire: number; at: number; length: number }> {
  let at = start;
  while (at < end) {
    const tag = f.varint(at);
    const field = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    at = tag.next;
    if (wire === 0) {
      at = f.varint(at).next;
    } else if (wire === 1) {
      at += 8;
    } else if (wire === 5) {
      at += 4;
    } else if (wire === 2) {
      const len = f.varint(at);
      yield { field, wire, at: len.next, length: len.value };
      at = len.next + len.value;
    } else {
      throw new Error(`unsupported wire type ${wire} at byte ${at}`);
    }
    if (at > end) throw new Error(`field ${field} runs past its message (byte ${at} > ${end})`);
  }
}

function signatureOf(v: ValueInfoProto): TensorSignature {
  const t = v.type?.tensor_type;
  return {
    name: v.name,
    elemType: t?.elem_type ?? 0,
    dims: (t?.shape?.dim ?? []).map((d) => (d.dim_value !== undefined && d.dim_value !== null ? Number(d.dim_value) : d.dim_param ? d.dim_param : null)),
  };
}

/**
 * The top-level graph's inputs (initializers listed as inputs left out, as onnxruntime does) and outputs of
 * the .onnx file at `path`.
 */
export function readSignature(path: string): ModelSignature {
  const fd = openSync(path, 'r');
  try {
    const f = new FileBytes(fd, statSync(path).size);
    const graph = [...fields(f, 0, f.size)].find((x) => x.field === MODEL_GRAPH && x.wire === 2);
    if (!graph) throw new Error(`${path}: no graph`);
    const valueInfo = modelProtoType().root.lookupType('onnx.ValueInfoProto');
    const decode = (at: number, length: number) => valueInfo.toObject(valueInfo.decode(f.bytes(at, length)), { longs: Number, arrays: true }) as ValueInfoProto;
    const inputs: TensorSignature[] = [];
    const outputs: TensorSignature[] = [];
    const initializers = new Set<string>();
    for (const x of fields(f, graph.at, graph.at + graph.length)) {
      if (x.field === GRAPH_INPUT) inputs.push(signatureOf(decode(x.at, x.length)));
      else if (x.field === GRAPH_OUTPUT) outputs.push(signatureOf(decode(x.at, x.length)));
      else if (x.field === GRAPH_INITIALIZER) {
        const name = [...fields(f, x.at, x.at + x.length)].find((t) => t.field === TENSOR_NAME);
        if (name) initializers.add(new TextDecoder().decode(f.bytes(name.at, name.length)));
      }
    }
    return { inputs: inputs.filter((i) => !initializers.has(i.name)), outputs };
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`, { cause: e });
  } finally {
    closeSync(fd);
  }
}
