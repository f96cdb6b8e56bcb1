/**
 * Control flow in ONNX graphs: the subgraphs of `If`, `Loop` and `Scan` nodes (GRAPH and GRAPHS
 * attributes, nested to any depth), the outer-scope names a subgraph reads implicitly (by name, without
 * listing them as its node's inputs), and a stable topological sort that counts those implicit reads.
 *
 * Every graph pass needs these: a pass that sees only the top-level node list drops weights that only a
 * subgraph reads, and a pass that inserts nodes must keep the order onnxruntime requires ("Nodes in a graph
 * must be topologically sorted"), where a control-flow node comes after everything its subgraphs read.
 * Names are assumed unique across scopes (the ONNX checker forbids a subgraph to shadow an outer name).
 */
import type { GraphProto, NodeProto, TensorProto } from './types.js';

/** The subgraphs a node carries: If then/else branches, Loop and Scan bodies, any GRAPH/GRAPHS attribute. */
export function subgraphs(n: NodeProto): GraphProto[] {
  return (n.attribute ?? []).flatMap((a) => [...(a.g ? [a.g] : []), ...(a.graphs ?? [])]);
}

/** Each subgraph of a node with a scope label unique within the model (`<node>.<attribute>[.<index>]`). */
export function labelledSubgraphs(n: NodeProto): { graph: GraphProto; scope: string }[] {
  return (n.attribute ?? []).flatMap((a) => [
    ...(a.g ? [{ graph: a.g, scope: `${n.name}.${a.name}` }] : []),
    ...(a.graphs ?? []).map((graph, i) => ({ graph, scope: `${n.name}.${a.name}.${i}` })),
  ]);
}

/** The graph and every graph nested in it, outermost first. */
export function allGraphs(g: GraphProto): GraphProto[] {
  return [g, ...g.node.flatMap((n) => subgraphs(n).flatMap(allGraphs))];
}

/** Every node of the graph and of its subgraphs, outermost first. */
export function allNodes(g: GraphProto): NodeProto[] {
  return allGraphs(g).flatMap((x) => x.node);
}

/** True when some node of the graph carries a subgraph. */
export function hasSubgraphs(g: GraphProto): boolean {
  return g.node.some((n) => subgraphs(n).length > 0);
}

/** A graph with its scope label ('' for the model's graph) and the initializers visible in it. */
export interface GraphScope {
  graph: GraphProto;
  scope: string;
  /** Its own initializers and those of every enclosing graph (an inner name shadows an outer one). */
  inits: Map<string, TensorProto>;
}

/** The graph and every graph nested in it, outermost first, each with its scope and visible initializers. */
export function graphScopes(g: GraphProto, scope = '', outer: ReadonlyMap<string, TensorProto> = new Map()): GraphScope[] {
  const inits = new Map([...outer, ...g.initializer.map((t) => [t.name, t] as const)]);
  return [{ graph: g, scope, inits }, ...g.node.flatMap((n) => labelledSubgraphs(n).flatMap((s) => graphScopes(s.graph, s.scope, inits)))];
}

/** Names defined in a graph's own scope: its inputs, initializers and node outputs. */
function ownNames(g: GraphProto): Set<string> {
  return new Set([...g.input.map((i) => i.name), ...g.initializer.map((t) => t.name), ...g.node.flatMap((n) => n.output)]);
}

/** Names a graph (with the subgraphs inside it) reads from enclosing scopes. */
export function outerReads(g: GraphProto): Set<string> {
  const own = ownNames(g);
  const out = new Set<string>();
  for (const n of g.node) for (const r of nodeReads(n)) if (!own.has(r)) out.add(r);
  // A branch may return an outer value as it is.
  for (const o of g.output) if (!own.has(o.name)) out.add(o.name);
  return out;
}

/** Every name a node reads: its inputs and, for control flow, what its subgraphs read from outside. */
export function nodeReads(n: NodeProto): string[] {
  const inputs = n.input.filter(Boolean);
  const subs = subgraphs(n);
  if (subs.length === 0) return inputs;
  return [...new Set([...inputs, ...subs.flatMap((s) => [...outerReads(s)])])];
}

/** Every name read in the graph (by its nodes, its subgraphs and its outputs). */
export function readNames(g: GraphProto): Set<string> {
  return new Set([...g.node.flatMap(nodeReads), ...g.output.map((o) => o.name)]);
}

/**
 * Sorts every graph's nodes topologically, in place, counting subgraphs' implicit reads. Stable: a sorted
 * graph keeps its exact order (so rebuilt variants keep their bytes), and otherwise a node moves only as
 * far as its producers require. Throws on a cycle.
 */
export function topoSort(g: GraphProto): void {
  for (const n of g.node) for (const s of subgraphs(n)) topoSort(s);
  const producer = new Map<string, number>();
  g.node.forEach((n, i) => n.output.forEach((o) => o && producer.set(o, i)));
  const deps = g.node.map((n) => nodeReads(n).flatMap((r) => (producer.has(r) ? [producer.get(r)!] : [])));
  const state = new Uint8Array(g.node.length); // 0 unseen, 1 on the stack, 2 placed
  const order: NodeProto[] = [];
  for (let root = 0; root < g.node.length; root++) {
    if (state[root]) continue;
    const stack: [number, number][] = [[root, 0]];
    state[root] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const [i, k] = top;
      if (k < deps[i]!.length) {
        top[1]++;
        const d = deps[i]![k]!;
        if (state[d] === 1) throw new Error(`graph '${g.name}' has a cycle: node '${g.node[i]!.name}' (${g.node[i]!.op_type}) depends on its own output through '${g.node[d]!.name}'`);
        if (state[d] === 0) {
          state[d] = 1;
          stack.push([d, 0]);
        }
      } else {
        state[i] = 2;
        order.push(g.node[i]!);
        stack.pop();
      }
    }
  }
  g.node = order;
}

/**
 * The first place where the graph (or a subgraph) is not topologically sorted, as onnxruntime would
 * complain about it, or undefined when every graph is sorted. Outer names count as defined only when they
 * are defined before the control-flow node.
 */
export function unsorted(g: GraphProto, outer: ReadonlySet<string> = new Set()): string | undefined {
  const known = new Set([...outer, ...g.input.map((i) => i.name), ...g.initializer.map((t) => t.name)]);
  const later = new Set(g.node.flatMap((n) => n.output));
  for (const n of g.node) {
    for (const r of nodeReads(n)) if (!known.has(r) && later.has(r)) return `node '${n.name}' (${n.op_type}) in graph '${g.name}' reads '${r}' before the node producing it`;
    for (const s of subgraphs(n)) {
      const problem = unsorted(s, known);
      if (problem) return problem;
    }
    for (const o of n.output) known.add(o);
  }
  return undefined;
}
