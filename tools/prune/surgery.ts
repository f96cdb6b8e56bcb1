/**
 * Structured removal: given the channels to keep in each space, slices every initializer the space lists
 * (producer rows/columns, BatchNorm and depthwise parameters, the next layer's input rows or channel blocks),
 * sets depthwise Convs' `group` to the new width, rewrites Reshapes to [N, C·H·W] as Flatten, and drops what
 * became unread (the shape arithmetic behind such a Reshape). Graph inputs and outputs are untouched.
 */
import { floats, dropDead, replaceFloat, UnsupportedModel, type GraphIndex } from './graph.js';
import type { ChannelSlice, ChannelSpace } from './spaces.js';
import type { ModelProto, NodeProto, TensorProto } from '../onnx/types.js';
import { node } from '../onnx/build.js';

/** Keeps, along `axis`, the blocks of `block` indices whose channel is in `keep` (sorted). */
export function sliceTensor(t: TensorProto, s: ChannelSlice, keep: readonly number[]): TensorProto {
  const data = floats(t);
  const dims = [...t.dims];
  const outer = dims.slice(0, s.axis).reduce((a, b) => a * b, 1);
  const inner = dims.slice(s.axis + 1).reduce((a, b) => a * b, 1);
  const along = dims[s.axis]!;
  const rows = keep.flatMap((c) => Array.from({ length: s.block }, (_, k) => c * s.block + k));
  if (rows.some((r) => r >= along)) throw new Error(`slice of '${t.name}' past its axis ${s.axis} (${along})`);
  const out = new Float32Array(outer * rows.length * inner);
  let at = 0;
  for (let o = 0; o < outer; o++) {
    for (const r of rows) {
      out.set(data.subarray((o * along + r) * inner, (o * along + r + 1) * inner), at);
      at += inner;
    }
  }
  dims[s.axis] = rows.length;
  return replaceFloat(t, dims, out);
}

const key = (s: ChannelSlice) => `${s.tensor}|${s.axis}|${s.block}`;

/** The model with only `keep.get(space.id)` channels left in each space named (others untouched). */
export function applyKeep(g: GraphIndex, spaces: readonly ChannelSpace[], keep: ReadonlyMap<number, number[]>): ModelProto {
  const inits = new Map(g.inits);
  const done = new Map<string, string>();
  const groups = new Map<NodeProto, number>();
  const flattens = new Set<NodeProto>();
  for (const s of spaces) {
    const k = keep.get(s.id);
    if (!k || k.length === s.size) continue;
    if (s.frozen) throw new Error(`space ${s.id} is frozen (${s.frozen})`);
    const kept = [...k].sort((a, b) => a - b);
    for (const slice of [...s.produced, ...s.params, ...s.consumed.map((c) => c.weight)]) {
      const id = key(slice);
      const signature = `${s.id}:${kept.join(',')}`;
      if (done.get(id) === signature) continue; // the same slice listed twice (a bias read by two paths)
      // Along one axis an initializer belongs to one space; along two (a MatMul's rows and columns) it is cut twice.
      if (done.has(id)) throw new UnsupportedModel(`initializer '${slice.tensor}' is shared by two channel sets; copy it per use before pruning`);
      done.set(id, signature);
      inits.set(slice.tensor, sliceTensor(inits.get(slice.tensor)!, slice, kept));
    }
    for (const n of s.groupNodes) groups.set(n, kept.length);
    for (const n of s.flattens) flattens.add(n);
  }
  const nodes = g.model.graph.node.map((n) => {
    if (flattens.has(n)) return node('Flatten', [n.input[0]!], [...n.output], n.name, { axis: 1 });
    const group = groups.get(n);
    if (group === undefined) return n;
    return { ...n, attribute: n.attribute?.map((a) => (a.name === 'group' ? { ...a, i: group } : a)) };
  });
  const { value_info: _stale, ...graph } = g.model.graph;
  return dropDead({ ...g.model, graph: { ...graph, node: nodes, initializer: g.model.graph.initializer.map((t) => inits.get(t.name)!) } });
}
