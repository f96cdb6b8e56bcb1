/**
 * `npx tsx tools/compress/passes/fp16-kernels.ts`: finds which ops lack an fp16 kernel in the onnxruntime 1.30
 * CPU provider by trying: one fp16 node per op, session created with the optimized graph dumped; where the
 * runtime inserted Casts around the node, the op has no fp16 kernel. The result is the table in fp16.ts.
 */
import * as ort from 'onnxruntime-node';
import { encodeModel, readModel } from '../../onnx/io.js';
import { model, node, valueInfo } from '../../onnx/build.js';
import { tmpdir } from 'node:os';
const H = 10; const x4 = [1, 4, 8, 8];
const cases: [string, string[], Record<string, any>, number[][]][] = [
  ['Conv', ['x', 'w'], {}, [x4, [4, 4, 3, 3]]], ['ConvTranspose', ['x', 'w'], {}, [x4, [4, 4, 2, 2]]],
  ['BatchNormalization', ['x', 's', 'b', 'm', 'v'], {}, [x4, [4], [4], [4], [4]]],
  ['Add', ['x', 'y'], {}, [x4, x4]], ['Sub', ['x', 'y'], {}, [x4, x4]], ['Mul', ['x', 'y'], {}, [x4, x4]], ['Div', ['x', 'y'], {}, [x4, x4]],
  ['Pow', ['x', 'y'], {}, [x4, x4]], ['Sqrt', ['x'], {}, [x4]], ['Relu', ['x'], {}, [x4]], ['Sigmoid', ['x'], {}, [x4]], ['Tanh', ['x'], {}, [x4]], ['Erf', ['x'], {}, [x4]],
  ['HardSigmoid', ['x'], {}, [x4]], ['Clip', ['x', 'lo', 'hi'], {}, [x4, [], []]],
  ['GlobalAveragePool', ['x'], {}, [x4]], ['MaxPool', ['x'], { kernel_shape: [2, 2] }, [x4]], ['AveragePool', ['x'], { kernel_shape: [2, 2] }, [x4]],
  ['MatMul', ['x', 'y'], {}, [[4, 8], [8, 4]]], ['Gemm', ['x', 'y', 'b'], {}, [[4, 8], [8, 4], [4]]],
  ['Softmax', ['x'], {}, [x4]], ['ReduceMean', ['x'], { axes: [-1] }, [x4]], ['Transpose', ['x'], {}, [x4]],
  ['LayerNormalization', ['x', 's', 'b'], { axis: -1 }, [x4, [8], [8]]],
  ['Resize', ['x', '', 'sc'], { mode: 'nearest' }, [x4, [], [4]]], ['Concat', ['x', 'y'], { axis: 1 }, [x4, x4]],
  ['Neg', ['x'], {}, [x4]], ['Exp', ['x'], {}, [x4]], ['Where', ['c', 'x', 'y'], {}, [x4, x4, x4]], ['Gather', ['x', 'i'], {}, [x4, [2]]],
];
const missing: string[] = [];
for (const [op, ins, attrs, shapes] of cases) {
  const inputs = ins.map((n, i) => n === '' ? null : valueInfo(n, n === 'sc' ? 1 : n === 'c' ? 9 : n === 'i' ? 7 : H, shapes[i]!)).filter(Boolean) as any[];
  const g = { name: 'g', node: [node(op, ins, ['out'], 'n', attrs)], initializer: [], input: inputs, output: [{ name: 'out', type: { tensor_type: { elem_type: H } } } as any] };
  const m = model(g as any, 't'); m.opset_import = [{ domain: '', version: 13 }];
  if (op === 'ReduceMean' || op === 'LayerNormalization') m.opset_import = [{ domain: '', version: 17 }];
  const out = `${tmpdir()}/opt-${op}.onnx`;
  try {
    await ort.InferenceSession.create(encodeModel(m), { graphOptimizationLevel: 'basic', optimizedModelFilePath: out });
    const opt = readModel(out);
    const casts = opt.graph.node.filter((n) => n.op_type === 'Cast').length;
    console.log(op, casts ? `NO fp16 kernel (${casts} casts inserted)` : 'fp16 kernel');
    if (casts) missing.push(op);
  } catch (e) { console.log(op, 'ERR', String(e).slice(0, 120)); }
}
console.log(JSON.stringify(missing));
