/**
 * `npm run export:triton -- --out <dir>`: the catalog as a Triton model repository (repository.ts), for a
 * Triton or KServe cloud tier behind the gateway. Options:
 *   --config <file>        the gateway policy to derive from (default wrangler.toml; a .json is GATEWAY_CONFIG)
 *   --models-dir <dir>     the catalog's model folders (default models)
 *   --variants <v>         served (default: the origin's variant only), all, or a comma list
 *   --weights copy|link    copy the .onnx files (default; for uploading) or symlink them (a local Triton)
 *   --include-edge-only    also models whose policy keeps them off the origin
 *   --model <name>         only these models (repeatable)
 *   --cpus <n>             cores of one replica: onnxruntime's intra-op threads (default 2)
 */
import { parseArgs } from 'node:util';
import { VariantName } from '../../../src/registry/manifest.js';
import { readManifests } from '../../lib/manifests.js';
import { cloudModels, readGatewayConfig } from '../policy.js';
import { explain } from '../slo.js';
import { writeTritonRepository } from './repository.js';
import type { TritonExportOptions } from './repository.js';

/** `--variants` as the repository writer takes it. */
export function variantsOption(value: string): TritonExportOptions['variants'] {
  if (value === 'served' || value === 'all') return value;
  return value.split(',').map((v) => VariantName.parse(v.trim()));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      out: { type: 'string' },
      config: { type: 'string', default: 'wrangler.toml' },
      'models-dir': { type: 'string', default: 'models' },
      variants: { type: 'string', default: 'served' },
      weights: { type: 'string', default: 'copy' },
      'include-edge-only': { type: 'boolean', default: false },
      model: { type: 'string', multiple: true },
      cpus: { type: 'string', default: '2' },
    },
  });
  if (!values.out) {
    console.error('usage: npm run export:triton -- --out <dir> [--config wrangler.toml] [--variants served|all|fp32,int8] [--weights copy|link] [--include-edge-only] [--model <name>]... [--cpus 2]');
    process.exit(2);
  }
  if (values.weights !== 'copy' && values.weights !== 'link') throw new Error(`--weights must be copy or link, not ${values.weights}`);
  const config = readGatewayConfig(values.config!);
  const modelsDir = values['models-dir']!;
  const models = cloudModels(config, readManifests(modelsDir), { includeEdgeOnly: values['include-edge-only'], only: values.model ?? [] });
  const written = writeTritonRepository({ out: values.out, config, models, modelsDir, variants: variantsOption(values.variants!), weights: values.weights, cpus: Number(values.cpus) });
  for (const m of written) {
    const placement = models.find((c) => c.manifest.name === m.name)!.placement;
    console.log(`${m.dir}: versions ${Object.entries(m.versions).map(([n, v]) => `${n}=${v}`).join(' ')} (${placement})`);
    console.log(`  ${explain(m.targets)}`);
  }
  console.log(`triton: ${written.length} models in ${values.out} (from ${values.config})`);
}
