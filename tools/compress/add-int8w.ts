/**
 * Adding the int8w variant to a model the compress pipeline made earlier, without remaking the others: their
 * files, sha256 and profiles stay as committed; only `variants.int8w` (measured in onnxruntime-web and gated
 * like int8, see gateWeightOnly) and its recipe join the manifest. `npm run models` then rebuilds
 * int8w.onnx from that recipe like the other variants, checking its sha256.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelManifest, type Variant } from '../../src/registry/manifest.js';
import { sha256 } from '../lib/sha256.js';
import { encodeFeeds, measureVariants } from '../measure/variants.js';
import { encodeModel, writeFileAtomic } from '../onnx/io.js';
import { runNode } from './choose/evaluate.js';
import { evaluationSets, judgeOf } from './data/eval-set.js';
import { chooseWeightOnly } from './choose/int8w.js';
import { toWeightOnlyInt8 } from './passes/int8-weight-only.js';
import type { CompressOptions } from './pipeline.js';
import { latencyShapes } from './data/shapes.js';
import { CompressInputError } from './failure.js';
import { readSource } from './source/read.js';
import { INT8W_LOAD, int8wMethod, passInput, weightOnlyRecipe, type Recipe } from './passes/recipe.js';
import { gateWeightOnly, type WeightOnlyVerdict } from './choose/web-gate.js';

/**
 * Adds int8w to `models/<o.name>/` made earlier by the compress pipeline with the same options `o`: builds it
 * from the recorded normalization (opset upgrade), measures it against the folder's fp32 file on the same
 * evaluation set, gates it, and writes int8w.onnx and the manifest. Returns the verdict (nothing is written
 * below the floor) and the variant.
 */
export async function addWeightOnly(o: CompressOptions, log: (line: string) => void = () => {}): Promise<{ verdict: WeightOnlyVerdict; variant?: Variant }> {
  const dir = join(o.modelsDir, o.name);
  const manifestPath = join(dir, 'manifest.json');
  const raw = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, Record<string, unknown>>;
  const manifest = ModelManifest.parse(raw);
  const prov = manifest.provenance as { source_sha256?: string; recipe?: Recipe };
  const src = readSource(o.input);
  if (prov.source_sha256 !== sha256(src.bytes) || !prov.recipe) throw new CompressInputError(`${o.input} is not the source ${dir} was compressed from (sha256 or recipe differ): rerun its models: script`);
  // The evaluation set and output comparison of the compress pipeline (pipeline.ts), so the numbers compare.
  const inputs = src.inputs;
  const sets = evaluationSets(o, inputs, src.outputs, src.model.graph);
  const { evalFeeds, labels } = sets;
  const reference = await runNode(src.bytes, evalFeeds, sets.plan);
  const judge = judgeOf(src.model, inputs, src.outputs, o, reference, sets.plan);
  const latency = latencyShapes(inputs, o);

  const model = passInput(src.model, prov.recipe);
  const progress = { step: log, tick() {}, log };
  const { recipe } = await chooseWeightOnly({ model, reference, evalFeeds, judge, recipe: weightOnlyRecipe(o), autoExclude: o.int8wAutoExclude ?? o.autoExclude, maxExclude: o.maxExclude, progress });
  const built = toWeightOnlyInt8(model, new Set(recipe.exclude), recipe.min_elements);
  const bytes = encodeModel(built.model);
  log(`int8w: ${built.report.quantized.length} weights int8, ${recipe.exclude.length} node(s) kept fp32, ${bytes.length} bytes (${(bytes.length / src.bytes.length).toFixed(3)}x fp32)`);

  const work = mkdtempSync(join(tmpdir(), 'int8w-'));
  try {
    copyFileSync(join(dir, manifest.variants.fp32!.file), join(work, 'fp32.onnx'));
    writeFileAtomic(join(work, 'int8w.onnx'), bytes);
    const measured = await measureVariants({
      dir: work, inputs,
      variants: [{ name: 'fp32', method: 'reference' }, { name: 'int8w', method: int8wMethod(built.report, recipe), load: INT8W_LOAD }],
      evalFeeds: encodeFeeds(evalFeeds), evalSet: manifest.variants.fp32!.fidelity.eval_set, evalSetKind: sets.kind, width: 1,
      ...(labels ? { labels } : {}), kinds: judge.kinds, reading: judge, ...(judge.downstream ? { downstream: judge.downstream } : {}), evalPlan: sets.plan, batches: latency.shapes.map((s) => s.items), shapes: latency.shapes,
      warmup: o.warmup, runs: o.runs, budgetMsPerPoint: o.budgetMs, seq: 1, intHigh: o.intHigh, domains: sets.domains, floatRange: o.inputRange, runtimeNote: latency.note, item: latency.item, log,
    });
    const variant = measured.int8w!;
    const verdict = gateWeightOnly(variant.fidelity, judge.floors);
    log(`int8w: ${verdict.check}: ${verdict.status}`);
    if (verdict.status !== 'served') return { verdict };
    writeFileAtomic(join(dir, variant.file), bytes);
    // The committed JSON as it was, plus int8w: the other variants' entries are not rewritten.
    const next = {
      ...raw,
      variants: { ...raw['variants'], int8w: variant },
      provenance: { ...raw['provenance'], recipe: { ...(raw['provenance']!['recipe'] as object), int8w: recipe }, int8w: { ...verdict, command: `npm run models:int8w -- ${o.name}` } },
    };
    ModelManifest.parse(next);
    writeFileAtomic(manifestPath, JSON.stringify(next, null, 2) + '\n');
    return { verdict, variant };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
