/**
 * Training through the ONNX-as-TensorFlow.js executor on the WASM backend: it computes what onnxruntime
 * computes, a pruned classifier fine-tuned by distillation wins back the agreement pruning cost, the same
 * seed gives the same weights, and a student built from a spec learns its teacher.
 */
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../../tools/onnx/io.js';
import { indexGraph } from '../../tools/prune/graph.js';
import { pruneChannels, distil, profileShapes } from '../../tools/prune/pipeline.js';
import { channelSpaces } from '../../tools/prune/spaces.js';
import { taylorImportance } from '../../tools/prune/taylor.js';
import { collect, type Batch } from '../../tools/prune/taps.js';
import { trainable } from '../../tools/train/executor.js';
import { buildStudent } from '../../tools/train/student.js';
import { loadTf } from '../../tools/train/tf.js';
import { cnn, mlp, rows } from '../prune/graphs.js';
import type { ModelProto } from '../../tools/onnx/types.js';

const argmax = (b: Batch, i: number) => { const k = b.dims[1]!; let best = 0; for (let c = 1; c < k; c++) if (b.data[i * k + c]! > b.data[i * k + best]!) best = c; return best; };
const agreement = (a: Batch, b: Batch) => Array.from({ length: a.dims[0]! }, (_, i) => argmax(a, i) === argmax(b, i)).filter(Boolean).length / a.dims[0]!;

describe('the trainable executor', () => {
  it('computes what onnxruntime computes for a CNN with BatchNorm, depthwise, Clip, residual and Flatten into Gemm', async () => {
    const tf = await loadTf('wasm');
    const m = cnn();
    const x = rows(4, 108);
    const g = trainable(tf, m);
    const ours = tf.tidy(() => g.run(tf.tensor(x, [4, 3, 6, 6])).output.dataSync());
    const ref = (await collect(m, 'logits', { dims: [4, 3, 6, 6], data: x })).data;
    expect(Array.from(ours).reduce((d, v, i) => Math.max(d, Math.abs(v - ref[i]!)), 0)).toBeLessThan(1e-4);
    expect(encodeModel(await g.write())).toEqual(encodeModel(m));
    g.release();
  });
});

describe('Taylor importance', () => {
  it('scores channels nothing reads 0 and the others above 0, in a CNN with a residual set', async () => {
    const tf = await loadTf('wasm');
    const m = cnn({ trunk: [1, 4], head: [2] });
    const x = { dims: [16, 3, 6, 6], data: rows(16, 108) };
    const spaces = channelSpaces(indexGraph(m), (await profileShapes(m, x)).dims);
    const scores = taylorImportance(tf, m, spaces, x, undefined, 8);
    const trunk = scores.get(spaces.find((s) => s.tensors.includes('r1'))!.id)!;
    const head = scores.get(spaces.find((s) => s.tensors.includes('r3'))!.id)!;
    expect([trunk[1], trunk[4], head[2]]).toEqual([0, 0, 0]);
    expect([0, 2, 3, 5, 6, 7].every((c) => trunk[c]! > 0)).toBe(true);
  });
});

describe('distillation', () => {
  // A 4-class task whose labels are the teacher's own answers on seeded inputs.
  const teacher = mlp([16, 64, 4], [], 5);
  // Centred inputs: with all-positive ones a random MLP's answer hangs on a handful of units.
  const train = { dims: [4096, 16], data: rows(4096, 16, 7).map((v) => 2 * v - 1) };
  const held = { dims: [512, 16], data: rows(512, 16, 8).map((v) => 2 * v - 1) };
  const settings = { epochs: 20, batch: 64, lr: 3e-3, seed: 1, alpha: 0, temperature: 2 };

  it('wins back the agreement that pruning three quarters of the hidden units cost', async () => {
    const tf = await loadTf('wasm');
    const [teacherTrain, teacherHeld] = [await collect(teacher, 'logits', train), await collect(teacher, 'logits', held)];
    const { model: pruned } = await pruneChannels(teacher, train, 0.75, 'joint');
    const before = agreement(teacherHeld, await collect(pruned, 'logits', held));
    const { model: tuned, epochLoss } = await distil(tf, pruned, train, teacherTrain, settings);
    const after = agreement(teacherHeld, await collect(tuned, 'logits', held));
    expect(epochLoss.at(-1)!).toBeLessThan(epochLoss[0]!);
    expect(before).toBeLessThan(0.8);
    expect(after).toBeGreaterThan(0.85);
    expect(after).toBeGreaterThan(before + 0.1);
  });

  it('gives the same weights for the same seed and others for another', async () => {
    const tf = await loadTf('wasm');
    const teacherTrain = await collect(teacher, 'logits', train);
    const { model: pruned } = await pruneChannels(teacher, train, 0.5, 'joint');
    const run = async (seed: number) => encodeModel((await distil(tf, pruned, train, teacherTrain, { ...settings, epochs: 2, seed })).model);
    const [a, b, c] = [await run(3), await run(3), await run(4)];
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
  });

  it('builds a CNN student from a spec that onnxruntime runs and the executor matches', async () => {
    const tf = await loadTf('wasm');
    const t = cnn();
    const student = buildStudent('cnn:c4s2-d-p-c6-g', { input: t.graph.input[0]!, output: t.graph.output[0]!, sample: [3, 6, 6], classes: 5, softmax: true }, 2);
    expect(student.graph.node.map((n) => n.op_type)).toEqual(['Conv', 'BatchNormalization', 'Relu', 'Conv', 'BatchNormalization', 'Relu', 'MaxPool', 'Conv', 'BatchNormalization', 'Relu', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Softmax']);
    const x = { dims: [3, 3, 6, 6], data: rows(3, 108) };
    const ref = await collect(student, 'logits', x);
    expect(ref.dims).toEqual([3, 5]);
    const g = trainable(tf, student);
    const ours = tf.tidy(() => g.run(tf.tensor(x.data, x.dims)).output.dataSync());
    expect(Array.from(ours).reduce((d, v, i) => Math.max(d, Math.abs(v - ref.data[i]!)), 0)).toBeLessThan(1e-5);
    g.release();
    expect(() => buildStudent('cnn:c4-x', { input: t.graph.input[0]!, output: t.graph.output[0]!, sample: [3, 6, 6], classes: 5, softmax: true }, 2)).toThrow("token 'x' is not cN[sS], d[sS], p or g");
  });

  it('trains a student built from a spec, with the teacher input and output', async () => {
    const tf = await loadTf('wasm');
    const teacherTrain = await collect(teacher, 'logits', train);
    const student: ModelProto = buildStudent('mlp:16-32-4', { input: teacher.graph.input[0]!, output: teacher.graph.output[0]!, sample: [16], classes: 4, softmax: false }, 1);
    expect(student.graph.input).toEqual(teacher.graph.input);
    const untrained = agreement(await collect(teacher, 'logits', held), await collect(student, 'logits', held));
    const { model } = await distil(tf, student, train, teacherTrain, settings);
    const trained = agreement(await collect(teacher, 'logits', held), await collect(model, 'logits', held));
    expect(trained).toBeGreaterThan(0.8);
    expect(trained).toBeGreaterThan(untrained + 0.2);
  });
});
