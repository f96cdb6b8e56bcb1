/**
 * The distillation loss against values worked out by hand: α·CE + (1−α)·T²·KL(teacher ‖ student) at
 * temperature T, the KL term alone without labels, and zero when the student already is the teacher.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTf, type Tf } from '../../tools/train/tf.js';
import { distillLoss } from '../../tools/train/loss.js';

let tf: Tf;
beforeAll(async () => { tf = await loadTf('cpu'); });

const softmax = (z: number[], T = 1) => { const e = z.map((v) => Math.exp(v / T)); const s = e.reduce((a, b) => a + b); return e.map((v) => v / s); };

describe('distillation loss', () => {
  it('is T^2 times KL(teacher || student) at temperature T without labels', () => {
    // s = [1, 2, 3], t = [3, 2, 1], T = 2: p_t = softmax([1.5, 1, .5]) = [.5065, .3072, .1863], p_s reversed;
    // KL = .5065 ln(.5065/.1863) + .3072 ln 1 + .1863 ln(.1863/.5065) = (.5065 - .1863) * ln(.5065/.1863) = .3203
    const loss = distillLoss(tf, tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[3, 2, 1]]), undefined, { alpha: 0.7, temperature: 2 });
    expect(loss.dataSync()[0]).toBeCloseTo(4 * 0.3202, 3);
  });

  it('adds alpha times the cross-entropy with the label, averaged over the batch', () => {
    const s = [[1, 2, 3], [0, 0, 0]];
    const t = [[3, 2, 1], [0, 1, 0]];
    const y = [2, 1];
    const T = 2;
    const expected = s.map((row, i) => {
      const [ps, pt] = [softmax(row, T), softmax(t[i]!, T)];
      const kl = pt.reduce((k, p, c) => k + p * Math.log(p / ps[c]!), 0);
      const ce = -Math.log(softmax(row)[y[i]!]!);
      return 0.25 * ce + 0.75 * T * T * kl;
    });
    const loss = distillLoss(tf, tf.tensor2d(s), tf.tensor2d(t), tf.tensor1d(y, 'int32'), { alpha: 0.25, temperature: T });
    expect(loss.dataSync()[0]).toBeCloseTo((expected[0]! + expected[1]!) / 2, 5);
    // Row 1 by hand: CE = ln 3 = 1.0986 (uniform student), so it contributes 0.25 * 1.0986 plus its KL part.
    expect(expected[1]).toBeGreaterThan(0.25 * Math.log(3));
  });

  it('is zero when the student matches the teacher and there are no labels', () => {
    const loss = distillLoss(tf, tf.tensor2d([[0.3, -1, 2]]), tf.tensor2d([[0.3, -1, 2]]), undefined, { alpha: 0.5, temperature: 4 });
    expect(Math.abs(loss.dataSync()[0]!)).toBeLessThan(1e-6);
  });
});
