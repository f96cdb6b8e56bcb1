/**
 * origin/Dockerfile, checked without a Docker daemon: every COPY source exists in the build context (the
 * repository root) and is not left out by .dockerignore, the server runs as a non-root user on read-only
 * files, its HEALTHCHECK and the Kubernetes probes call the same readiness route on the port the exported
 * Deployment targets, and the bundle step names the entry it must bundle.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { k8sExport, yamlDocuments } from './fixtures.js';

const text = readFileSync('origin/Dockerfile', 'utf8');
/** Instructions with continuation lines joined, comments left out. */
const instructions = text
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const stages = instructions.join('\n').split(/^FROM /m).slice(1);
const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

describe('origin/Dockerfile', () => {
  const copies = instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='));
  const sources = copies.flatMap((l) => l.split(/\s+/).slice(1, -1));

  it('copies only what exists in the build context and .dockerignore keeps', () => {
    expect(sources.length).toBeGreaterThan(5);
    expect(sources.filter((s) => !existsSync(s))).toEqual([]);
    const top = (s: string) => s.split('/')[0]!;
    expect(sources.filter((s) => ignored.includes(top(s)) || ignored.includes(s))).toEqual([]);
    expect(existsSync(join('models', 'mnist', 'manifest.json'))).toBe(true);
  });

  it('copies from the build stage only what the build stage makes or installs', () => {
    const fromBuild = instructions.filter((l) => l.includes('--from=build')).map((l) => l.split(/\s+/)[2]!);
    expect(fromBuild).toEqual(['/src/node_modules/onnxruntime-node', '/src/node_modules/onnxruntime-common', '/src/dist/origin.mjs']);
    expect(stages[0]).toMatch(/npm ci .*--ignore-scripts/);
    expect(stages[0]).toMatch(/esbuild origin\/server\.ts .*--external:onnxruntime-node .*--outfile=dist\/origin\.mjs/);
  });

  it('runs as a non-root user on files nobody may write, the models among them', () => {
    const runtime = stages[1]!;
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime.indexOf('COPY models ./models')).toBeLessThan(runtime.indexOf('chmod -R a-w /app'));
    expect(runtime.indexOf('chmod -R a-w /app')).toBeLessThan(runtime.indexOf('USER node'));
  });

  it('checks health on the readiness route and port the exported Deployment probes', () => {
    const [, deployment] = yamlDocuments(join(k8sExport().dir, 'origin/deployment.yaml'));
    const c = deployment!['spec'].template.spec.containers[0];
    const port = c.ports[0].containerPort as number;
    expect(instructions).toContain(`EXPOSE ${port}`);
    const health = instructions.find((l) => l.startsWith('HEALTHCHECK'))!;
    expect(health).toContain(`http://127.0.0.1:${port}${c.readinessProbe.httpGet.path}`);
    const cmd = JSON.parse(instructions.find((l) => l.startsWith('CMD '))!.slice(4)) as string[];
    expect(cmd.slice(0, 2)).toEqual(c.args.slice(0, 2));
    expect(cmd).toContain(String(port));
  });
});
