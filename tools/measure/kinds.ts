/**
 * What kind of value each model output is, which decides how it is compared with fp32 and gated:
 * classification, regression (features, embeddings, maps, spectrograms), scalar (at most one value per
 * sample), state (fed back into an input on the next call), or a detector's scores and the boxes paired
 * with them (reading.ts). `--task` sets kinds; `auto` guesses them with the heuristic below, kept
 * conservative: calling mel bins or embeddings a classifier made top-1 agreement the gate, which says nothing
 * about them.
 */
import type { TensorSpec } from '../../src/protocol/datatypes.js';
import type { OutputKind } from '../../src/registry/manifest.js';
import type { ModelProto, NodeProto } from '../onnx/types.js';
import { BOX_FORMATS, type BoxFormat } from './detection.js';
import { graphPorts, specPorts, statePairs, type StatePair } from './state-pairs.js';

export const KIND_ALIASES: Record<string, OutputKind> = {
  classifier: 'classification',
  classification: 'classification',
  embedding: 'regression',
  regression: 'regression',
  scalar: 'scalar',
  state: 'state',
  detection: 'detection',
  boxes: 'boxes',
};

/** A boxes output's detection scores (another output) and how its 4 values per anchor are laid out. */
export interface BoxPair {
  scores: string;
  format: BoxFormat;
}

/** `--task` parsed: a kind for every output (`all`) and/or per output name; boxes named with their scores. */
export interface TaskSpec {
  all?: OutputKind;
  byOutput: Record<string, OutputKind>;
  /** `boxes=boxes:scores[:format]`: the boxes output -> its scores output. */
  boxes?: Record<string, BoxPair>;
}

/** The heuristic, as `--help` prints it. */
export const AUTO_RULES = [
  'state: an output fed back into an input: the only input of its dtype and shape, carried over by a recurrent op or a cache Concat, or named so (state/stateN, h0/hn, past_x/present_x); --state in=out names pairs, --stateless turns them off',
  'scalar: at most one value per sample (e.g. [N], [N,1], a probability or a score)',
  'detection + boxes: an output [N, anchors, 1|2] of probabilities (every fp32 value in [0, 1]) next to one [N, anchors, 4] whose boxes are corners (x2 >= x1, y2 >= y1): scores and boxes, threshold 0.5 unless --decision says',
  'classification: a last axis of fixed size >= 2 AND a hint that it holds class scores: produced by Softmax/LogSoftmax, read by ArgMax/TopK, or named like logits/prob/softmax/class/label',
  'regression: everything else (embeddings, feature maps, mel bins, hidden states)',
];

/**
 * Parses `--task` values: `auto`, a kind for all outputs, or `name=kind` (repeatable); boxes name their scores
 * output, `name=boxes:scores[:xyxy|xywh|cxcywh]` (corners by default). Throws with a message.
 */
export function parseTask(values: readonly string[]): TaskSpec {
  const spec: TaskSpec = { byOutput: {}, boxes: {} };
  const kind = (k: string) => {
    const v = KIND_ALIASES[k];
    if (!v) throw new Error(`--task: unknown kind '${k}'; one of auto, ${Object.keys(KIND_ALIASES).join(', ')}`);
    return v;
  };
  for (const value of values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)) {
    const eq = value.lastIndexOf('=');
    const [k, ...partner] = value.slice(eq + 1).split(':');
    const name = value.slice(0, eq);
    if (partner.length && (eq <= 0 || kind(k!) !== 'boxes')) throw new Error(`--task '${value}': only boxes name another output, e.g. boxes=boxes:scores`);
    if (eq > 0) spec.byOutput[name] = kind(k!);
    else if (value !== 'auto') spec.all = kind(value);
    if (spec.all === 'boxes') throw new Error('--task boxes: boxes belong to one detection output each; name them: --task boxes=boxes:scores');
    if (!partner.length) continue;
    const format = (BOX_FORMATS as readonly string[]).includes(partner.at(-1)!) && partner.length > 1 ? (partner.pop() as BoxFormat) : 'xyxy';
    spec.boxes![name] = { scores: partner.join(':'), format };
  }
  return spec;
}

const PASS_THROUGH = new Set(['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Cast']);
const SCORE_NAME = /logit|prob|softmax|class|label/i;

/** Whether an output looks like scores over classes: produced by (Log)Softmax, read by ArgMax/TopK, or named so. */
function scoreHints(model: ModelProto | undefined, name: string): boolean {
  if (SCORE_NAME.test(name)) return true;
  if (!model) return false;
  const nodes = model.graph.node;
  const producer = (t: string): NodeProto | undefined => nodes.find((n) => n.output.includes(t));
  let t = name;
  for (let hops = 0; hops < 8; hops++) {
    if (nodes.some((n) => (n.op_type === 'ArgMax' || n.op_type === 'TopK') && n.input[0] === t)) return true;
    const p = producer(t);
    if (!p) return false;
    if (p.op_type === 'Softmax' || p.op_type === 'LogSoftmax') return true;
    if (!PASS_THROUGH.has(p.op_type)) return false;
    t = p.input[0]!;
  }
  return false;
}

/**
 * The kind of every output. `widths` (values per sample, from a reference run) settle outputs whose
 * non-batch dims are dynamic. Explicit kinds win; `state` needs a pairing input (state-pairs.ts): `pairs` when
 * the caller settled them (`--state`, `--stateless`), else found from the graph.
 */
export function outputKinds(model: ModelProto | undefined, inputs: TensorSpec[], outputs: TensorSpec[], task: TaskSpec, widths: Record<string, number> = {}, pairs?: readonly StatePair[]): Record<string, OutputKind> {
  const unknown = Object.keys(task.byOutput).filter((n) => !outputs.some((o) => o.name === n));
  if (unknown.length) throw new Error(`--task: no output named ${unknown.map((u) => `'${u}'`).join(', ')}; outputs are ${outputs.map((o) => `'${o.name}'`).join(', ')}`);
  const forced = outputs.filter((o) => (task.byOutput[o.name] ?? task.all) === 'state').map((o) => o.name);
  const ports = model ? graphPorts(model.graph) : { inputs: specPorts(inputs), outputs: specPorts(outputs) };
  const paired = new Set((pairs ?? statePairs(model?.graph, ports.inputs, ports.outputs, forced)).map((p) => p.output));
  const kinds: Record<string, OutputKind> = {};
  for (const out of outputs) {
    const explicit = task.byOutput[out.name] ?? (paired.has(out.name) ? 'state' : task.all);
    if (explicit) {
      kinds[out.name] = explicit;
      continue;
    }
    const rest = out.shape.slice(1);
    const perSample = rest.every((d) => d >= 0) ? rest.reduce((a, b) => a * b, 1) : widths[out.name];
    const last = out.shape.at(-1) ?? -1;
    if (out.shape.length <= 1 || (perSample !== undefined && perSample <= 1)) kinds[out.name] = 'scalar';
    else if (last >= 2 && scoreHints(model, out.name)) kinds[out.name] = 'classification';
    else kinds[out.name] = 'regression';
  }
  return kinds;
}
