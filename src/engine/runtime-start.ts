/**
 * Starting onnxruntime-web's WASM runtime before any model is asked for, so an isolate's first edge answer
 * does not wait for it (bench/coldstart.ts measures what it saves). onnxruntime-web has no public "init":
 * the runtime starts with the first InferenceSession.create, so this opens a one-node graph (Identity on one
 * float, ~60 bytes built here), runs it once and releases it. Opening and running it also compiles the
 * runtime's session-create and run code, which V8 compiles lazily on first call.
 */
import type { OrtModule } from './ort-session.js';

/** Protobuf field: varint (wire type 0) or length-delimited (2). */
function field(no: number, value: number | string | Uint8Array): number[] {
  if (typeof value === 'number') return [no << 3, value];
  const bytes = typeof value === 'string' ? [...new TextEncoder().encode(value)] : [...value];
  return [(no << 3) | 2, bytes.length, ...bytes];
}

const msg = (...fields: number[][]) => new Uint8Array(fields.flat());

/** ONNX ModelProto: y = Identity(x), x and y float[1], IR 8, opset 13. */
export function identityModel(): Uint8Array {
  const type = msg(field(1, msg(field(1, 1), field(2, msg(field(1, msg(field(1, 1))))))));
  const value = (name: string) => msg(field(1, name), field(2, type));
  const node = msg(field(1, 'x'), field(2, 'y'), field(4, 'Identity'));
  const graph = msg(field(1, node), field(2, 'g'), field(11, value('x')), field(12, value('y')));
  return msg(field(1, 8), field(7, graph), field(8, msg(field(2, 13))));
}

/** The isolate's runtime start: begun once (`start`), on an isolate's first request, never at import time. */
export class RuntimeStart {
  private started?: Promise<void>;
  private up = false;

  constructor(private readonly ort: OrtModule) {}

  /** Starts the runtime (once); resolves when it is up, rejects if the probe session failed. */
  start(): Promise<void> {
    this.started ??= (async () => {
      const session = await this.ort.InferenceSession.create(identityModel());
      try {
        await session.run({ x: new this.ort.Tensor('float32', new Float32Array(1), [1]) });
      } finally {
        await session.release();
      }
      this.up = true;
    })();
    return this.started;
  }

  /** Whether the runtime is known to be up (the probe session ran). */
  ready(): boolean {
    return this.up;
  }
}
