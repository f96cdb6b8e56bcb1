/**
 * How a model's outputs are read when a variant is compared with fp32: each output's kind (kinds.ts), the
 * threshold users compare it with (`--decision`), and for a detector the boxes paired with its scores,
 * given with `--task boxes=boxes:scores` or recognised from the shapes and the fp32 values.
 */
import type { TensorSpec } from '../../src/protocol/datatypes.js';
import type { OutputKind } from '../../src/registry/manifest.js';
import type { ModelProto } from '../onnx/types.js';
import { anchorsOf as anchorsPerSample, DEFAULT_DETECTION_THRESHOLD } from './detection.js';
import type { EvalOutputs } from './eval-run.js';
import { outputKinds, type BoxPair, type TaskSpec } from './kinds.js';
import type { StatePair } from './state-pairs.js';

/** How each output is compared: its kind, its threshold (decisions, detection), the scores its boxes belong to. */
export interface Reading {
  kinds: Record<string, OutputKind>;
  /** `--decision output=threshold`; a detection output's threshold (0.5 unless given). */
  thresholds?: Record<string, number>;
  /** Boxes output -> its detection scores output and box format. */
  boxes?: Record<string, BoxPair>;
}

/** Anchors per sample of an output whose last axis is `per` values per anchor (rank 3: [N, anchors, per]). */
function anchorsOf(spec: TensorSpec, width: number | undefined, per: (last: number) => boolean): number | undefined {
  const last = spec.shape.at(-1)!;
  if (spec.shape.length !== 3 || !per(last) || !width) return undefined;
  return width / last;
}

const probabilities = (o: EvalOutputs[string] | undefined) => !!o && o.data.length > 0 && o.data.every((x) => x >= 0 && x <= 1);

/** Boxes as corners: x2 >= x1 and y2 >= y1 for every fp32 box (raw anchor offsets are not). */
function cornerBoxes(o: EvalOutputs[string] | undefined): boolean {
  if (!o || o.data.length === 0) return false;
  for (let i = 0; i + 3 < o.data.length; i += 4) if (o.data[i + 2]! < o.data[i]! || o.data[i + 3]! < o.data[i + 1]!) return false;
  return true;
}

/**
 * Outputs `--task auto` leaves to the heuristic that form a detector: [N, A, 1|2] probabilities next to
 * exactly one [N, A, 4] of corner boxes with the same A. Both kinds are set and the pair returned.
 */
function recogniseDetectors(outputs: TensorSpec[], auto: Set<string>, reference: EvalOutputs, kinds: Record<string, OutputKind>): Record<string, BoxPair> {
  const pairs: Record<string, BoxPair> = {};
  const width = (n: string) => reference[n]?.width;
  for (const s of outputs.filter((o) => auto.has(o.name))) {
    const anchors = anchorsOf(s, width(s.name), (l) => l === 1 || l === 2);
    if (anchors === undefined || anchors < 2 || !probabilities(reference[s.name])) continue;
    const boxes = outputs.filter((b) => auto.has(b.name) && !pairs[b.name] && anchorsOf(b, width(b.name), (l) => l === 4) === anchors && cornerBoxes(reference[b.name]));
    if (boxes.length !== 1) continue;
    kinds[s.name] = 'detection';
    kinds[boxes[0]!.name] = 'boxes';
    pairs[boxes[0]!.name] = { scores: s.name, format: 'xyxy' };
  }
  return pairs;
}

/**
 * The reading of every output: kinds (explicit, else recognised detectors, else the heuristic), the boxes
 * paired with their scores, thresholds. `reference` is a fp32 run: it settles dynamic widths and tells
 * probabilities and corner boxes apart. Throws with a message naming the option.
 */
export function readingOf(model: ModelProto | undefined, inputs: TensorSpec[], outputs: TensorSpec[], task: TaskSpec, reference: EvalOutputs, decisions: Record<string, number> = {}, pairs?: readonly StatePair[]): Reading {
  const widths = Object.fromEntries(Object.entries(reference).map(([name, r]) => [name, r.width]));
  const given = task.boxes ?? {};
  // Scores named by a boxes output are detection outputs, unless --task says otherwise (refused below).
  const scoresNamed = Object.fromEntries(Object.values(given).filter((p) => task.byOutput[p.scores] === undefined).map((p) => [p.scores, 'detection' as const]));
  const unknown = Object.values(given).map((p) => p.scores).filter((n) => !outputs.some((o) => o.name === n));
  if (unknown.length) throw new Error(`--task: boxes name no output ${unknown.map((u) => `'${u}'`).join(', ')}; outputs are ${outputs.map((o) => `'${o.name}'`).join(', ')}`);
  const kinds = outputKinds(model, inputs, outputs, { ...task, byOutput: { ...task.byOutput, ...scoresNamed } }, widths, pairs);
  const auto = new Set(outputs.filter((o) => task.byOutput[o.name] === undefined && scoresNamed[o.name] === undefined && task.all === undefined && kinds[o.name] !== 'state').map((o) => o.name));
  const boxes = { ...recogniseDetectors(outputs, auto, reference, kinds), ...given };
  for (const [name, kind] of Object.entries(kinds)) {
    if (kind !== 'boxes') continue;
    const pair = boxes[name] ?? soleDetection(kinds, name, widths);
    if (!pair) throw new Error(`--task ${name}=boxes: name the detection scores the boxes belong to, e.g. --task ${name}=boxes:scores`);
    if (kinds[pair.scores] !== 'detection') throw new Error(`--task ${name}=boxes:${pair.scores}: '${pair.scores}' is ${kinds[pair.scores]}; boxes belong to detection scores`);
    const scores = reference[pair.scores];
    const anchors = scores ? anchorsPerSample(scores) : 0;
    if (scores && widths[name] !== undefined && widths[name] !== anchors * 4) throw new Error(`--task ${name}=boxes:${pair.scores}: ${widths[name]! / 4} boxes per sample for ${anchors} anchors of '${pair.scores}'`);
    boxes[name] = pair;
  }
  const thresholds: Record<string, number> = {};
  for (const [name, t] of Object.entries(decisions)) {
    const kind = kinds[name];
    if (!kind) throw new Error(`--decision: no output named '${name}'; outputs are ${outputs.map((o) => `'${o.name}'`).join(', ')}`);
    if (kind === 'state') throw new Error(`--decision ${name}: '${name}' is state, fed back into the model; decisions are made on what users read`);
    if (kind === 'boxes') throw new Error(`--decision ${name}: '${name}' holds boxes; give the threshold to its scores output '${boxes[name]!.scores}'`);
    thresholds[name] = t;
  }
  for (const [name, kind] of Object.entries(kinds)) if (kind === 'detection') thresholds[name] ??= DEFAULT_DETECTION_THRESHOLD;
  return { kinds, ...(Object.keys(thresholds).length ? { thresholds } : {}), ...(Object.keys(boxes).length ? { boxes } : {}) };
}

/** A boxes output named without its scores pairs with the only detection output, if there is one. */
function soleDetection(kinds: Record<string, OutputKind>, name: string, widths: Record<string, number>): BoxPair | undefined {
  const detections = Object.keys(kinds).filter((n) => kinds[n] === 'detection');
  return detections.length === 1 && widths[name] !== undefined ? { scores: detections[0]!, format: 'xyxy' } : undefined;
}
