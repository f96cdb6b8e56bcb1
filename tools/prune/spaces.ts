/**
 * Channel spaces: the sets of activations that index the same channels, found by following each channel
 * from the layer that produces it (a Conv's output channels, a MatMul/Gemm's output columns) through the
 * ops that keep channels apart (BatchNorm, activations, pooling, depthwise Conv, per-channel constants,
 * Flatten into a Gemm, where channel c becomes a block of H·W rows) to the layers that read it (a Conv's
 * input channels, a MatMul/Gemm's input rows). Removing channel c of a space means removing it from every
 * slice the space lists, all at once; outputs of the other channels do not change.
 * An Add (or Mul) of two activations joins their spaces: a residual stream, or a squeeze-excitation scale,
 * is pruned as one set (`residual: 'skip'` leaves residual streams whole instead). A space that reaches a
 * graph input or output, a grouped (not depthwise) Conv, a Softmax or any op that mixes channels is frozen,
 * with the reason kept for the report.
 */
import { attr, type GraphIndex } from './graph.js';
import type { NodeProto } from '../onnx/types.js';

/** A slice of an initializer indexed by a space's channels: channel c is [c·block, (c+1)·block) on `axis`. */
export interface ChannelSlice {
  tensor: string;
  axis: number;
  block: number;
}

/** One channel space and everything that must shrink with it. */
export interface ChannelSpace {
  id: number;
  size: number;
  tensors: string[];
  /** Slices that make the channels (output side of a Conv/MatMul/Gemm). */
  produced: ChannelSlice[];
  /** Per-channel parameters inside the space (BatchNorm, depthwise Conv, per-channel constants). */
  params: ChannelSlice[];
  /** Input side of the layers that read the channels, with the activation each reads (for importance). */
  consumed: { input: string; weight: ChannelSlice }[];
  /** Depthwise Convs whose `group` equals the space's size. */
  groupNodes: NodeProto[];
  /** Reshapes to [N, C·H·W], rewritten as Flatten so no shape constant has to change. */
  flattens: NodeProto[];
  /** Joined by an Add/Sub of two activations (a residual stream). */
  residual: boolean;
  /** Why the space cannot be pruned, if it cannot. */
  frozen?: string;
}

const CHANNELWISE = new Set(['Relu', 'Clip', 'HardSigmoid', 'HardSwish', 'Sigmoid', 'LeakyRelu', 'Identity', 'Dropout', 'MaxPool', 'AveragePool', 'GlobalAveragePool']);
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div']);

/** Finds the channel spaces of an indexed model; `dims` holds every float tensor's dims at batch 1. */
export function channelSpaces(g: GraphIndex, dims: ReadonlyMap<string, number[]>, residual: 'joint' | 'skip' = 'joint'): ChannelSpace[] {
  const parent = new Map<string, string>();
  const find = (t: string): string => {
    let r = t;
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r)!;
    parent.set(t, r);
    return r;
  };
  const union = (a: string, b: string) => { const [ra, rb] = [find(a), find(b)]; if (ra !== rb) parent.set(rb, ra); };
  const facts: { t: string; kind: 'produced' | 'params' | 'consumed' | 'group' | 'flatten' | 'frozen' | 'residual'; slice?: ChannelSlice; input?: string; node?: NodeProto; why?: string }[] = [];
  const isAct = (t: string) => dims.has(t) && !g.inits.has(t);
  const dimsOf = (t: string) => (g.inits.has(t) ? g.inits.get(t)!.dims : dims.get(t) ?? []);
  const freeze = (t: string, why: string) => facts.push({ t, kind: 'frozen', why });
  const alias = new Map<string, { base: string; block: number }>();
  const who = (n: NodeProto) => `${n.op_type} '${n.name || n.output[0]}'`;
  const weight = (n: NodeProto, i: number) => (g.inits.has(n.input[i] ?? '') ? n.input[i]! : undefined);

  const consume = (n: NodeProto, x: string, w: string, axis: number) => {
    const a = alias.get(x);
    if (a) facts.push({ t: a.base, kind: 'consumed', input: a.base, slice: { tensor: w, axis, block: a.block } });
    else facts.push({ t: x, kind: 'consumed', input: x, slice: { tensor: w, axis, block: 1 } });
    if (!a && dimsOf(x).length !== 2 && n.op_type !== 'Conv') freeze(x, `${who(n)} reads a rank-${dimsOf(x).length} tensor`);
  };

  for (const n of g.model.graph.node) {
    const [x, y] = [n.input[0] ?? '', n.output[0] ?? ''];
    for (const i of n.input) if (alias.has(i) && n.op_type !== 'MatMul' && n.op_type !== 'Gemm') freeze(alias.get(i)!.base, `flattened channels read by ${who(n)}`);
    switch (n.op_type) {
      case 'Conv': {
        const W = weight(n, 1);
        const cin = dimsOf(x)[1]!;
        const group = attr(n, 'group', 1);
        if (!W) { freeze(x, `${who(n)} has computed weights`); freeze(y, `${who(n)} has computed weights`); break; }
        const bias = weight(n, 2);
        if (group === 1) {
          facts.push({ t: y, kind: 'produced', slice: { tensor: W, axis: 0, block: 1 } });
          if (bias) facts.push({ t: y, kind: 'produced', slice: { tensor: bias, axis: 0, block: 1 } });
          consume(n, x, W, 1);
        } else if (group === cin && g.inits.get(W)!.dims[0] === cin) {
          union(x, y);
          facts.push({ t: y, kind: 'params', slice: { tensor: W, axis: 0, block: 1 } }, { t: y, kind: 'group', node: n });
          if (bias) facts.push({ t: y, kind: 'params', slice: { tensor: bias, axis: 0, block: 1 } });
        } else {
          freeze(x, `grouped ${who(n)} (group ${group} of ${cin} channels)`);
          freeze(y, `grouped ${who(n)} (group ${group} of ${cin} channels)`);
        }
        break;
      }
      case 'BatchNormalization':
        union(x, y);
        for (const p of n.input.slice(1)) facts.push({ t: y, kind: 'params', slice: { tensor: p, axis: 0, block: 1 } });
        break;
      case 'MatMul':
      case 'Gemm': {
        const W = weight(n, 1);
        const tb = attr(n, 'transB', 0);
        if (!W || attr(n, 'transA', 0) || g.inits.get(W)!.dims.length !== 2) { freeze(alias.get(x)?.base ?? x, `${who(n)} without a 2-D weight initializer`); freeze(y, `${who(n)} output`); break; }
        consume(n, x, W, tb ? 1 : 0);
        facts.push({ t: y, kind: 'produced', slice: { tensor: W, axis: tb ? 0 : 1, block: 1 } });
        const C = weight(n, 2);
        if (C && g.inits.get(C)!.dims.reduce((a, b) => a * b, 1) > 1) facts.push({ t: y, kind: 'produced', slice: { tensor: C, axis: g.inits.get(C)!.dims.length - 1, block: 1 } });
        if (n.op_type === 'Gemm' && n.input[2] && !C) freeze(y, `${who(n)} adds a computed C`);
        break;
      }
      case 'Flatten':
      case 'Reshape': {
        const [dx, dy] = [dimsOf(x), dimsOf(y)];
        const toRows = dy.length === 2 && dx.length >= 2 && dy[1] === dx.slice(1).reduce((a, b) => a * b, 1) && (n.op_type === 'Reshape' || attr(n, 'axis', 1) === 1);
        if (!toRows) { freeze(x, `${who(n)} to ${JSON.stringify(dy)}`); freeze(y, `${who(n)} output`); break; }
        const block = dx.slice(2).reduce((a, b) => a * b, 1);
        if (block === 1) union(x, y);
        else alias.set(y, { base: x, block });
        if (n.op_type === 'Reshape') facts.push({ t: x, kind: 'flatten', node: n });
        break;
      }
      default:
        if (CHANNELWISE.has(n.op_type)) union(x, y);
        else if (ELEMENTWISE.has(n.op_type)) elementwise(n);
        // Shape reads dims only; the Reshape it feeds becomes a Flatten when its channels shrink.
        else if (n.op_type !== 'Shape') for (const i of n.input) if (isAct(i)) { freeze(i, `read by ${who(n)}`); for (const o of n.output) if (isAct(o)) freeze(o, `made by ${who(n)}`); }
    }
  }

  function elementwise(n: NodeProto) {
    const y = n.output[0]!;
    const dy = dimsOf(y);
    const acts = n.input.filter(isAct);
    for (const o of n.input) {
      if (isAct(o)) {
        if (dimsOf(o).length === dy.length && dimsOf(o)[1] === dy[1]) union(o, y);
        else if (!(dimsOf(o).length === dy.length && dimsOf(o)[1] === 1)) freeze(y, `${who(n)} broadcasts ${o} across channels`);
        continue;
      }
      const d = dimsOf(o);
      const size = d.reduce((a, b) => a * b, 1);
      if (size === 1) continue;
      const axis = 1 - (dy.length - d.length);
      if (axis >= 0 && d[axis] === dy[1] && size === dy[1]) facts.push({ t: y, kind: 'params', slice: { tensor: o, axis, block: 1 } });
      else freeze(y, `${who(n)} with a constant that is not per-channel (${JSON.stringify(d)})`);
    }
    if (acts.length === 2 && (n.op_type === 'Add' || n.op_type === 'Sub')) facts.push({ t: y, kind: 'residual' });
  }

  for (const t of g.inputs) freeze(t, `graph input '${t}'`);
  for (const t of g.outputs) freeze(t, `graph output '${t}'`);
  for (const [y, a] of alias) if (g.outputs.has(y)) freeze(a.base, `graph output '${y}'`);

  const byRoot = new Map<string, ChannelSpace>();
  const space = (t: string): ChannelSpace => {
    const r = find(t);
    let s = byRoot.get(r);
    if (!s) {
      s = { id: byRoot.size, size: dimsOf(t)[1] ?? 0, tensors: [], produced: [], params: [], consumed: [], groupNodes: [], flattens: [], residual: false };
      byRoot.set(r, s);
    }
    return s;
  };
  for (const t of dims.keys()) if (isAct(t)) space(t).tensors.push(t);
  for (const f of facts) {
    const s = space(f.t);
    if (f.kind === 'produced') s.produced.push(f.slice!);
    else if (f.kind === 'params') s.params.push(f.slice!);
    else if (f.kind === 'consumed') s.consumed.push({ input: f.input!, weight: f.slice! });
    else if (f.kind === 'group') s.groupNodes.push(f.node!);
    else if (f.kind === 'flatten') s.flattens.push(f.node!);
    else if (f.kind === 'residual') s.residual = true;
    else s.frozen ??= f.why!;
  }
  const spaces = [...byRoot.values()].filter((s) => s.produced.length > 0);
  for (const s of spaces) {
    if (s.tensors.some((t) => dimsOf(t)[1] !== s.size)) s.frozen ??= 'its tensors disagree on the channel count';
    if (residual === 'skip' && s.residual) s.frozen ??= 'a residual stream (--residual skip)';
  }
  return spaces.map((s, id) => ({ ...s, id }));
}
