/**
 * The distillation loss: α·CE(student, y) + (1−α)·T²·KL(softmax(t/T) ‖ softmax(s/T)), mean over the batch
 * (Hinton et al. 2015; the T² keeps the soft term's gradient on the scale of the hard one as T grows).
 * Without labels only the KL term is used (α taken as 0): unlabelled data is enough to follow a teacher.
 */
import type { Tf } from './tf.js';
import type * as TfTypes from '@tensorflow/tfjs';

/** Loss settings. */
export interface DistillSettings {
  /** Weight of the cross-entropy with the labels, in [0, 1]. */
  alpha: number;
  /** Softmax temperature of the soft term. */
  temperature: number;
}

/** The batch-mean distillation loss of student logits `s` against teacher logits `t` ([N, K]), labels optional. */
export function distillLoss(tf: Tf, s: TfTypes.Tensor, t: TfTypes.Tensor, labels: TfTypes.Tensor | undefined, o: DistillSettings): TfTypes.Scalar {
  const T = o.temperature;
  const alpha = labels ? o.alpha : 0;
  const logPs = tf.logSoftmax(tf.div(s, T));
  const logPt = tf.logSoftmax(tf.div(t, T));
  const kl = tf.mean(tf.sum(tf.mul(tf.exp(logPt), tf.sub(logPt, logPs)), -1));
  const soft = tf.mul(kl, T * T);
  if (!labels || alpha === 0) return soft as TfTypes.Scalar;
  const ce = tf.neg(tf.mean(tf.sum(tf.mul(tf.oneHot(labels, s.shape[1]!), tf.logSoftmax(s)), -1)));
  return tf.add(tf.mul(ce, alpha), tf.mul(soft, 1 - alpha)) as TfTypes.Scalar;
}
