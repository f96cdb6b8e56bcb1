/**
 * First-order Taylor importance (Molchanov et al. 2017): how much the loss would change if channel c were
 * zeroed, |Σ a_c·∂L/∂a_c| over each minibatch's samples and positions, summed over minibatches and over the
 * tensors a channel set is read from. The trainer gets ∂L/∂a through a gate of ones multiplied into each
 * read tensor: ∂L/∂gate_c is exactly Σ a_c·∂L/∂a_c. The loss is the cross-entropy with the labels, or with
 * the model's own answers when there are none (the distillation KL of a model with itself has no gradient).
 */
import type { ModelProto } from '../onnx/types.js';
import { trainable } from '../train/executor.js';
import { gatherRows } from '../train/finetune.js';
import type { Tf } from '../train/tf.js';
import type { ChannelSpace } from './spaces.js';
import type { Batch } from './taps.js';

/** Taylor scores for every space that is not frozen, over `rows` in minibatches of `batch`. */
export function taylorImportance(tf: Tf, m: ModelProto, spaces: readonly ChannelSpace[], rows: Batch, labels?: ArrayLike<number>, batch = 32): Map<number, Float64Array> {
  const open = spaces.filter((s) => !s.frozen);
  const reads = new Map<string, ChannelSpace>();
  for (const s of open) for (const c of s.consumed) reads.set(c.input, s);
  const gates = new Map([...reads].map(([t, s]) => [t, tf.variable(tf.ones([s.size]), true)]));
  const scores = new Map(open.map((s) => [s.id, new Float64Array(s.size)]));
  const g = trainable(tf, m);
  try {
    const n = rows.dims[0]!;
    for (let at = 0; at < n; at += batch) {
      const idx = Array.from({ length: Math.min(batch, n - at) }, (_, i) => at + i);
      const grads = tf.tidy(() => {
        const x = tf.tensor(gatherRows(rows, idx), [idx.length, ...rows.dims.slice(1)]);
        const { grads } = tf.variableGrads(() => {
          const logits = g.run(x, undefined, gates).logits;
          const y = labels ? tf.tensor1d(idx.map((i) => labels[i]!), 'int32') : tf.argMax(logits, 1);
          return tf.losses.softmaxCrossEntropy(tf.oneHot(y, logits.shape[1]!), logits) as never;
        }, [...gates.values()]);
        return [...gates.keys()].map((t) => [t, grads[gates.get(t)!.name]!.dataSync()] as const);
      });
      for (const [t, d] of grads) {
        const score = scores.get(reads.get(t)!.id)!;
        for (let c = 0; c < score.length; c++) score[c]! += Math.abs(d[c]!);
      }
    }
  } finally {
    g.release();
    for (const v of gates.values()) v.dispose();
  }
  return scores;
}
