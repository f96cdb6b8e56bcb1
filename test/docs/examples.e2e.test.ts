/**
 * Every example the docs show is executed: each `curl` at the stack in a page's sh/bash blocks runs against
 * the real stack (`npm start`: tools/setup/start.ts, origin + gateway in workerd, on free ports) and must
 * print what the `#` lines after it say (syntax: test/docs/doc-examples.ts). One test per example, named by
 * page, line and heading, so a failure says which doc line drifted. Each page runs in its own temp directory
 * holding links to the repository's top-level entries (so `./models/...` resolves and `> digit.json` lands
 * there), its setup commands first where they stand. The stack is the one a reader starts: no API key is
 * configured and `npm start` opens the admin routes. The docs show a warm gateway (README "Try it": the first
 * request of a fresh isolate goes to the origin), so mnist is warmed until it answers at the edge.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import samples from '../../models/mnist/samples.json';
import { startStack, until, type RunningStack } from '../setup/stack.js';
import { mismatches, onPorts, parseCurlOutput } from './curl-answer.js';
import { parseDoc, type DocCommand } from './doc-examples.js';
import { docPages, ROOT } from './doc-files.js';

const pages = docPages()
  .map((file) => ({ file, commands: parseDoc(file, readFileSync(join(ROOT, file), 'utf8')).commands.filter((c) => c.kind !== 'other') }))
  .filter((p) => p.commands.some((c) => c.kind === 'example'));

let stack: RunningStack | undefined;
const ports = { gateway: 0, origin: 0 };
const workDirs = new Map<string, string>();

beforeAll(async () => {
  stack = await startStack(ROOT);
  Object.assign(ports, stack.ports);
  const output = stack.output;
  const digit = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 784], data: (samples as { inputs: number[][] }).inputs[0] }] };
  await until('mnist served at the edge', 60, async () => {
    const res = await fetch(`http://127.0.0.1:${ports.gateway}/v2/models/mnist/infer`, { method: 'POST', body: JSON.stringify(digit) });
    await res.arrayBuffer();
    return res.headers.get('x-served-by') === 'edge' ? true : undefined;
  }, output);
  for (const { file } of pages) {
    const dir = mkdtempSync(join(tmpdir(), 'doc-examples-'));
    for (const entry of readdirSync(ROOT)) if (entry !== '.git') symlinkSync(join(ROOT, entry), join(dir, entry));
    workDirs.set(file, dir);
  }
}, 330_000);

afterAll(async () => {
  for (const dir of workDirs.values()) rmSync(dir, { recursive: true, force: true });
  await stack?.stop();
});

function bash(command: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile('bash', ['-c', command], { cwd, timeout: 60_000, maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

function title(c: DocCommand): string {
  const first = c.text.split('\n')[0]!.replace(/\s+/g, ' ').replace(/http:\/\/127\.0\.0\.1:\d+/g, '');
  const shown = first.length > 70 ? `${first.slice(0, 69)}…` : first;
  return `${c.file}:${c.line} (${c.section}) ${c.kind === 'setup' ? 'prepares what later examples read' : 'prints what the page shows'}: ${shown}`;
}

describe('doc examples', () => {
  it('find examples to run', () => {
    expect(pages.flatMap((p) => p.commands.filter((c) => c.kind === 'example')).length).toBeGreaterThan(0);
  });

  for (const { file, commands } of pages) {
    describe(file, () => {
      for (const c of commands) {
        it(title(c), async () => {
          const run = await bash(onPorts(c.text, ports), workDirs.get(file)!);
          expect(run.code, `exit code; stderr: ${run.stderr.slice(-1000)}`).toBe(0);
          if (c.kind === 'setup') return;
          const answer = parseCurlOutput(run.stdout);
          const misses = mismatches(c.expect, answer);
          if (!c.expect.some((e) => e.kind === 'status') && answer.status !== undefined && answer.status >= 400) {
            misses.push(`an error ${answer.status} where the page shows none`);
          }
          const shown = `\n--- ${file}:${c.line} printed ---\n${run.stdout.slice(0, 2000)}`;
          expect(misses, `${file}:${c.line} drifted from its page${shown}`).toEqual([]);
        });
      }
    });
  }
});
