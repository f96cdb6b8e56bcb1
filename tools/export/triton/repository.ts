/**
 * Writes a Triton model repository from the catalog: one folder per served model with its config.pbtxt,
 * its output labels (Triton's label_filename) and one numbered version folder per exported variant holding
 * `model.onnx` (copied, or linked for a local Triton). Every config is checked before it is written: its
 * signature against every exported variant's ONNX graph, the text against Triton's proto (proto.ts).
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { GatewayConfig } from '../../../src/config.js';
import type { ModelManifest, VariantName } from '../../../src/registry/manifest.js';
import type { ModelSignature } from '../../onnx/signature.js';
import { readSignature } from '../../onnx/signature.js';
import type { CloudModel } from '../policy.js';
import type { CloudTargets } from '../slo.js';
import { cloudTargets, explain } from '../slo.js';
import { labelFile, tritonModelConfig, tritonVersions } from './model-config.js';
import { parsePbtxt, toPbtxt } from './proto.js';

export interface TritonExportOptions {
  out: string;
  config: GatewayConfig;
  models: CloudModel[];
  modelsDir: string;
  /** `served`: only the variant the origin serves; `all`: every variant; or a list (the served one is added). */
  variants: 'served' | 'all' | VariantName[];
  weights: 'copy' | 'link';
  /** Cores of one replica: onnxruntime's intra-op threads. */
  cpus: number;
}

export interface ExportedModel {
  name: string;
  dir: string;
  variant: VariantName;
  versions: Record<string, VariantName>;
  targets: CloudTargets;
}

/** The variants to export for `m`: the served one always (the highest version), and those asked for. */
export function exportedVariants(m: CloudModel, wanted: TritonExportOptions['variants']): VariantName[] {
  const have = Object.keys(m.manifest.variants);
  return wanted === 'served' ? [m.variant] : wanted === 'all' ? have : have.filter((v) => v === m.variant || wanted.includes(v));
}

/** The one signature every exported variant's graph must share (Triton has one config for all versions). */
function sharedSignature(modelsDir: string, manifest: ModelManifest, variants: VariantName[]): ModelSignature {
  const read = variants.map((v) => ({ v, sig: readSignature(join(modelsDir, manifest.name, manifest.variants[v]!.file)) }));
  const first = read[0]!;
  for (const { v, sig } of read.slice(1)) {
    if (JSON.stringify(normalize(sig)) !== JSON.stringify(normalize(first.sig))) {
      throw new Error(`${manifest.name}: ${v}'s graph inputs/outputs differ from ${first.v}'s, so they cannot be versions of one Triton model`);
    }
  }
  return first.sig;
}

/** A signature with symbolic dims as -1: variants may name their dynamic axes differently. */
function normalize(sig: ModelSignature): unknown {
  const t = (x: ModelSignature['inputs'][number]) => [x.name, x.elemType, x.dims.map((d) => (typeof d === 'number' && d > 0 ? d : -1))];
  return [sig.inputs.map(t), sig.outputs.map(t)];
}

function placeWeights(from: string, to: string, how: TritonExportOptions['weights']): void {
  if (!existsSync(from)) throw new Error(`${from} is missing: run \`npm run models\` first`);
  rmSync(to, { force: true });
  if (how === 'link') symlinkSync(resolve(from), to);
  else copyFileSync(from, to);
}

/** Writes the repository under `out`; answers what it wrote. The folder's models are replaced, not merged. */
export function writeTritonRepository(o: TritonExportOptions): ExportedModel[] {
  mkdirSync(o.out, { recursive: true });
  return o.models.map((m) => {
    const { manifest } = m;
    const variants = exportedVariants(m, o.variants);
    const targets = cloudTargets(o.config, manifest, m.variant);
    const signature = sharedSignature(o.modelsDir, manifest, variants);
    const json = tritonModelConfig({ config: o.config, manifest, signature, variants, served: m.variant, targets, cpus: o.cpus });
    const version = tritonVersions(manifest, m.variant);
    const versions = Object.fromEntries(variants.map((v) => [String(version[v]), v]));
    const text = toPbtxt(json, [
      `${manifest.name}: written by \`npm run export:triton\` from models/${manifest.name}/manifest.json and the gateway's policy; do not edit, re-export.`,
      `Versions: ${Object.entries(versions).map(([n, v]) => `${n} = ${v}`).join(', ')} (unversioned calls get ${version[m.variant]}, ${m.variant}: the origin's variant).`,
      explain(targets),
    ]);
    parsePbtxt(text);
    const dir = join(o.out, manifest.name);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.pbtxt'), text);
    for (const out of manifest.outputs) if (out.labels) writeFileSync(join(dir, labelFile(out.name)), out.labels.join('\n') + '\n');
    for (const v of variants) {
      const versionDir = join(dir, String(version[v]));
      mkdirSync(versionDir, { recursive: true });
      placeWeights(join(o.modelsDir, manifest.name, manifest.variants[v]!.file), join(versionDir, 'model.onnx'), o.weights);
    }
    return { name: manifest.name, dir, variant: m.variant, versions, targets };
  });
}
