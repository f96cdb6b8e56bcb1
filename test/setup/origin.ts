/**
 * Global setup of the workers tests: starts the real origin (onnxruntime-node) as its own process on
 * ORIGIN_TEST_PORT, waits until it is ready, puts the fault-injecting proxy in front of it on
 * ORIGIN_TEST_PORT + 2 (control on + 3), and stops both after the run.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { ORIGIN_ALLOCATOR_ENV } from '../../tools/lib/allocator.js';
import type { FaultProxy } from './fault-proxy.js';
import { startFaultProxy } from './fault-proxy.js';
import { ORIGIN_TEST_PORT, ORIGIN_TEST_TOKEN } from './constants.js';

const port = ORIGIN_TEST_PORT;
let child: ChildProcess | undefined;
let proxy: FaultProxy | undefined;

export async function setup(): Promise<void> {
  child = spawn(process.execPath, ['--import', 'tsx', 'origin/server.ts', '--port', String(port)], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, ORIGIN_TOKEN: ORIGIN_TEST_TOKEN, ...ORIGIN_ALLOCATOR_ENV },
  });
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`origin exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/v2/health/ready`);
      if (res.ok) {
        try {
          proxy = await startFaultProxy(port + 2, `http://127.0.0.1:${port}`);
        } catch (e) {
          await teardown();
          throw e;
        }
        return;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`origin not ready on port ${port} within 60 s`);
}

export async function teardown(): Promise<void> {
  await proxy?.close();
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child!.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}
