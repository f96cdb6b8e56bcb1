/**
 * Quick fidelity checks in onnxruntime-node (in process, single thread), used while choosing the INT8 form
 * and excluding sensitive nodes. They only steer the search: the decision whether a variant is written as
 * servable is the same gate applied to its outputs in onnxruntime-web (the probe, web-gate.ts), the runtime
 * the Worker serves it in, because the two runtimes' integer kernels differ (issue 11: 0.92 here, 0.869 there).
 */
import * as ort from 'onnxruntime-node';
import { sessionOptionsFor } from '../../../src/engine/ort-session.js';
import type { VariantLoad } from '../../../src/registry/manifest.js';
import { encodeModel } from '../../onnx/io.js';
import type { ModelProto } from '../../onnx/types.js';
import { runEval, type EvalOutputs, type EvalPlan, type RunOutputs } from '../../measure/eval-run.js';
import { compareChained } from '../../measure/chain.js';
import { gate, type GateResult } from '../../measure/gate.js';
import type { Judge } from '../data/eval-set.js';
import type { Feeds } from '../data/feeds.js';

/**
 * Runs a model over the evaluation feeds in onnxruntime-node and returns every output. `load`: the variant's
 * manifest `load`, so it is scored as it is served (int8w folds its weights to fp32; without that, onnxruntime
 * fuses DequantizeLinear + MatMul into integer compute and scores int8w some 30 dB below what it serves).
 */
export async function runNode(model: ModelProto | Uint8Array, feeds: Feeds, plan: EvalPlan, load?: VariantLoad): Promise<EvalOutputs> {
  const session = await ort.InferenceSession.create(model instanceof Uint8Array ? model : encodeModel(model), sessionOptionsFor(load, { intraOpNumThreads: 1, interOpNumThreads: 1, graphOptimizationLevel: 'all' }));
  try {
    return await runEval(async (part) => {
      const input: Record<string, ort.Tensor> = {};
      for (const [name, f] of Object.entries(part)) input[name] = new ort.Tensor(f.type, f.data, f.dims);
      return (await session.run(input)) as unknown as RunOutputs;
    }, feeds, plan);
  } finally {
    await session.release();
  }
}

/** A candidate's outputs against the reference's (and what the downstream model makes of them), through the gate. */
export async function score(reference: EvalOutputs, actual: EvalOutputs, judge: Judge): Promise<GateResult> {
  const fidelity = await compareChained(reference, actual, judge, { evalSet: '', kind: 'data', samples: 1, steps: judge.plan.steps }, judge.downstream);
  return gate(fidelity, judge.floors);
}
