/**
 * Outputs judged by the decisions users make on them (decision.ts, detection.ts) and how they are found
 * (kinds.ts `--task`, reading.ts): a detector whose few near-threshold anchors move keeps a whole-output
 * cosine above its floor and fails the detection floors; a score crossing a threshold flips a decision.
 */
import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { compareDecisions, parseDecisions } from '../../../tools/measure/decision.js';
import { anchorScores, compareBoxes, compareDetection, iou } from '../../../tools/measure/detection.js';
import { compareAll } from '../../../tools/measure/fidelity.js';
import { floorsFor, gate, parseFloors } from '../../../tools/measure/gate.js';
import { parseTask } from '../../../tools/measure/kinds.js';
import { readingOf } from '../../../tools/measure/reading.js';

const spec = (name: string, shape: number[]): TensorSpec => ({ name, datatype: 'FP32', shape });
const out = (data: ArrayLike<number>, width: number, last = width) => ({ width, last, data: Float32Array.from(data) });

/** 4 images x 500 anchors: background near 0, 6 faces at 0.9 per image, 4 anchors near 0.5 per image. */
function detector(nudge: number) {
  const A = 500;
  const ref = new Float32Array(4 * A);
  const boxes = new Float32Array(4 * A * 4);
  for (let i = 0; i < ref.length; i++) {
    const k = i % A;
    ref[i] = k < 6 ? 0.9 : k < 10 ? [0.44, 0.47, 0.53, 0.56][k - 6]! : 0.01 * ((i * 7) % 3);
    boxes.set([k, k, k + 10, k + 12], i * 4);
  }
  // The variant moves the near-threshold anchors by `nudge` (up for the two below 0.5, down for the two above).
  const act = ref.map((x, i) => (i % A >= 6 && i % A < 10 ? x + (x < 0.5 ? nudge : -nudge) : x));
  return { ref: out(ref, A, 1), act: out(act, A, 1), boxes: out(boxes, A * 4, 4) };
}

describe('detection outputs', () => {
  it('fails a variant that moves a few near-threshold anchors though the cosine over every score passes', () => {
    const d = detector(0.15);
    const asRegression = compareAll({ scores: d.ref }, { scores: d.act }, { kinds: { scores: 'regression' } }, { evalSet: 'x', samples: 4 });
    expect(gate(asRegression, floorsFor({ scores: 'regression' }, [])).passes).toBe(true);
    const reading = { kinds: { scores: 'detection' as const }, thresholds: { scores: 0.5 } };
    const f = compareAll({ scores: d.ref }, { scores: d.act }, reading, { evalSet: 'x', samples: 4 });
    expect(f.outputs!['scores']!.detection).toMatchObject({ threshold: 0.5, anchors: 500, detections: 32, flips: 16, near_err_max: expect.closeTo(0.15, 5) });
    const verdict = gate(f, floorsFor(reading.kinds, [], reading.thresholds));
    expect(verdict.passes).toBe(false);
    expect(verdict.failures).toEqual([expect.stringMatching(/^'scores' flips 0\.4 > 0\.05$/), expect.stringMatching(/^'scores' near 0\.15 > 0\.1$/)]);
  });

  it('passes noise that flips no anchor and stays small near the threshold', () => {
    const d = detector(0.005);
    const f = compareDetection(d.ref, d.act, 0.5);
    expect(f).toMatchObject({ flips: 0, flip_rate: 0, near: 16 });
    expect(f.near_err_max).toBeCloseTo(0.005, 5);
  });

  it('scores [N, A, 2] anchors by their foreground column, and counts each sample\'s flips', () => {
    const scores = out([0.9, 0.1, 0.3, 0.7, 0.5, 0.5], 6, 2);
    expect(Array.from(anchorScores(scores).scores)).toEqual([expect.closeTo(0.1, 6), expect.closeTo(0.7, 6), 0.5]);
    const act = out([0.9, 0.1, 0.7, 0.3, 0.5, 0.5], 6, 2);
    expect(compareDetection(scores, act, 0.5)).toMatchObject({ anchors: 3, detections: 2, flips: 1, flip_rate: 0.5, flip_rate_worst: 0.5 });
  });

  it('compares the boxes both sides keep by IoU, in the format named', () => {
    expect(iou([0, 0, 10, 10], [5, 0, 15, 10])).toBeCloseTo(50 / 150, 6);
    const scores = out([0.9, 0.9, 0.1], 3, 1);
    const ref = out([0, 0, 10, 10, 0, 0, 4, 4, 0, 0, 1, 1], 12, 4);
    const act = out([0, 0, 10, 10, 2, 0, 4, 4, 9, 9, 1, 1], 12, 4);
    expect(compareBoxes({ ref, act }, { name: 's', ref: scores, act: scores }, 0.5, 'xyxy')).toEqual({ scores: 's', format: 'xyxy', matched: 2, iou_mean: 0.75, iou_worst: 0.5 });
    // The same numbers as centre and size: the second box shifts by 2 of its width 4.
    expect(compareBoxes({ ref, act }, { name: 's', ref: scores, act: scores }, 0.5, 'cxcywh')).toMatchObject({ matched: 2, iou_worst: expect.closeTo(2 / 6, 6) });
  });
});

describe('decisions on a threshold', () => {
  it('counts decisions that flip per sample, at or above the threshold being positive', () => {
    // 3 samples x 2 values; sample 1 flips one of two, sample 2 both.
    const d = compareDecisions(Float32Array.from([0.9, 0.1, 0.52, 0.1, 0.5, 0.4]), Float32Array.from([0.8, 0.2, 0.48, 0.1, 0.49, 0.6]), 2, 0.5);
    expect(d).toEqual({ threshold: 0.5, decisions: 6, flips: 3, flip_rate: 0.5, flip_rate_worst: 1, flipped_samples: 2 });
  });

  it('records decisions next to the kind\'s own metric and holds them to flips=0.01 by default', () => {
    const ref = { p: out([0.1, 0.3, 0.55, 0.9], 1) };
    const act = { p: out([0.1, 0.3, 0.45, 0.9], 1) };
    const reading = { kinds: { p: 'scalar' as const }, thresholds: { p: 0.5 } };
    const f = compareAll(ref, act, reading, { evalSet: 'x', samples: 4 });
    expect(f.outputs!['p']).toMatchObject({ mean_rel_err: expect.any(Number), decision: { flips: 1, flip_rate: 0.25 } });
    const floors = floorsFor(reading.kinds, [], reading.thresholds);
    expect(floors['p']).toEqual([{ metric: 'rel', value: 0.05 }, { metric: 'flips', value: 0.01 }]);
    expect(gate(f, floors).failures).toContain("'p' flips 0.25 > 0.01");
    expect(floorsFor(reading.kinds, parseFloors(['flips=0.3']), reading.thresholds)['p']).toContainEqual({ metric: 'flips', value: 0.3 });
  });

  it('refuses a flips floor for outputs without a decision, and malformed --decision values', () => {
    expect(() => floorsFor({ y: 'regression' }, parseFloors(['flips=0.01']))).toThrow(/flips: applies to no output \(outputs: 'y' regression; set kinds with --task, thresholds with --decision\)/);
    expect(() => floorsFor({ y: 'regression' }, parseFloors(['y:near=0.1']))).toThrow(/output 'y' is regression; near judges detection/);
    expect(parseDecisions(['score=0.5,p=0.3'])).toEqual({ score: 0.5, p: 0.3 });
    expect(() => parseDecisions(['score'])).toThrow(/--decision 'score': expected output=threshold/);
    expect(() => parseDecisions(['score=high'])).toThrow(/expected output=threshold/);
  });
});

describe('reading detectors', () => {
  const outputs = [spec('scores', [-1, 200, 2]), spec('boxes', [-1, 200, 4])];
  const corners = out(Array.from({ length: 800 }, (_, i) => (i % 4 < 2 ? 0 : 1)), 800, 4);
  const probs = out(Array.from({ length: 400 }, (_, i) => (i % 2 ? 0.2 : 0.8)), 400, 2);

  it('recognises probabilities [N, A, 2] next to corner boxes [N, A, 4] as a detector with threshold 0.5', () => {
    expect(readingOf(undefined, [], outputs, parseTask(['auto']), { scores: probs, boxes: corners })).toEqual({
      kinds: { scores: 'detection', boxes: 'boxes' }, thresholds: { scores: 0.5 }, boxes: { boxes: { scores: 'scores', format: 'xyxy' } },
    });
  });

  it('leaves raw offsets and unbounded scores to the heuristic', () => {
    const offsets = out(Array.from({ length: 800 }, (_, i) => (i % 4 === 2 ? -0.3 : 0.1)), 800, 4);
    expect(readingOf(undefined, [], outputs, parseTask(['auto']), { scores: probs, boxes: offsets }).kinds).toEqual({ scores: 'regression', boxes: 'regression' });
    const logits = out(Array.from({ length: 400 }, (_, i) => (i % 2 ? -3 : 3)), 400, 2);
    expect(readingOf(undefined, [], outputs, parseTask(['auto']), { scores: logits, boxes: corners }).kinds['scores']).not.toBe('detection');
  });

  it('takes --task boxes=boxes:scores:format and a --decision threshold for the scores', () => {
    const t = parseTask(['loc=boxes:conf:cxcywh']);
    expect(t.boxes).toEqual({ loc: { scores: 'conf', format: 'cxcywh' } });
    const r = readingOf(undefined, [], [spec('conf', [-1, 200, 1]), spec('loc', [-1, 200, 4])], t, { conf: out(new Array(200).fill(3), 200, 1), loc: corners }, { conf: 0.3 });
    expect(r).toEqual({ kinds: { conf: 'detection', loc: 'boxes' }, thresholds: { conf: 0.3 }, boxes: { loc: { scores: 'conf', format: 'cxcywh' } } });
    expect(parseTask(['b=boxes:Identity:0']).boxes).toEqual({ b: { scores: 'Identity:0', format: 'xyxy' } });
  });

  it('refuses boxes without scores, thresholds on state or boxes, and partners on other kinds', () => {
    const refs = { scores: probs, boxes: corners };
    expect(() => readingOf(undefined, [], outputs, parseTask(['boxes=boxes']), refs)).toThrow(/name the detection scores the boxes belong to/);
    expect(() => readingOf(undefined, [], outputs, parseTask(['boxes=boxes:nope']), refs)).toThrow(/boxes name no output 'nope'/);
    expect(() => readingOf(undefined, [], outputs, parseTask(['auto']), refs, { boxes: 0.5 })).toThrow(/give the threshold to its scores output 'scores'/);
    expect(() => readingOf(undefined, [], outputs, parseTask(['auto']), refs, { nope: 0.5 })).toThrow(/--decision: no output named 'nope'/);
    expect(() => parseTask(['scores=detection:boxes'])).toThrow(/only boxes name another output/);
  });
});
