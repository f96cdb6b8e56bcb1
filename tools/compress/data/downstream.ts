/**
 * The options that judge a variant by the model its outputs feed: `--downstream model.onnx[:output=input,...]`
 * with `--downstream-task`, `--downstream-decision` and `--downstream-floor` for that model's outputs (the
 * same forms as --task, --decision, --fidelity-floor). The chain itself is tools/measure/chain.ts; here the
 * file is read, the options checked (bad ones are bad input, exit 2) and the floors joined to the judge's.
 */
import { basename } from 'node:path';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { prepareDownstream, resolveMapping } from '../../measure/chain.js';
import { parseDecisions } from '../../measure/decision.js';
import type { EvalOutputs } from '../../measure/eval-run.js';
import { describeFloor } from '../../measure/floor-metrics.js';
import { downstreamKey, downstreamOutput, floorsFor, parseFloors } from '../../measure/gate.js';
import { parseTask } from '../../measure/kinds.js';
import { CompressInputError, oneLine } from '../failure.js';
import { readSource } from '../source/read.js';
import type { Judge } from './eval-set.js';

export interface DownstreamOptions {
  downstream?: string | undefined;
  downstreamTask?: string | string[] | undefined;
  downstreamDecision?: string | string[] | undefined;
  downstreamFloor?: string | string[] | undefined;
}

const list = (v: string | string[] | undefined) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** `model.onnx[:output=input,...]`: the file, and this model's outputs -> the downstream inputs they feed. */
export function parseDownstream(text: string): { file: string; given: Record<string, string> } {
  const at = text.search(/\.onnx:/i);
  if (at < 0) return { file: text, given: {} };
  const file = text.slice(0, at + 5);
  const given: Record<string, string> = {};
  for (const item of text.slice(at + 6).split(',').map((x) => x.trim()).filter(Boolean)) {
    const eq = item.lastIndexOf('=');
    if (eq <= 0 || eq === item.length - 1) throw new CompressInputError(`--downstream '${text}': expected model.onnx:output=input[,output=input...]`);
    given[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return { file, given };
}

/** Option names in messages from the shared parsers, renamed to the downstream options they came from. */
function asDownstream<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof CompressInputError) throw err;
    throw new CompressInputError(`${(err as Error).message.replace(/--(task|decision)\b/g, '--downstream-$1').replace(/--fidelity-floor\b/g, '--downstream-floor').replace(/^--downstream-(task|floor|decision)/, '$& (downstream model)')}`);
  }
}

/**
 * The judge with the downstream model joined: its reading settled on what it makes of the reference's
 * outputs, its outputs' floors under downstream keys. The judge unchanged without `--downstream`.
 */
export async function withDownstream(judge: Judge, o: DownstreamOptions, outputs: TensorSpec[], reference: EvalOutputs): Promise<Judge> {
  if (!o.downstream) {
    const stray = (['downstreamTask', 'downstreamDecision', 'downstreamFloor'] as const).filter((k) => list(o[k]).length);
    if (stray.length) throw new CompressInputError(`${stray.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} without --downstream: name the model the outputs feed`);
    return judge;
  }
  const { file, given } = parseDownstream(o.downstream);
  const src = readSource(file, { passes: false });
  const mapping = asDownstream(() => resolveMapping(outputs.map((x) => x.name), src.inputs, given));
  const source = { model: basename(file), bytes: src.bytes, proto: src.original, inputs: src.inputs, outputs: src.outputs, mapping, task: asDownstream(() => parseTask(list(o.downstreamTask))), decisions: asDownstream(() => parseDecisions(list(o.downstreamDecision))) };
  const downstream = await prepareDownstream(source, reference).catch((err: unknown) => {
    throw new CompressInputError(`--downstream ${file}: ${oneLine(err)}`);
  });
  const floors = asDownstream(() => floorsFor(downstream.reading.kinds, parseFloors(list(o.downstreamFloor)), downstream.reading.thresholds));
  return { ...judge, downstream, floors: { ...judge.floors, ...Object.fromEntries(Object.entries(floors).map(([n, f]) => [downstreamKey(n), f])) } };
}

/** The judge as the manifest's provenance records it: each output's kind, threshold, boxes' scores and floors; the downstream model's alike. */
export function judgeRecord(judge: Judge): Record<string, unknown> {
  const record = (reading: Pick<Judge, 'kinds' | 'thresholds' | 'boxes'>, key: (n: string) => string) =>
    Object.fromEntries(Object.entries(reading.kinds).map(([n, kind]) => [n, {
      kind,
      ...(reading.thresholds?.[n] !== undefined ? { threshold: reading.thresholds[n] } : {}),
      ...(reading.boxes?.[n] ? { boxes_of: reading.boxes[n].scores, format: reading.boxes[n].format } : {}),
      floors: (judge.floors[key(n)] ?? []).map((x) => `${x.metric}=${x.value}`),
    }]));
  const d = judge.downstream;
  return { fidelity_floors: record(judge, (n) => n), ...(d ? { downstream: { model: d.model, inputs: d.mapping, fidelity_floors: record(d.reading, downstreamKey) } } : {}) };
}

/** One log line: every output's kind and floors, e.g. "'y' regression (cosine >= 0.99, cosine_worst >= 0.95)". */
export function describeJudge(judge: Judge): string {
  const kindOf = (key: string) => {
    const d = downstreamOutput(key);
    return d === undefined ? judge.kinds[key] : `downstream ${judge.downstream?.reading.kinds[d]}`;
  };
  return Object.entries(judge.floors).map(([n, f]) => `'${downstreamOutput(n) ?? n}' ${kindOf(n)} (${f.map(describeFloor).join(', ')})`).join('; ');
}
