/**
 * The runtime start's probe graph is a real ONNX model: onnxruntime-node (the origin's runtime, same API as
 * onnxruntime-web) opens it and runs it, and RuntimeStart reports the runtime up only after it ran.
 */
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { OrtModule } from '../../src/engine/ort-session.js';
import { identityModel, RuntimeStart } from '../../src/engine/runtime-start.js';

describe('runtime start', () => {
  it('builds a one-node Identity graph that onnxruntime opens and runs', async () => {
    const session = await ort.InferenceSession.create(identityModel());
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y']);
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array([3.5]), [1]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([3.5]);
    await session.release();
  });

  it('is ready only once the probe session ran, and starts once however often it is asked', async () => {
    let opened = 0;
    const counting = { ...ort, InferenceSession: { create: (bytes: Uint8Array) => (opened++, ort.InferenceSession.create(bytes)) } } as unknown as OrtModule;
    const start = new RuntimeStart(counting);
    expect(start.ready()).toBe(false);
    await Promise.all([start.start(), start.start()]);
    await start.start();
    expect(start.ready()).toBe(true);
    expect(opened).toBe(1);
  });

  it('stays not ready when the probe session fails', async () => {
    const failing = { ...ort, InferenceSession: { create: () => Promise.reject(new Error('no runtime')) } } as unknown as OrtModule;
    const start = new RuntimeStart(failing);
    await expect(start.start()).rejects.toThrow('no runtime');
    expect(start.ready()).toBe(false);
  });
});
