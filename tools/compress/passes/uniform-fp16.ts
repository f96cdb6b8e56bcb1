/**
 * Uniform fp16, the synthetic transformer's fp16 variant (tools/models/transformer/generate.ts; the
 * compressor's own fp16 pass is fp16.ts): every FP32 initializer becomes FP16 (clamped to the fp16 range) and
 * the whole graph computes in fp16, with Cast nodes at the edges so graph inputs and outputs stay FP32, like
 * onnxconverter-common's `convert_float_to_float16(keep_io_types=True)`. Clients and the gateway never see
 * fp16 tensors. `If`/`Loop`/`Scan` subgraphs are converted too (their initializers, Casts and declared
 * float inputs and outputs become fp16): the whole computation is fp16, so a value crossing into or out of
 * a subgraph is an fp16 value.
 */
import { halfTensor, node } from '../../onnx/build.js';
import { toHalfArray } from '../../onnx/float16.js';
import { tensorData } from '../../onnx/build.js';
import { allGraphs, allNodes, topoSort } from '../../onnx/scopes.js';
import { DataType, type ModelProto, type NodeProto } from '../../onnx/types.js';

/** Returns a new model computing in fp16 with fp32 inputs/outputs; the argument is not modified. */
export function toUniformFp16(source: ModelProto): ModelProto {
  const m = structuredClone(source);
  const g = m.graph;
  const graphs = allGraphs(g);
  for (const sg of graphs) {
    sg.initializer = sg.initializer.map((t) =>
      t.data_type === DataType.FLOAT ? halfTensor(t.name, t.dims, toHalfArray(tensorData(t) as Float32Array)) : t,
    );
    for (const n of sg.node) {
      // Casts the source graph makes into float (e.g. an attention mask) must now produce fp16.
      if (n.op_type === 'Cast') for (const a of n.attribute ?? []) if (a.name === 'to' && a.i === DataType.FLOAT) a.i = DataType.FLOAT16;
      for (const a of n.attribute ?? []) if (a.t?.data_type === DataType.FLOAT) throw new Error(`fp16: float tensor attribute in ${n.name} not supported`);
    }
  }
  for (const sg of graphs.slice(1)) for (const v of [...sg.input, ...sg.output]) if (v.type?.tensor_type?.elem_type === DataType.FLOAT) v.type.tensor_type.elem_type = DataType.FLOAT16;
  const nodes = allNodes(g);
  const rename = (from: string, to: string) => {
    for (const n of nodes) n.input = n.input.map((i) => (i === from ? to : i));
    for (const sg of graphs.slice(1)) for (const o of sg.output) if (o.name === from) o.name = to;
  };
  const head: NodeProto[] = [];
  const tail: NodeProto[] = [];
  for (const input of g.input) {
    if (input.type.tensor_type.elem_type !== DataType.FLOAT) continue;
    const half = `${input.name}__fp16`;
    rename(input.name, half);
    head.push(node('Cast', [input.name], [half], `${input.name}/CastToFp16`, { to: DataType.FLOAT16 }));
  }
  for (const output of g.output) {
    if (output.type.tensor_type.elem_type !== DataType.FLOAT) continue;
    const half = `${output.name}__fp16`;
    for (const n of g.node) n.output = n.output.map((o) => (o === output.name ? half : o));
    rename(output.name, half);
    tail.push(node('Cast', [half], [output.name], `${output.name}/CastToFp32`, { to: DataType.FLOAT }));
  }
  g.node = [...head, ...g.node, ...tail];
  topoSort(g);
  // Intermediate value infos would now carry the wrong element type; onnxruntime re-infers them anyway.
  for (const sg of graphs) sg.value_info = [];
  m.doc_string = `${m.doc_string ?? ''} [fp16 weights+compute, fp32 io]`.trim();
  return m;
}
