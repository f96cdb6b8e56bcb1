/**
 * Fidelity judged where users decide, on small models run in onnxruntime-node: a detector whose few
 * near-threshold anchors a variant moves keeps its whole-output cosine and fails the detection kind; a
 * window-wise front-end whose one quiet window a static-int8-like variant wrecks keeps its mean and fails the
 * worst-sample floor; a front-end whose variant passes its own floors flips the decision of the wake-word
 * model it feeds (chain.ts).
 */
import { describe, expect, it } from 'vitest';
import type { TensorSpec } from '../../../src/protocol/datatypes.js';
import { runNode } from '../../../tools/compress/choose/evaluate.js';
import type { Feeds } from '../../../tools/compress/data/feeds.js';
import { compareChained, prepareDownstream, resolveMapping } from '../../../tools/measure/chain.js';
import type { EvalOutputs } from '../../../tools/measure/eval-run.js';
import { compareAll } from '../../../tools/measure/fidelity.js';
import { downstreamKey, floorsFor, gate } from '../../../tools/measure/gate.js';
import { parseTask } from '../../../tools/measure/kinds.js';
import { readingOf } from '../../../tools/measure/reading.js';
import { Prng } from '../../../tools/lib/prng.js';
import { encodeModel } from '../../../tools/onnx/io.js';
import type { ModelProto } from '../../../tools/onnx/types.js';
import { DETECTOR, detectorNet, frontEndNet, wakeWordNet } from '../compress/decision-graphs.js';

const PLAN = { chunk: 16, state: [], steps: 1 };
const spec = (name: string, shape: number[]): TensorSpec => ({ name, datatype: 'FP32', shape });
const run = (m: ModelProto, feeds: Feeds) => runNode(encodeModel(m), feeds, PLAN);
const info = (samples: number) => ({ evalSet: 'test', kind: 'data' as const, samples });

/** 48 windows of 32 samples at a normal level; window 20 quiet (1/20 of it). */
function windows(quiet = 20): Feeds {
  const frames = new Prng(9).fillUniform(new Float32Array(48 * 32), 1).map((v, i) => v * (Math.floor(i / 32) === quiet ? 1 : 20));
  return { frames: { type: 'float32', dims: [48, 32], data: frames } };
}

describe('a detector judged by its detections', () => {
  const { anchors: A, features: F } = DETECTOR;
  const feeds: Feeds = { x: { type: 'float32', dims: [8, F], data: new Prng(3).fillUniform(new Float32Array(8 * F), 1) } };
  const outputs = [spec('scores', [-1, A, 1]), spec('boxes', [-1, A, 4])];

  it('is recognised from its shapes and values, and fails the variant that moves its near-threshold anchors while the cosine over every score passes', async () => {
    const reference = await run(detectorNet(), feeds);
    const variant = await run(detectorNet({ nearShift: 0.7 }), feeds);
    // Read as before, every raw score and box coordinate a regression output: it passes its floors.
    const before = { scores: 'regression', boxes: 'regression' } as const;
    const asBefore = compareAll(reference, variant, { kinds: before }, info(8));
    expect(gate(asBefore, floorsFor(before, [])).passes).toBe(true);
    expect(asBefore.outputs!['scores']!.cosine!).toBeGreaterThan(0.99);

    const reading = readingOf(detectorNet(), [spec('x', [-1, F])], outputs, parseTask(['auto']), reference);
    expect(reading).toMatchObject({ kinds: { scores: 'detection', boxes: 'boxes' }, thresholds: { scores: 0.5 }, boxes: { boxes: { scores: 'scores' } } });
    const f = compareAll(reference, variant, reading, info(8));
    const d = f.outputs!['scores']!.detection!;
    expect(d.flips).toBeGreaterThan(8);
    expect(d.near_err_max).toBeGreaterThan(0.15);
    expect(f.outputs!['boxes']!.boxes).toMatchObject({ matched: expect.any(Number), iou_worst: expect.closeTo(1, 3) });
    const verdict = gate(f, floorsFor(reading.kinds, [], reading.thresholds));
    expect(verdict.passes).toBe(false);
    expect(verdict.failures.join('; ')).toMatch(/'scores' flips 0\.\d+ > 0\.05; 'scores' near 0\.1\d+ > 0\.1/);
  });

  it('passes the unchanged detector with no flips and IoU 1', async () => {
    const reference = await run(detectorNet(), feeds);
    const reading = readingOf(detectorNet(), [spec('x', [-1, F])], outputs, parseTask(['auto']), reference);
    const f = compareAll(reference, await run(detectorNet(), feeds), reading, info(8));
    expect(gate(f, floorsFor(reading.kinds, [], reading.thresholds)).passes).toBe(true);
    expect(f.outputs!['boxes']!.boxes).toMatchObject({ iou_mean: 1, iou_worst: 1 });
  });
});

describe('a window-wise front-end judged by its worst window', () => {
  it('keeps the whole-set cosine above 0.99 and fails the worst-window floor when one quiet window loses its shape', async () => {
    const reference = await run(frontEndNet(), windows());
    const variant = await run(frontEndNet(0.5), windows());
    const f = compareAll(reference, variant, { kinds: { log_mel: 'regression' } }, info(48));
    const mel = f.outputs!['log_mel']!;
    expect(mel.cosine!).toBeGreaterThan(0.99);
    expect(mel.cosine_worst!).toBeLessThan(0.95);
    expect(mel.worst_sample).toMatchObject({ cosine: 20 });
    // The gate before worst samples held the mean alone, and passed it.
    expect(gate(f, { log_mel: [{ metric: 'cosine', value: 0.99 }] }).passes).toBe(true);
    expect(gate(f, floorsFor({ log_mel: 'regression' }, [])).failures).toEqual([expect.stringMatching(/^'log_mel' cosine_worst 0\.\d+ < 0\.95$/)]);
  });
});

describe('a front-end judged by the wake-word model it feeds', () => {
  /** The wake-word threshold between fp32's and the variant's score of the window the variant moved most. */
  function centreBetween(reference: EvalOutputs, variant: EvalOutputs): number {
    const mean = (o: EvalOutputs, s: number) => o['log_mel']!.data.slice(s * 40, s * 40 + 40).reduce((a, b) => a + b, 0) / 40;
    let worst = 0;
    for (let s = 1; s < 48; s++) if (Math.abs(mean(variant, s) - mean(reference, s)) > Math.abs(mean(variant, worst) - mean(reference, worst))) worst = s;
    return (mean(reference, worst) + mean(variant, worst)) / 2;
  }

  it('fails a variant that passes its own floors when the downstream decision flips, and records the downstream fidelity', async () => {
    const feeds = windows(-1);
    const reference = await run(frontEndNet(), feeds);
    const variant = await run(frontEndNet(0.5), feeds);
    const own = compareAll(reference, variant, { kinds: { log_mel: 'regression' } }, info(48));
    const floors = floorsFor({ log_mel: 'regression' }, []);
    expect(gate(own, floors).passes).toBe(true);

    const kws = wakeWordNet(centreBetween(reference, variant), 400);
    const mapping = resolveMapping(['log_mel'], [spec('features', [-1, 40])], { log_mel: 'features' });
    const downstream = await prepareDownstream({ model: 'kws.onnx', bytes: encodeModel(kws), proto: kws, inputs: [spec('features', [-1, 40])], outputs: [spec('score', [-1, 1])], mapping, task: parseTask(['auto']), decisions: { score: 0.5 } }, reference);
    const f = await compareChained(reference, variant, { kinds: { log_mel: 'regression' } }, info(48), downstream);
    expect(f.downstream).toMatchObject({ model: 'kws.onnx', inputs: { features: 'log_mel' }, samples: 48 });
    const score = f.downstream!.outputs['score']!;
    expect(score.kind).toBe('scalar');
    expect(score.decision!.flips).toBeGreaterThanOrEqual(1);
    const down = floorsFor(downstream.reading.kinds, [], downstream.reading.thresholds);
    const verdict = gate(f, { ...floors, [downstreamKey('score')]: down['score']! });
    expect(verdict.passes).toBe(false);
    expect(verdict.failures).toContainEqual(expect.stringMatching(/^downstream 'score' flips 0\.0\d+ > 0\.01$/));
    // The unchanged front-end flips nothing downstream.
    const same = await compareChained(reference, await run(frontEndNet(), feeds), { kinds: { log_mel: 'regression' } }, info(48), downstream);
    expect(same.downstream!.outputs['score']!.decision).toMatchObject({ flips: 0, flip_rate: 0 });
  });
});
