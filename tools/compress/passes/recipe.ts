/**
 * The recipe → variant bytes step: which pass of this folder makes each variant kind, from what. Pure and
 * deterministic: the same source model and recipe always give the same bytes. The pipeline chooses the recipe
 * (INT8 form, excluded nodes, calibration ranges) by measuring (../choose/); setup (`npm run models`) replays
 * the recipe recorded in the manifest's provenance and checks the sha256.
 */
import { encodeModel } from '../../onnx/io.js';
import type { ModelProto } from '../../onnx/types.js';
import { toFp16, type Fp16Report } from './fp16.js';
import { quantizeEmbeddings, toDynamicInt8 } from './int8-dynamic.js';
import { upgradeToOpset13 } from './opset.js';
import { toStaticInt8, type ActivationRanges } from './int8-static.js';
import { WEIGHT_BITS, type WeightBits } from './uniform-int8.js';
export { WEIGHT_BITS } from './uniform-int8.js';
import { INT8W_MIN_ELEMENTS, toWeightOnlyInt8, type WeightOnlyReport } from './int8-weight-only.js';
import type { VariantLoad } from '../../../src/registry/manifest.js';

export const INT8_FORMS = ['dynamic', 'dynamic-matmul', 'qdq-minmax', 'qdq-percentile'] as const;
export type Int8Form = (typeof INT8_FORMS)[number];

/** Everything needed to rebuild the variants from the source model. */
export interface Recipe {
  /** Ranks of Softmax inputs, when the source opset is below 13 and was upgraded (see opset.ts). */
  upgrade?: { ranks: Record<string, number> };
  fp16: { keep_fp32: string[] };
  /** `weight_bits` absent: 8, as every recipe recorded before it existed (so their files rebuild bit for bit). */
  int8: { form: Int8Form; exclude: string[]; ranges?: ActivationRanges; weight_bits?: WeightBits };
  /** Weight-only int8 (int8-weight-only.ts): nodes whose weights stay fp32, and the size threshold. Absent: no int8w. */
  int8w?: { exclude: string[]; min_elements: number };
}

/** How an int8w file must be opened (the manifest variant's `load`). */
export const INT8W_LOAD: VariantLoad = { fold_dequantize: true };

/** Human description of an int8w variant for the manifest's `method`. */
export function int8wMethod(report: WeightOnlyReport, recipe: NonNullable<Recipe['int8w']>): string {
  return `weight-only int8: ${report.quantized.length} weights (>= ${recipe.min_elements} elements) stored int8 with per-channel symmetric scales behind DequantizeLinear, folded into fp32 weights at session creation (session.disable_quant_qdq); fp32 compute, fp32 io${recipe.exclude.length ? `; ${recipe.exclude.length} node(s) kept fp32` : ''}`;
}

/** The int8w recipe for a compress run: the user's `--exclude` nodes keep fp32 weights here too. */
export function weightOnlyRecipe(o: { exclude: string[] }): NonNullable<Recipe['int8w']> {
  return { exclude: [...o.exclude], min_elements: INT8W_MIN_ELEMENTS };
}

/** Human description of an INT8 form for the manifest's `method`; `subgraphNodes` counts nodes inside If/Loop/Scan. */
export function int8Method(form: Int8Form, excluded: string[], subgraphNodes = 0): string {
  const base = {
    dynamic: 'dynamic int8: DynamicQuantizeLinear + MatMulInteger/ConvInteger, int8 per-channel symmetric weights',
    'dynamic-matmul': 'dynamic int8 (MatMul/Gemm only; Conv fp32): DynamicQuantizeLinear + MatMulInteger, int8 per-channel symmetric weights',
    'qdq-minmax': 'static int8 QDQ: per-channel symmetric int8 weights, uint8 activations calibrated min-max',
    'qdq-percentile': 'static int8 QDQ: per-channel symmetric int8 weights, uint8 activations calibrated 99.99th percentile',
  }[form];
  const inside = !subgraphNodes ? '' : form.startsWith('qdq')
    ? `; the ${subgraphNodes} node(s) inside If/Loop/Scan subgraphs left fp32 (calibration cannot see inside them)`
    : `; If/Loop/Scan subgraphs (${subgraphNodes} nodes) quantized by the same rule`;
  return `${base}; fp32 io${excluded.length ? `; ${excluded.length} sensitive node(s) kept fp32` : ''}${inside}`;
}

/** Builds one INT8 model. */
export function buildInt8(model: ModelProto, form: Int8Form, exclude: string[], ranges?: ActivationRanges, weightBits: WeightBits = WEIGHT_BITS): ModelProto {
  const ex = new Set(exclude);
  if (form === 'dynamic') return quantizeEmbeddings(toDynamicInt8(model, 'matmul+conv', ex, weightBits).model, ex);
  if (form === 'dynamic-matmul') return quantizeEmbeddings(toDynamicInt8(model, 'matmul', ex, weightBits).model, ex);
  if (!ranges) throw new Error(`${form} needs calibration ranges`);
  return quantizeEmbeddings(toStaticInt8(model, ranges, ex, weightBits).model, ex);
}

/** The normalized model the passes start from: upgraded to opset 13 when the recipe says so. */
export function passInput(normalized: ModelProto, recipe: Pick<Recipe, 'upgrade'>): ModelProto {
  return recipe.upgrade ? upgradeToOpset13(structuredClone(normalized), recipe.upgrade.ranks) : normalized;
}

/** A recipe for some of the variants (`--only`): a variant without an entry is not built. */
export type PartialRecipe = Pick<Recipe, 'upgrade' | 'int8w'> & Partial<Pick<Recipe, 'fp16' | 'int8'>>;

type Built = { fp16?: Uint8Array; int8?: Uint8Array; fp16Report?: Fp16Report; int8w?: { bytes: Uint8Array; report: WeightOnlyReport } };

/** Encoded fp16, int8 and (when the recipe has it) int8w variants of a normalized model. */
export function buildVariants(normalized: ModelProto, recipe: Recipe): { fp16: Uint8Array; int8: Uint8Array; fp16Report: Fp16Report; int8w?: { bytes: Uint8Array; report: WeightOnlyReport } } {
  const built = buildSome(normalized, recipe);
  return { fp16: built.fp16!, int8: built.int8!, fp16Report: built.fp16Report!, ...(built.int8w ? { int8w: built.int8w } : {}) };
}

/** Encoded variants of a normalized model, for the variants the recipe has an entry for. */
export function buildSome(normalized: ModelProto, recipe: PartialRecipe): Built {
  const model = passInput(normalized, recipe);
  const fp16 = recipe.fp16 ? toFp16(model, new Set(recipe.fp16.keep_fp32)) : undefined;
  const int8w = recipe.int8w ? toWeightOnlyInt8(model, new Set(recipe.int8w.exclude), recipe.int8w.min_elements) : undefined;
  return {
    ...(fp16 ? { fp16: encodeModel(fp16.model), fp16Report: fp16.report } : {}),
    ...(recipe.int8 ? { int8: encodeModel(buildInt8(model, recipe.int8.form, recipe.int8.exclude, recipe.int8.ranges, recipe.int8.weight_bits ?? 8)) } : {}),
    ...(int8w ? { int8w: { bytes: encodeModel(int8w.model), report: int8w.report } } : {}),
  };
}
