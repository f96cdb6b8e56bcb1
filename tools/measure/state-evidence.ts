/**
 * The graph's own evidence that an output is an input carried over to the next call: walking back from the
 * output through ops that only move values (reshape, slice, gather, concat, cast, ...) and into `If`
 * branches, it reaches the input through a recurrent op's state slots (LSTM/GRU/RNN initial_h/initial_c ->
 * Y_h/Y_c: what a streaming VAD or a DTLN-style denoiser exports, whatever their tensors are named) or a
 * cache `Concat` (past keys and values, convolution caches). A plain `y = f(x)` of the same shape passes
 * neither, however alike the names or shapes.
 */
import type { GraphProto, NodeProto } from '../onnx/types.js';

/** Ops that move values without computing new ones; followed from their data input(s). */
const MOVES = new Set(['Identity', 'Reshape', 'Squeeze', 'Unsqueeze', 'Transpose', 'Cast', 'Flatten', 'Slice', 'Gather', 'Split', 'Expand']);

/** Recurrent ops: their state outputs (Y_h, Y_c) and the inputs those start from (initial_h, initial_c). */
const RECURRENT: Record<string, { outputs: number[]; inputs: number[] }> = {
  LSTM: { outputs: [1, 2], inputs: [5, 6] },
  GRU: { outputs: [1], inputs: [5] },
  RNN: { outputs: [1], inputs: [5] },
};

/** How far back a walk goes: real exports put a handful of moves between a state and its op. */
const MAX_HOPS = 48;

const subgraph = (n: NodeProto, name: string): GraphProto | undefined => n.attribute?.find((a) => a.name === name)?.g;

/**
 * Whether `output` is `input` carried through a recurrent op's state or a cache Concat (see the header).
 * `scopes` are the graphs a name may be produced in, innermost first (If branches read outer names).
 */
export function feedsBack(graph: GraphProto, input: string, output: string): boolean {
  const seen = new Set<string>();
  const walk = (tensor: string, scopes: GraphProto[], carried: boolean, hops: number): boolean => {
    if (tensor === input) return carried;
    const key = `${scopes.length}:${tensor}:${carried}`;
    if (hops > MAX_HOPS || seen.has(key)) return false;
    seen.add(key);
    for (let s = 0; s < scopes.length; s++) {
      const node = scopes[s]!.node.find((n) => n.output.includes(tensor));
      if (!node) continue;
      const outer = scopes.slice(s);
      const slot = node.output.indexOf(tensor);
      const next = (t: string | undefined, via: boolean, inner = outer) => t !== undefined && t !== '' && walk(t, inner, carried || via, hops + 1);
      if (MOVES.has(node.op_type)) return next(node.input[0], false);
      if (node.op_type === 'Concat') return node.input.some((t) => next(t, true));
      const rec = RECURRENT[node.op_type];
      if (rec) return rec.outputs.includes(slot) && rec.inputs.some((k) => next(node.input[k], true));
      if (node.op_type === 'If') {
        return ['then_branch', 'else_branch'].some((b) => {
          const branch = subgraph(node, b);
          return branch !== undefined && next(branch.output[slot]?.name, false, [branch, ...outer]);
        });
      }
      return false;
    }
    return false;
  };
  return walk(output, [graph], false, 0);
}
