/**
 * Which engine trains fastest on this machine: the repo's hand-written MLP trainer (tools/models/mnist/mlp.ts,
 * Float32Array loops that skip zero inputs) against TensorFlow.js 4.22.0 on its pure-JS CPU backend and on its
 * WASM backend (XNNPACK kernels shipped in the npm package), one Adam step of the same MLP on the same batch
 * of real MNIST digits, interleaved in rounds so load from other processes lands on all three alike.
 * Usage: npx tsx bench/trainers.ts [--rounds 5] [--sizes 784-1024-1024-10] [--batch 32]
 * Prints a table and writes bench/results/trainers.json.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { Prng } from '../tools/lib/prng.js';
import { loadAllDigits, PIXELS } from '../tools/lib/digits.js';
import { Adam, initMlp, parameters, trainBatch } from '../tools/models/mnist/mlp.js';
import { loadTf } from '../tools/train/tf.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : dflt;
};
const rounds = Number(arg('rounds', '5'));
const sizes = arg('sizes', '784-1024-1024-10').split('-').map(Number);
const batch = Number(arg('batch', '32'));
const stepsPerRound = 3;

const digits = loadAllDigits();
const x = digits.pixels.subarray(0, batch * PIXELS);
const labels = Array.from(digits.labels.subarray(0, batch));

const layers = initMlp(sizes, new Prng(1));
const adam = new Adam(parameters(layers));
const handStep = () => adam.step(trainBatch(layers, x, labels, batch).grads);

const tf = await loadTf('cpu');
async function tfStep(backend: 'cpu' | 'wasm') {
  await tf.setBackend(backend);
  const init = initMlp(sizes, new Prng(1));
  const vars = init.flatMap((l) => [tf.variable(tf.tensor2d(l.weight, [l.inputs, l.outputs])), tf.variable(tf.tensor1d(l.bias))]);
  const xt = tf.tensor2d(x, [batch, sizes[0]!]);
  const yt = tf.oneHot(tf.tensor1d(labels, 'int32'), sizes.at(-1)!);
  const opt = tf.train.adam(1e-3);
  return () => tf.tidy(() => {
    opt.minimize(() => {
      let a: ReturnType<typeof tf.matMul> = xt;
      for (let l = 0; l < init.length; l++) {
        a = tf.add(tf.matMul(a, vars[2 * l]!), vars[2 * l + 1]!);
        if (l < init.length - 1) a = tf.relu(a);
      }
      return tf.losses.softmaxCrossEntropy(yt, a) as ReturnType<typeof tf.scalar>;
    });
  });
}
const engines: { name: string; backend?: 'cpu' | 'wasm'; step: () => void }[] = [
  { name: 'hand-written (mlp.ts)', step: handStep },
  { name: 'tfjs cpu', backend: 'cpu', step: await tfStep('cpu') },
  { name: 'tfjs wasm', backend: 'wasm', step: await tfStep('wasm') },
];
const times = new Map(engines.map((e) => [e.name, [] as number[]]));
for (const e of engines) { if (e.backend) await tf.setBackend(e.backend); e.step(); }
for (let r = 0; r < rounds; r++) {
  for (const e of [...engines.slice(r % 3), ...engines.slice(0, r % 3)]) {
    if (e.backend) await tf.setBackend(e.backend);
    for (let s = 0; s < stepsPerRound; s++) {
      const t0 = performance.now();
      e.step();
      times.get(e.name)!.push(performance.now() - t0);
    }
  }
}
const median = (a: number[]) => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;
const macs = sizes.slice(1).reduce((s, n, i) => s + n * sizes[i]!, 0) * batch * 3;
const rows = engines.map((e) => ({ engine: e.name, median_ms: Math.round(median(times.get(e.name)!) * 10) / 10, steps: times.get(e.name)!.length }));
const base = rows[0]!.median_ms;
console.log(`MLP ${sizes.join('-')}, batch ${batch}, one Adam step (~${(macs / 1e6).toFixed(0)} M multiply-adds), median of ${rounds * stepsPerRound} interleaved steps`);
for (const r of rows) console.log(`${r.engine.padEnd(24)} ${String(r.median_ms).padStart(8)} ms  ${(base / r.median_ms).toFixed(2)}x the hand-written speed  ${(macs / r.median_ms / 1e6).toFixed(2)} GMAC/s`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/trainers.json', `${JSON.stringify({ sizes, batch, rounds, rows, measured_at: new Date().toISOString() }, null, 2)}\n`);
