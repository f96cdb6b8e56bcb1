/**
 * Upgrades a graph's default-domain opset to 13 (per-channel QuantizeLinear/DequantizeLinear need it) for
 * the ops whose signature changed between 7 and 13 and that real exports use: Slice (10: attributes ->
 * inputs), Clip (11: min/max -> inputs), Squeeze/Unsqueeze/ReduceSum/Split (13: axes/split -> inputs), Softmax
 * (13: no more flattening, safe when the axis is the last one). Any other op with a changed signature is
 * refused rather than silently mistranslated. Nodes inside `If`/`Loop`/`Scan` subgraphs are upgraded too
 * (the opset is the model's, not the graph's); their new initializers go into their own subgraph.
 */
import { floatTensor, int64Tensor } from '../../onnx/build.js';
import { allGraphs } from '../../onnx/scopes.js';
import type { AttributeProto, GraphProto, ModelProto, NodeProto } from '../../onnx/types.js';

const REFUSED_BELOW_13 = new Set(['Upsample', 'Resize', 'Pad', 'Scatter', 'TopK', 'Dropout']);

/** Returns the model at opset 13 (in place); `ranks` (tensor -> rank, from calibration) checks Softmax axes. */
export function upgradeToOpset13(m: ModelProto, ranks: Record<string, number>): ModelProto {
  const entry = m.opset_import.find((o) => (o.domain ?? '') === '' || o.domain === 'ai.onnx')!;
  const from = entry.version;
  if (from >= 13) return m;
  const take = (n: NodeProto, name: string): AttributeProto | undefined => {
    const a = n.attribute?.find((x) => x.name === name);
    n.attribute = n.attribute?.filter((x) => x.name !== name);
    return a;
  };
  for (const g of allGraphs(m.graph)) for (const n of g.node) upgradeNode(g, n, from, take, ranks);
  entry.version = 13;
  if (m.ir_version < 7) m.ir_version = 7;
  return m;
}

/** Rewrites one default-domain node's attributes-turned-inputs in place; new initializers go into `g`. */
function upgradeNode(g: GraphProto, n: NodeProto, from: number, take: (n: NodeProto, name: string) => AttributeProto | undefined, ranks: Record<string, number>): void {
  if ((n.domain ?? '') !== '') return;
  const c = (suffix: string) => `${n.name}/${suffix}`;
  if (REFUSED_BELOW_13.has(n.op_type) && !(n.op_type === 'Resize' && from >= 11) && !(n.op_type === 'Pad' && from >= 11) && !(n.op_type === 'TopK' && from >= 11) && n.op_type !== 'Dropout') {
    throw new Error(`cannot upgrade ${n.op_type} (${n.name}) from opset ${from} to 13 for per-channel QDQ`);
  }
  if (n.op_type === 'Slice' && from < 10) {
    const starts = take(n, 'starts')?.ints ?? [];
    const ends = take(n, 'ends')?.ints ?? [];
    const axes = take(n, 'axes')?.ints;
    g.initializer.push(int64Tensor(c('starts'), [starts.length], starts), int64Tensor(c('ends'), [ends.length], ends));
    n.input = [n.input[0]!, c('starts'), c('ends')];
    if (axes?.length) {
      g.initializer.push(int64Tensor(c('axes'), [axes.length], axes));
      n.input.push(c('axes'));
    }
  } else if (n.op_type === 'Clip' && from < 11) {
    // proto3 leaves a 0.0 float out of the encoding: a present attribute without `f` is 0.
    const a = take(n, 'min');
    const b = take(n, 'max');
    const lo = a ? (a.f ?? 0) : undefined;
    const hi = b ? (b.f ?? 0) : undefined;
    g.initializer.push(floatTensor(c('min'), [], Float32Array.of(lo ?? -3.4028234663852886e38)), floatTensor(c('max'), [], Float32Array.of(hi ?? 3.4028234663852886e38)));
    n.input = [n.input[0]!, c('min'), c('max')];
  } else if ((n.op_type === 'Squeeze' || n.op_type === 'Unsqueeze' || n.op_type === 'ReduceSum') && n.attribute?.some((a) => a.name === 'axes')) {
    const axes = take(n, 'axes')!.ints ?? [];
    g.initializer.push(int64Tensor(c('axes'), [axes.length], axes));
    n.input = [n.input[0]!, c('axes')];
  } else if (n.op_type === 'Split' && n.attribute?.some((a) => a.name === 'split')) {
    const split = take(n, 'split')!.ints ?? [];
    g.initializer.push(int64Tensor(c('split'), [split.length], split));
    n.input = [n.input[0]!, c('split')];
  } else if (n.op_type === 'Softmax') {
    const attr = n.attribute?.find((a) => a.name === 'axis');
    const axis = attr ? (attr.i ?? 0) : 1;
    const rank = ranks[n.input[0]!];
    if (axis !== -1 && (rank === undefined || axis !== rank - 1)) throw new Error(`cannot upgrade Softmax (${n.name}) to opset 13: axis ${axis} is not the last axis (rank ${rank ?? 'unknown'})`);
  }
}
