/**
 * Exports a trained MLP as an FP32 ONNX graph: input `input` [batch, 784] -> (MatMul, Add, Relu)* ->
 * `logits` [batch, 10]. MatMul+Add rather than Gemm so the int8 rewrite can target MatMul alone.
 */
import { floatTensor, model, node, valueInfo } from '../../onnx/build.js';
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../../onnx/types.js';
import type { Dense } from './mlp.js';

/** Builds the ONNX model for the given layers. */
export function exportMlp(layers: Dense[], docString: string): ModelProto {
  const nodes: NodeProto[] = [];
  const initializer: TensorProto[] = [];
  let x = 'input';
  layers.forEach((layer, l) => {
    const last = l === layers.length - 1;
    initializer.push(floatTensor(`fc${l}.weight`, [layer.inputs, layer.outputs], layer.weight));
    initializer.push(floatTensor(`fc${l}.bias`, [layer.outputs], layer.bias));
    nodes.push(node('MatMul', [x, `fc${l}.weight`], [`fc${l}.matmul`], `fc${l}/MatMul`));
    const added = last ? 'logits' : `fc${l}.out`;
    nodes.push(node('Add', [`fc${l}.matmul`, `fc${l}.bias`], [added], `fc${l}/Add`));
    if (!last) {
      nodes.push(node('Relu', [added], [`fc${l}.relu`], `fc${l}/Relu`));
      x = `fc${l}.relu`;
    }
  });
  return model(
    {
      name: 'mnist_mlp',
      node: nodes,
      initializer,
      input: [valueInfo('input', DataType.FLOAT, ['batch', layers[0]!.inputs])],
      output: [valueInfo('logits', DataType.FLOAT, ['batch', layers[layers.length - 1]!.outputs])],
    },
    docString,
  );
}
