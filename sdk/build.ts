/**
 * Bundles the SDK for browsers: sdk/dist/edge-infer.js, one ES module. onnxruntime-web stays external:
 * pages hand their own `ort` to createClient (or map the bare name with an import map).
 * Usage: tsx sdk/build.ts [--outfile path]; tests call buildSdk().
 */
import { build } from 'esbuild';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const SDK_BUNDLE = resolve(HERE, 'dist/edge-infer.js');

export async function buildSdk(outfile = SDK_BUNDLE): Promise<string> {
  await build({
    entryPoints: [resolve(HERE, 'src/index.ts')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['onnxruntime-web'],
    sourcemap: true,
    logLevel: 'warning',
  });
  return outfile;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--outfile');
  console.log(await buildSdk(i > 0 ? resolve(process.argv[i + 1]!) : SDK_BUNDLE));
}
