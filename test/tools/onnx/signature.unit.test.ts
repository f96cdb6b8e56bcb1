/** Reading a model's inputs and outputs without decoding its weights (tools/onnx/signature.ts). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { floatTensor, model, node, valueInfo } from '../../../tools/onnx/build.js';
import { encodeModel, readModel } from '../../../tools/onnx/io.js';
import { readSignature } from '../../../tools/onnx/signature.js';
import { DataType } from '../../../tools/onnx/types.js';

const dir = mkdtempSync(join(tmpdir(), 'signature-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readSignature', () => {
  it('reads what the full decoder reads from a real model: names, element types, dims', () => {
    const full = readModel('models/mnist/fp32.onnx').graph;
    const sig = readSignature('models/mnist/fp32.onnx');
    const dims = (v: (typeof full.input)[number]) => v.type.tensor_type.shape.dim.map((d) => d.dim_value ?? d.dim_param);
    expect(sig.inputs).toEqual(full.input.map((v) => ({ name: v.name, elemType: v.type.tensor_type.elem_type, dims: dims(v) })));
    expect(sig.outputs).toEqual(full.output.map((v) => ({ name: v.name, elemType: v.type.tensor_type.elem_type, dims: dims(v) })));
    expect(sig.inputs).toEqual([{ name: 'input', elemType: DataType.FLOAT, dims: ['batch', 784] }]);
  });

  it('leaves out initializers a model also lists as inputs (IR < 4 style), as onnxruntime does', () => {
    const m = model(
      {
        name: 'g',
        node: [node('MatMul', ['x', 'W'], ['y'], 'mm')],
        initializer: [floatTensor('W', [3, 2], new Float32Array(6))],
        input: [valueInfo('x', DataType.FLOAT, ['n', 3]), valueInfo('W', DataType.FLOAT, [3, 2])],
        output: [valueInfo('y', DataType.FLOAT, ['n', 2])],
      },
      'initializer as input',
    );
    const path = join(dir, 'w.onnx');
    writeFileSync(path, encodeModel(m));
    expect(readSignature(path)).toEqual({ inputs: [{ name: 'x', elemType: 1, dims: ['n', 3] }], outputs: [{ name: 'y', elemType: 1, dims: ['n', 2] }] });
  });

  it('names the file when it is not a model', () => {
    const path = join(dir, 'bad.onnx');
    writeFileSync(path, Buffer.from([0x3a, 0x7f, 0x01]));
    expect(() => readSignature(path)).toThrow(/bad\.onnx: /);
  });
});
