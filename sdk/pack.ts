/**
 * Builds the SDK as the npm package @edge-inference/sdk (sdk/package.json) and packs it: ES modules by esbuild
 * (dist/index.js; dist/node-cache.js for the `./node` export), onnxruntime-web left external (a peer
 * dependency: the app brings its own copy and serves its .wasm files), declarations by tsc
 * (sdk/tsconfig.build.json), then `npm pack`. The package's version is the gateway's (root package.json): a
 * client speaks the contract of the gateway released with it, so packing refuses when the two differ.
 * Usage: tsx sdk/pack.ts [--out dir] (default sdk/); prints the tarball's path. `npm run sdk:pack` runs it.
 */
import { build } from 'esbuild';
import type { BuildOptions } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
export const PACKAGE_DIST = join(HERE, 'dist');

const versionOf = (dir: string) => (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;

/** sdk/dist as the package ships it: ESM and .d.ts, nothing else (a browser bundle left there is removed). */
export async function buildPackage(): Promise<void> {
  const [sdk, gateway] = [versionOf(HERE), versionOf(ROOT)];
  if (sdk !== gateway) throw new Error(`sdk/package.json has version ${sdk}, the gateway (package.json) ${gateway}: make them equal`);
  rmSync(PACKAGE_DIST, { recursive: true, force: true });
  const common: BuildOptions = { bundle: true, format: 'esm', target: 'es2022', external: ['onnxruntime-web'], outdir: PACKAGE_DIST, logLevel: 'warning' };
  await build({ ...common, entryPoints: [join(HERE, 'src/index.ts')], platform: 'neutral' });
  await build({ ...common, entryPoints: [join(HERE, 'src/node-cache.ts')], platform: 'node' });
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(HERE, 'tsconfig.build.json')], { stdio: 'inherit' });
}

/** Builds and packs; returns the tarball's path in `outDir`. */
export async function packSdk(outDir = HERE): Promise<string> {
  await buildPackage();
  mkdirSync(outDir, { recursive: true });
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', outDir], { cwd: HERE, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const [{ filename }] = JSON.parse(out) as [{ filename: string }];
  return join(outDir, filename);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  console.log(await packSdk(i > 0 ? resolve(process.argv[i + 1]!) : HERE));
}
