/**
 * Keeps a child process running: restarts it with exponential backoff when it exits, forgets the backoff
 * once it has stayed up a while, and stops for good only when asked. `npm start` supervises the origin and
 * the gateway with it, so a crashed origin comes back while the gateway keeps serving edge models.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface SupervisedOptions {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** First restart delay (ms); doubles per crash up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Up this long and the next crash restarts after `initialBackoffMs` again. */
  resetAfterMs?: number;
  log?: (line: string) => void;
}

/** One supervised process. `stop()` ends it (and its process group) and disables restarts. */
export class Supervised {
  private child: ChildProcess | undefined;
  private backoff: number;
  private startedAt = 0;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  /** Times the process was (re)started. */
  starts = 0;

  constructor(private readonly options: SupervisedOptions) {
    this.backoff = options.initialBackoffMs ?? 500;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const { name, command, args, env } = this.options;
    const log = this.options.log ?? ((line: string) => console.log(line));
    this.startedAt = Date.now();
    this.starts++;
    // detached: its own process group, so stop() also ends what it spawned (wrangler -> workerd).
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env }, detached: true });
    this.child = child;
    const prefix = (line: string) => line && log(`[${name}] ${line}`);
    child.stdout!.on('data', (b: Buffer) => b.toString().split('\n').forEach(prefix));
    child.stderr!.on('data', (b: Buffer) => b.toString().split('\n').forEach(prefix));
    log(`start: ${name} started (pid ${child.pid})`);
    child.on('exit', (code, signal) => {
      if (this.stopped) return;
      if (Date.now() - this.startedAt >= (this.options.resetAfterMs ?? 30_000)) this.backoff = this.options.initialBackoffMs ?? 500;
      log(`start: ${name} exited (${signal ?? code}); restarting in ${this.backoff} ms`);
      this.timer = setTimeout(() => this.start(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, this.options.maxBackoffMs ?? 8_000);
    });
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const pid = this.child?.pid;
    if (pid && this.child?.exitCode === null) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }
}
