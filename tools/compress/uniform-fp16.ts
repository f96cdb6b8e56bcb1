/**
 * The fp16 variant: every FP32 initializer becomes FP16 (clamped to the fp16 range) and the whole graph
 * computes in fp16, with Cast nodes at the edges so graph inputs and outputs stay FP32, like
 * onnxconverter-common's `convert_float_to_float16(keep_io_types=True)`. Clients and the gateway never see
 * fp16 tensors.
 */
import { halfTensor, node } from '../onnx/build.js';
import { toHalfArray } from '../onnx/float16.js';
import { tensorData } from '../onnx/build.js';
import { DataType, type ModelProto, type NodeProto } from '../onnx/types.js';

/** Returns a new model computing in fp16 with fp32 inputs/outputs; the argument is not modified. */
export function toFp16(source: ModelProto): ModelProto {
  const m = structuredClone(source);
  const g = m.graph;
  g.initializer = g.initializer.map((t) =>
    t.data_type === DataType.FLOAT ? halfTensor(t.name, t.dims, toHalfArray(tensorData(t) as Float32Array)) : t,
  );
  for (const n of g.node) {
    // Casts the source graph makes into float (e.g. an attention mask) must now produce fp16.
    if (n.op_type === 'Cast') for (const a of n.attribute ?? []) if (a.name === 'to' && a.i === DataType.FLOAT) a.i = DataType.FLOAT16;
    for (const a of n.attribute ?? []) if (a.t?.data_type === DataType.FLOAT) throw new Error(`fp16: float tensor attribute in ${n.name} not supported`);
  }
  const head: NodeProto[] = [];
  const tail: NodeProto[] = [];
  for (const input of g.input) {
    if (input.type.tensor_type.elem_type !== DataType.FLOAT) continue;
    const half = `${input.name}__fp16`;
    for (const n of g.node) n.input = n.input.map((i) => (i === input.name ? half : i));
    head.push(node('Cast', [input.name], [half], `${input.name}/CastToFp16`, { to: DataType.FLOAT16 }));
  }
  for (const output of g.output) {
    if (output.type.tensor_type.elem_type !== DataType.FLOAT) continue;
    const half = `${output.name}__fp16`;
    for (const n of g.node) n.output = n.output.map((o) => (o === output.name ? half : o));
    tail.push(node('Cast', [half], [output.name], `${output.name}/CastToFp32`, { to: DataType.FLOAT }));
  }
  g.node = [...head, ...g.node, ...tail];
  // Intermediate value infos would now carry the wrong element type; onnxruntime re-infers them anyway.
  g.value_info = [];
  m.doc_string = `${m.doc_string ?? ''} [fp16 weights+compute, fp32 io]`.trim();
  return m;
}
