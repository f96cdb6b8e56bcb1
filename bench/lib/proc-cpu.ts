/**
 * CPU time actually spent by a process tree (Linux /proc: utime + stime of every process and thread), for
 * CPU per request that other load on the machine cannot inflate: wall-clock req/s on a shared 2-core
 * machine moves with everything else that runs, the CPU a process consumed does not (to first order).
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux (getconf CLK_TCK)

function stat(pid: number): { ppid: number; comm: string; cpuMs: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may contain spaces: split after the last ')'.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const f = text.slice(close + 2).split(' ');
    // Fields after comm: state(0) ppid(1) ... utime(11) stime(12).
    return { ppid: Number(f[1]), comm, cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS };
  } catch {
    return undefined; // exited
  }
}

/** Every live process under `root` (itself included) whose command name matches `comm`. */
export function descendants(root: number, comm?: RegExp): number[] {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const pid of all) {
    const s = stat(pid);
    if (s) parent.set(pid, s.ppid), name.set(pid, s.comm);
  }
  const under = (pid: number): boolean => pid === root || (parent.has(pid) && pid > 1 && under(parent.get(pid)!));
  return all.filter((p) => under(p) && (!comm || comm.test(name.get(p) ?? '')));
}

/** CPU ms consumed so far by these processes (all their threads). */
export function cpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + (stat(pid)?.cpuMs ?? 0), 0);
}

/**
 * The workerd processes of a `wrangler dev` gateway: the one running the Worker's isolate (started with the
 * DevTools inspector) and the rest (wrangler's proxy in front of it, which also relays the isolate's console
 * output: dev-only work a production Worker does not pay).
 */
export function workerdOf(root: number): { isolate: number[]; dev: number[] } {
  const pids = descendants(root, /workerd/);
  const hasInspector = (pid: number) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--inspector-addr');
    } catch {
      return false;
    }
  };
  return { isolate: pids.filter(hasInspector), dev: pids.filter((p) => !hasInspector(p)) };
}
