/**
 * The SDK as a web developer gets it: `npm run sdk:pack` builds and packs @edge-inference/sdk, the tarball is
 * installed into an empty project outside the repository with npm, offline (onnxruntime-web, the peer
 * dependency, is a link to the repository's copy made before the install, so npm finds it satisfied and
 * downloads nothing; --ignore-scripts, so nothing runs in that copy), then used as a consumer would: an ES
 * module run by Node imports it by name and runs mnist against the real gateway app (test/setup/gateway.ts),
 * and tsc checks a small TypeScript file against the package's own declarations.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../setup/gateway.js';
import type { LocalGateway } from '../setup/gateway.js';

const run = promisify(execFile);
const ROOT = resolve('.');
const API_KEY = 'sdk-package-key';
const versionOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
// npm's own settings from the `npm run`/`npx` that started vitest (the repository's .npmrc) stay out of the project.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));

let dir = '';
let project = '';
let tarball = '';
let gateway: LocalGateway;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sdk-package-'));
  const { stdout } = await run('npm', ['run', '--silent', 'sdk:pack', '--', '--out', join(dir, 'pack')], { cwd: ROOT, env });
  tarball = stdout.trim().split('\n').at(-1)!;
  project = join(dir, 'app');
  mkdirSync(join(project, 'node_modules'), { recursive: true });
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  symlinkSync(resolve('node_modules/onnxruntime-web'), join(project, 'node_modules/onnxruntime-web'));
  await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--no-package-lock', '--ignore-scripts', tarball], { cwd: project, env });
  gateway = await startGateway({ apiKey: API_KEY });
}, 180_000);

afterAll(async () => {
  await gateway?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const installed = () => JSON.parse(readFileSync(join(project, 'node_modules/@edge-inference/sdk/package.json'), 'utf8')) as Record<string, unknown>;

describe('the SDK package', () => {
  it("carries the gateway's version (sdk/package.json must equal package.json)", () => {
    const gatewayVersion = versionOf('package.json');
    expect(versionOf('sdk/package.json')).toBe(gatewayVersion);
    expect(tarball.endsWith(`edge-inference-sdk-${gatewayVersion}.tgz`)).toBe(true);
    expect(installed().version).toBe(gatewayVersion);
  });

  it('ships ES modules, declarations, its README and manifest, and nothing else', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    const files = stdout.trim().split('\n').sort();
    expect(files.filter((f) => !/^package\/(package\.json|README\.md|dist\/[\w-]+\.(js|d\.ts))$/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/node-cache.js', 'package/dist/node-cache.d.ts']));
    expect(installed()).toMatchObject({ name: '@edge-inference/sdk', type: 'module', sideEffects: false, peerDependencies: { 'onnxruntime-web': expect.any(String) } });
    expect(installed().dependencies).toBeUndefined();
  });

  it('leaves onnxruntime-web out of its code: the app provides it', () => {
    const code = readFileSync(join(project, 'node_modules/@edge-inference/sdk/dist/index.js'), 'utf8');
    expect(code).toMatch(/import\(["']onnxruntime-web["']\)/);
    // onnxruntime-web's own ES module is hundreds of kB; the SDK is tens.
    expect(code.length).toBeLessThan(60_000);
  });

  it('imports by name in Node and runs mnist on the device with the peer onnxruntime-web', async () => {
    const samples = JSON.parse(readFileSync('models/mnist/samples.json', 'utf8')) as { inputs: number[][]; labels: number[] };
    writeFileSync(join(project, 'digit.json'), JSON.stringify(samples.inputs[0]));
    writeFileSync(
      join(project, 'main.mjs'),
      `import { readFileSync } from 'node:fs';
import * as sdk from '@edge-inference/sdk';
import * as node from '@edge-inference/sdk/node';
import { createClient } from '@edge-inference/sdk';
const client = createClient({ baseUrl: process.argv[2], apiKey: process.argv[3] });
const pixels = Float32Array.from(JSON.parse(readFileSync('digit.json', 'utf8')));
const r = await client.infer('mnist', [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: pixels }]);
const logits = Array.from(r.outputs[0].data);
console.log(JSON.stringify({ exports: Object.keys(sdk).sort(), node: Object.keys(node), ranOn: r.ranOn, variant: r.variant, digit: logits.indexOf(Math.max(...logits)) }));
`,
    );
    const { stdout } = await run(process.execPath, ['main.mjs', gateway.url, API_KEY], { cwd: project, env });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({
      exports: ['DEFAULT_CACHE_NAME', 'GatewayError', 'IntegrityError', 'cacheStorage', 'createClient', 'memoryCache', 'planQuery', 'readDeviceHints', 'sha256Hex'],
      node: ['fsCache'],
      ranOn: 'device',
      variant: 'int8',
      digit: samples.labels[0],
    });
  });

  it("type-checks a consumer's TypeScript against the package's own declarations", async () => {
    writeFileSync(
      join(project, 'use.ts'),
      `import { createClient, IntegrityError } from '@edge-inference/sdk';
import type { DevicePlan, InferResult, TensorInput } from '@edge-inference/sdk';
import { fsCache } from '@edge-inference/sdk/node';

const client = createClient({ baseUrl: 'https://infer.example.com', apiKey: 'key', cache: fsCache('.cache') });
const input: TensorInput = { name: 'input', datatype: 'FP32', shape: [1, 784], data: new Float32Array(784) };
export async function classify(): Promise<string> {
  const r: InferResult = await client.infer('mnist', [input], { sloMs: 2000 });
  const plan: DevicePlan | undefined = r.plan;
  const where: 'device' | 'edge' = r.ranOn;
  return where + (plan?.candidates.map((c) => c.variant).join(',') ?? '') + String(r.outputs[0]?.data.length) + new IntegrityError('u', 'a', 'b').message;
}
// @ts-expect-error: a call needs its inputs
void client.infer('mnist');
`,
    );
    // A strict consumer: Node's own module resolution (exports and their types), the package's .d.ts checked too.
    const options = { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023', 'DOM'], types: [], strict: true, skipLibCheck: false, noEmit: true };
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions: options, files: ['use.ts'] }));
    const tsc = await run(process.execPath, [resolve('node_modules/typescript/bin/tsc'), '-p', project], { cwd: project, env }).catch((e: { stdout?: string }) => ({ stdout: `tsc failed:\n${e.stdout ?? String(e)}` }));
    expect(tsc.stdout).toBe('');
  });
});
