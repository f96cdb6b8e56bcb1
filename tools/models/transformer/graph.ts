/**
 * Builds a BERT-like post-LN transformer encoder as an FP32 ONNX graph with seeded random weights
 * (clearly synthetic: it computes nothing meaningful). Inputs `input_ids`, `attention_mask` INT64
 * [batch, seq]; output `last_hidden_state` FP32 [batch, seq, hidden]. Only standard opset-17 ops
 * (Gather, Slice, MatMul, Add, Mul, LayerNormalization, Softmax, Erf, Reshape, Transpose), which
 * onnxruntime's optimizer may fuse into its own Attention/Gelu kernels at load.
 */
import { floatTensor, int64Tensor, model, node, valueInfo } from '../../onnx/build.js';
import { DataType, type ModelProto, type NodeProto, type TensorProto } from '../../onnx/types.js';
import { Prng } from '../../lib/prng.js';
import type { TransformerConfig } from './config.js';

const INIT_STD = 0.02; // BERT's initializer_range; uniform with the same standard deviation
const UNIFORM_LIMIT = INIT_STD * Math.sqrt(3);

/** Builds the encoder for a config; deterministic in (config, seed). */
export function buildTransformer(c: TransformerConfig): ModelProto {
  if (c.hidden % c.heads) throw new Error(`hidden ${c.hidden} not divisible by heads ${c.heads}`);
  const prng = new Prng(c.seed);
  const H = c.hidden;
  const hd = H / c.heads;
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const random = (name: string, dims: number[]) => inits.push(floatTensor(name, dims, prng.fillUniform(new Float32Array(dims.reduce((a, b) => a * b, 1)), UNIFORM_LIMIT)));
  const filled = (name: string, dims: number[], value: number) => inits.push(floatTensor(name, dims, new Float32Array(dims.reduce((a, b) => a * b, 1)).fill(value)));
  const add = (op: string, inputs: string[], output: string, attrs: Parameters<typeof node>[4] = {}) => {
    nodes.push(node(op, inputs, [output], output, attrs));
    return output;
  };
  const layerNorm = (x: string, prefix: string) => {
    filled(`${prefix}.gamma`, [H], 1);
    filled(`${prefix}.beta`, [H], 0);
    return add('LayerNormalization', [x, `${prefix}.gamma`, `${prefix}.beta`], `${prefix}.out`, { axis: -1, epsilon: { float: 1e-12 } });
  };
  const linear = (x: string, prefix: string, inDim: number, outDim: number) => {
    random(`${prefix}.weight`, [inDim, outDim]);
    filled(`${prefix}.bias`, [outDim], 0);
    return add('Add', [add('MatMul', [x, `${prefix}.weight`], `${prefix}.matmul`), `${prefix}.bias`], `${prefix}.out`);
  };

  // Shared constants.
  inits.push(int64Tensor('const.heads_shape', [4], [0, 0, c.heads, hd]));
  inits.push(int64Tensor('const.hidden_shape', [3], [0, 0, H]));
  inits.push(int64Tensor('const.zero', [1], [0]));
  inits.push(int64Tensor('const.mask_axes', [2], [1, 2]));
  filled('const.one', [1], 1);
  filled('const.mask_neg', [1], -10000); // BERT's additive mask value; representable in fp16
  filled('const.scale', [1], 1 / Math.sqrt(hd));
  filled('const.half', [1], 0.5);
  filled('const.inv_sqrt2', [1], Math.SQRT1_2);

  // Embeddings: word lookup + position rows [0, seq) sliced from the table.
  random('embeddings.word', [c.vocab, H]);
  random('embeddings.position', [c.maxSeq, H]);
  const words = add('Gather', ['embeddings.word', 'input_ids'], 'embeddings.words');
  const seqLen = add('Shape', ['input_ids'], 'embeddings.seq_len', { start: 1, end: 2 });
  const positions = add('Slice', ['embeddings.position', 'const.zero', seqLen, 'const.zero'], 'embeddings.positions');
  let x = layerNorm(add('Add', [words, positions], 'embeddings.sum'), 'embeddings.ln');

  // Additive attention mask [batch, 1, 1, seq]: 0 where attended, -10000 where padded.
  const maskF = add('Cast', ['attention_mask'], 'mask.float', { to: DataType.FLOAT });
  const maskNeg = add('Mul', [add('Sub', ['const.one', maskF], 'mask.inverted'), 'const.mask_neg'], 'mask.additive');
  const mask = add('Unsqueeze', [maskNeg, 'const.mask_axes'], 'mask.broadcast');

  for (let l = 0; l < c.layers; l++) {
    const p = `layer${l}`;
    const heads = (name: string, perm: number[]) =>
      add('Transpose', [add('Reshape', [linear(x, `${p}.attn.${name}`, H, H), 'const.heads_shape'], `${p}.attn.${name}.split`)], `${p}.attn.${name}.heads`, { perm });
    const q = heads('query', [0, 2, 1, 3]);
    const k = heads('key', [0, 2, 3, 1]);
    const v = heads('value', [0, 2, 1, 3]);
    const scores = add('Add', [add('Mul', [add('MatMul', [q, k], `${p}.attn.qk`), 'const.scale'], `${p}.attn.scaled`), mask], `${p}.attn.masked`);
    const probs = add('Softmax', [scores], `${p}.attn.probs`, { axis: -1 });
    const context = add('Transpose', [add('MatMul', [probs, v], `${p}.attn.context`)], `${p}.attn.context.t`, { perm: [0, 2, 1, 3] });
    const merged = add('Reshape', [context, 'const.hidden_shape'], `${p}.attn.merged`);
    const attnOut = linear(merged, `${p}.attn.output`, H, H);
    const h1 = layerNorm(add('Add', [attnOut, x], `${p}.attn.residual`), `${p}.attn.ln`);
    const up = linear(h1, `${p}.ffn.up`, H, c.ffn);
    // Exact GELU: 0.5 * x * (1 + erf(x / sqrt 2)).
    const erf = add('Erf', [add('Mul', [up, 'const.inv_sqrt2'], `${p}.ffn.gelu.scaled`)], `${p}.ffn.gelu.erf`);
    const gelu = add('Mul', [add('Mul', [up, 'const.half'], `${p}.ffn.gelu.half`), add('Add', [erf, 'const.one'], `${p}.ffn.gelu.erf1`)], `${p}.ffn.gelu`);
    const down = linear(gelu, `${p}.ffn.down`, c.ffn, H);
    x = layerNorm(add('Add', [down, h1], `${p}.ffn.residual`), `${p}.ffn.ln`);
  }
  nodes.push(node('Identity', [x], ['last_hidden_state'], 'output'));

  return model(
    {
      name: 'synthetic_transformer_encoder',
      node: nodes,
      initializer: inits,
      input: [valueInfo('input_ids', DataType.INT64, ['batch', 'seq']), valueInfo('attention_mask', DataType.INT64, ['batch', 'seq'])],
      output: [valueInfo('last_hidden_state', DataType.FLOAT, ['batch', 'seq', H])],
    },
    `SYNTHETIC BERT-like encoder with random weights (seed ${c.seed}); for size/latency scaling only, never for real answers. ${JSON.stringify(c)}`,
  );
}
