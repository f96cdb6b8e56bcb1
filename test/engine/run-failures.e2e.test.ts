/**
 * Whose fault a failed run is, with real models on onnxruntime-node (the origin's engine): input the model
 * refuses is the caller's (422, one cleaned line, only that request fails even inside a batch), work whose
 * deadline passed or whose caller left is never run, and the origin answers all of it over HTTP the same way.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsStore } from '../../origin/fs-store.js';
import { startOrigin, type RunningOrigin } from '../../origin/server.js';
import type { BackendRequest } from '../../src/backend.js';
import { OrtEngine, servingSideFault, type OrtModule } from '../../src/engine/ort-engine.js';
import { DeadlineExceeded, ModelRejectedInput } from '../../src/errors.js';
import type { Tensor } from '../../src/protocol/tensor.js';
import { Registry } from '../../src/registry/registry.js';
import { readManifests } from '../../tools/lib/manifests.js';

const registry = new Registry(readManifests('models'));
const small = registry.get('transformer-small');
/** transformer-small: vocabulary 8192, 128 positions (tools/models/transformer/config.ts). */
const VOCAB = 8192;

function tokens(ids: number[]): Tensor[] {
  return [
    { name: 'input_ids', datatype: 'INT64', shape: [1, ids.length], data: BigInt64Array.from(ids.map(BigInt)) },
    { name: 'attention_mask', datatype: 'INT64', shape: [1, ids.length], data: BigInt64Array.from(ids.map(() => 1n)) },
  ];
}

const valid = (i: number) => tokens([101, 7 + i, 8, 102]);
const poisoned = () => tokens([101, VOCAB + 5, 8, 102]);

function ask(inputs: Tensor[], extra: Partial<BackendRequest> = {}): BackendRequest {
  return { model: small, variant: 'fp32', request: { inputs, parameters: {} }, batching: { maxBatch: 32, maxDelayMs: 20 }, slackMs: 20, ...extra };
}

describe('the engine', () => {
  const engine = new OrtEngine({ ort: ort as unknown as OrtModule, store: new FsStore('models'), dropPastDeadline: true });

  it('answers a token id beyond the vocabulary with a one-line 422, and serves its batch neighbours', async () => {
    await engine.warm(small, 'fp32');
    const alone = await engine.infer(ask(valid(0)));
    // Every session.run, its batch size and whether it failed: the poisoned batch must have been tried whole.
    const session = await engine.session(small, 'fp32');
    const run = session.run.bind(session);
    const runs: { rows: number; ok: boolean }[] = [];
    (session as { run: unknown }).run = async (feeds: Record<string, { dims: readonly number[] }>, ...rest: unknown[]) => {
      const rows = feeds['input_ids']!.dims[0]!;
      try {
        const out = await (run as (...a: unknown[]) => Promise<unknown>)(feeds, ...rest);
        runs.push({ rows, ok: true });
        return out;
      } catch (e) {
        runs.push({ rows, ok: false });
        throw e;
      }
    };
    const settled = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => engine.infer(ask(i % 4 === 1 ? poisoned() : valid(i % 4 === 0 ? 0 : i)))));
    (session as { run: unknown }).run = run;
    expect(runs.some((r) => !r.ok && r.rows > 1), JSON.stringify(runs)).toBe(true);
    settled.forEach((s, i) => {
      if (i % 4 === 1) {
        expect(s.status).toBe('rejected');
        const err = (s as PromiseRejectedResult).reason as ModelRejectedInput;
        expect(err).toBeInstanceOf(ModelRejectedInput);
        expect(err.status).toBe(422);
        expect(err.unproven).toBe(false);
        expect(err.message).toMatch(/^model 'transformer-small' rejected the input: /);
        expect(err.message).not.toMatch(/\n|onnxruntime_src|\.cc:|Name:'/);
        expect(err.message.length).toBeLessThan(300);
      } else {
        expect(s.status, String((s as PromiseRejectedResult).reason)).toBe('fulfilled');
      }
    });
    // Same input, same answer, whichever batch it ran in.
    const again = (settled[0] as PromiseFulfilledResult<Awaited<ReturnType<OrtEngine['infer']>>>).value;
    expect(Array.from(again.outputs[0]!.data as Float32Array)).toEqual(Array.from(alone.outputs[0]!.data as Float32Array));
  });

  it('refuses a sequence longer than the model\'s positions as the caller\'s (422)', async () => {
    const err = await engine.infer(ask(tokens(Array.from({ length: 200 }, (_, i) => 100 + i)))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelRejectedInput);
  });

  it('marks a refusal by a variant that never answered in this process as unproven', async () => {
    const fresh = new OrtEngine({ ort: ort as unknown as OrtModule, store: new FsStore('models') });
    const err = await fresh.infer(ask(poisoned(), { variant: 'int8' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelRejectedInput);
    expect((err as ModelRejectedInput).unproven).toBe(true);
  });

  it('never starts a run whose deadline has already passed (504)', async () => {
    const err = await engine.infer(ask(valid(1), { deadline: Date.now() - 1 })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineExceeded);
    expect((err as DeadlineExceeded).status).toBe(504);
  });

  it('drops a request whose caller has left (499)', async () => {
    const gone = new AbortController();
    gone.abort();
    const err = await engine.infer(ask(valid(1), { signal: gone.signal })).catch((e: unknown) => e);
    expect((err as { status?: number }).status).toBe(499);
  });
});

describe('servingSideFault', () => {
  it.each([
    { name: 'a WASM trap', cause: new WebAssembly.RuntimeError('memory access out of bounds'), fault: true },
    { name: 'an Emscripten abort', cause: new Error('Aborted(OOM). Build with -sASSERTIONS for more info.'), fault: true },
    { name: 'an allocation the isolate could not make', cause: new RangeError('Array buffer allocation failed'), fault: true },
    { name: 'onnxruntime refusing an index', cause: new Error("Non-zero status code returned while running Gather node. Name:'e' Status Message: indices element out of data bounds"), fault: false },
    { name: 'onnxruntime refusing a broadcast', cause: new Error('Non-zero status code returned while running Add node. Status Message: BroadcastIterator::Append axis == 1 || axis == largest was false.'), fault: false },
  ])('calls $name the serving side\'s: $fault', ({ cause, fault }) => {
    expect(servingSideFault(cause)).toBe(fault);
  });
});

describe('the origin over HTTP', () => {
  const TOKEN = 'run-failures-secret';
  let origin: RunningOrigin;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'origin-models-'));
    symlinkSync(resolve('models/transformer-small'), join(dir, 'transformer-small'));
    origin = await startOrigin({ port: 0, host: '127.0.0.1', modelsDir: dir, token: TOKEN });
  });

  afterAll(async () => {
    await origin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (inputs: Tensor[]) =>
    fetch(`${origin.url}/v2/models/transformer-small/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, data: Array.from(t.data as BigInt64Array, Number) })) }),
    });

  it('answers refused input 422 with a cleaned one-line error while valid neighbours get 200', async () => {
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => post(i % 5 === 2 ? poisoned() : valid(i))));
    for (const [i, res] of responses.entries()) {
      const body = (await res.json()) as { error?: string };
      if (i % 5 === 2) {
        expect(res.status).toBe(422);
        expect(body.error).toMatch(/rejected the input/);
        expect(body.error).not.toMatch(/\n|onnxruntime_src|\.cc:/);
      } else {
        expect(res.status, body.error).toBe(200);
      }
    }
  });
});
