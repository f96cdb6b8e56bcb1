/**
 * Student architectures from a short spec, built as ONNX graphs with seeded He-uniform weights, so the
 * distiller trains them through the same executor as a pruned model and writes them the same way. The
 * student keeps the teacher's input and output names, and ends in a Softmax when the teacher does.
 *   mlp:784-128-10            MatMul + Add (+ Relu between layers); first and last sizes must match the teacher
 *   cnn:c8s2-c16-p-c32-g      per token: cN[sS] Conv 3x3 (pad 1, stride S) + BatchNorm + Relu with N channels,
 *                             d[sS] depthwise 3x3 + BatchNorm + Relu, p MaxPool 2x2, g GlobalAveragePool;
 *                             then Flatten + Gemm to the teacher's classes
 */
import { Prng } from '../lib/prng.js';
import { floatTensor, model, node } from '../onnx/build.js';
import type { ModelProto, NodeProto, TensorProto, ValueInfoProto } from '../onnx/types.js';

/** What the student must match: the teacher's input and output, and whether it ends in a Softmax. */
export interface StudentFrame {
  input: ValueInfoProto;
  output: ValueInfoProto;
  /** Per-sample input dims (without the batch axis). */
  sample: number[];
  classes: number;
  softmax: boolean;
}

const heUniform = (prng: Prng, n: number, fanIn: number) => prng.fillUniform(new Float32Array(n), Math.sqrt(6 / fanIn));

/** Parses and builds a student; throws one line on a malformed spec. */
export function buildStudent(spec: string, frame: StudentFrame, seed: number): ModelProto {
  const [kind, body = ''] = spec.split(':');
  const prng = new Prng(seed);
  const nodes: NodeProto[] = [];
  const inits: TensorProto[] = [];
  const logits = frame.softmax ? 'student.logits' : frame.output.name;
  if (kind === 'mlp') {
    const sizes = body.split('-').map(Number);
    if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s <= 0)) throw new Error(`--distill ${spec}: expected mlp:<in>-<hidden>...-<out>`);
    const flat = frame.sample.reduce((a, b) => a * b, 1);
    if (sizes[0] !== flat || sizes.at(-1) !== frame.classes) throw new Error(`--distill ${spec}: the teacher takes ${flat} inputs and gives ${frame.classes} classes`);
    let x = frame.input.name;
    if (frame.sample.length > 1) { nodes.push(node('Flatten', [x], ['student.flat'], 'student/flatten', { axis: 1 })); x = 'student.flat'; }
    for (let l = 0; l + 1 < sizes.length; l++) {
      const [k, n] = [sizes[l]!, sizes[l + 1]!];
      const last = l + 2 === sizes.length;
      inits.push(floatTensor(`fc${l}.weight`, [k, n], heUniform(prng, k * n, k)), floatTensor(`fc${l}.bias`, [n], new Float32Array(n)));
      nodes.push(node('MatMul', [x, `fc${l}.weight`], [`fc${l}.mm`], `fc${l}/MatMul`), node('Add', [`fc${l}.mm`, `fc${l}.bias`], [last ? logits : `fc${l}.out`], `fc${l}/Add`));
      if (!last) { nodes.push(node('Relu', [`fc${l}.out`], [`fc${l}.relu`], `fc${l}/Relu`)); x = `fc${l}.relu`; }
    }
  } else if (kind === 'cnn') {
    if (frame.sample.length !== 3) throw new Error(`--distill ${spec}: a cnn student needs an image input [C,H,W]; the teacher's is [${frame.sample.join(',')}]`);
    let [x, c] = [frame.input.name, frame.sample[0]!];
    body.split('-').forEach((tok, i) => {
      const m = /^(c(\d+)|d|p|g)(?:s(\d+))?$/.exec(tok);
      if (!m) throw new Error(`--distill ${spec}: token '${tok}' is not cN[sS], d[sS], p or g`);
      const y = `s${i}`;
      const stride = Number(m[3] ?? 1);
      if (m[1] === 'p') nodes.push(node('MaxPool', [x], [y], `${y}/pool`, { kernel_shape: [2, 2], strides: [2, 2] }));
      else if (m[1] === 'g') nodes.push(node('GlobalAveragePool', [x], [y], `${y}/gap`));
      else {
        const depthwise = m[1] === 'd';
        const out = depthwise ? c : Number(m[2]);
        const fanIn = (depthwise ? 1 : c) * 9;
        inits.push(floatTensor(`${y}.w`, [out, depthwise ? 1 : c, 3, 3], heUniform(prng, out * fanIn, fanIn)));
        inits.push(floatTensor(`${y}.bn.scale`, [out], new Float32Array(out).fill(1)), floatTensor(`${y}.bn.bias`, [out], new Float32Array(out)));
        inits.push(floatTensor(`${y}.bn.mean`, [out], new Float32Array(out)), floatTensor(`${y}.bn.var`, [out], new Float32Array(out).fill(1)));
        nodes.push(node('Conv', [x, `${y}.w`], [`${y}.conv`], `${y}/conv`, { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [stride, stride], group: depthwise ? c : 1 }));
        nodes.push(node('BatchNormalization', [`${y}.conv`, `${y}.bn.scale`, `${y}.bn.bias`, `${y}.bn.mean`, `${y}.bn.var`], [`${y}.bn`], `${y}/bn`, { epsilon: { float: 1e-5 } }));
        nodes.push(node('Relu', [`${y}.bn`], [y], `${y}/relu`));
        c = out;
      }
      x = y;
    });
    nodes.push(node('Flatten', [x], ['student.flat'], 'student/flatten', { axis: 1 }));
    // The Flatten's width is known only after the run that measures shapes; a GlobalAveragePool last makes it c.
    if (!body.endsWith('g')) throw new Error(`--distill ${spec}: end a cnn spec with g (GlobalAveragePool) so the classifier's width is the channel count`);
    inits.push(floatTensor('head.w', [frame.classes, c], heUniform(prng, frame.classes * c, c)), floatTensor('head.b', [frame.classes], new Float32Array(frame.classes)));
    nodes.push(node('Gemm', ['student.flat', 'head.w', 'head.b'], [logits], 'head/gemm', { transB: 1 }));
  } else throw new Error(`--distill ${spec}: unknown student kind '${kind}' (mlp:... or cnn:...)`);
  if (frame.softmax) nodes.push(node('Softmax', [logits], [frame.output.name], 'student/softmax', { axis: 1 }));
  return model({ name: `student_${kind}`, node: nodes, initializer: inits, input: [frame.input], output: [frame.output] }, `student ${spec} distilled by tools/prune/run.ts`);
}
